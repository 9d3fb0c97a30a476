/** `gradep report-run`: report one training run directory (the work is in report/run-report). */
import { join } from 'node:path';
import type { Command } from 'commander';
import { reportRun } from '../../report/run-report.js';
import { withEngine } from '../engine.js';
import { checkOutPath, intIn } from '../io.js';
import { log, out } from '../output.js';

export function register(program: Command): void {
  program
    .command('report-run')
    .description('report a training run directory: loss curve, sample grids at t1 = 1.0 and 1.2 in both velocity modes, their quality metrics, and a README with the wall time')
    .argument('<dir>', 'run directory (checkpoint.json and log.jsonl)')
    .option('--n <n>', 'samples per grid and metric', intIn('--n', 10, 100000), 500)
    .option('--seed <s>', 'sampling seed', intIn('--seed', 0, 2 ** 31 - 1), 0)
    .option('--json', 'print one JSON document')
    .action(async (dir: string, flags: { n: number; seed: number; json?: boolean }, cmd: Command) => {
      checkOutPath('<dir>', dir, 'dir');
      const r = await reportRun(dir, { n: flags.n, seed: flags.seed }, (f) => withEngine(cmd, f), log);
      const doc = { dir, wall_seconds: r.wall, flow_mse_last: r.lastMse, results: r.results.map((m) => ({ mode: m.mode, t1: m.t1, png: m.png, metrics: m.metrics })) };
      out(Boolean(flags.json), doc, () => `${r.table}\n\nwrote ${join(dir, 'README.md')}`);
    });
}
