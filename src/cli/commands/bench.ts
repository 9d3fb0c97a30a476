/** `gradep bench`: speed and memory of the engine's kernels and steps. */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runBench, runScaleBench, type ScalePoint } from '../../experiments/bench.js';
import { lineChartPng } from '../../report/figures.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { withEngine } from '../engine.js';
import { log, out } from '../output.js';

export function register(program: Command): void {
  program
    .command('bench')
    .description('measure speed and memory: full-batch GradEP step (equilibrium and paper-exact), kernel GFLOP/s, sampling, SDE node-steps/s, peak RSS')
    .option('--quick', 'batch 256, one repetition (a smoke test, not a number to report)')
    .option('--json', 'print one JSON document')
    .option('--scale', 'instead: time and memory against batch (64..1797) and hidden width (128..1024), with log-log plots')
    .option('--out <dir>', 'where --scale writes scale.json and its PNGs', 'reports/scale')
    .action(async (flags: { quick?: boolean; json?: boolean; scale?: boolean; out: string }, cmd: Command) => {
      await withEngine(cmd, async (engine) => {
        if (flags.scale) {
          const r = await runScaleBench({ quick: Boolean(flags.quick), engine, onProgress: (w) => log(`bench: ${w}`) });
          writeScale(flags.out, r);
          out(Boolean(flags.json), r, () => JSON.stringify(r, null, 2));
          return;
        }
        const r = await runBench({ quick: Boolean(flags.quick), engine, engineName: engine.constructor.name, onProgress: (w) => log(`bench: ${w}`) });
        out(Boolean(flags.json), r, () => JSON.stringify(r, null, 2));
      });
    });
}

/** scale.json and the log-log plots of a --scale run (time per free phase and per sample-step). */
function writeScale(dir: string, r: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'scale.json'), JSON.stringify(r, null, 2) + '\n');
  const plot = (file: string, pts: ScalePoint[], key: 'batch' | 'width', xLabel: string) => {
    const x = pts.map((q) => q[key]);
    const png = lineChartPng({
      title: `Relaxation cost against ${key} (${pts[0]?.steps ?? 0} paper steps, free phase)`,
      xLabel,
      yLabel: 'time (s)',
      logX: true,
      logY: true,
      series: [
        { label: 'one free phase', x, y: pts.map((q) => q.seconds) },
        { label: 'per sample-step x 1e5', x, y: pts.map((q) => q.seconds_per_sample_step * 1e5) },
      ],
    });
    writeFileAtomic(join(dir, file), png);
  };
  plot('scale-batch.png', r.batch as ScalePoint[], 'batch', 'batch (samples)');
  plot('scale-width.png', r.width as ScalePoint[], 'width', 'hidden width (units per layer)');
  log(`bench: wrote ${join(dir, 'scale.json')}, scale-batch.png, scale-width.png`);
}
