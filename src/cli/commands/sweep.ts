/** `gradep sweep FILE` (run a hardware sweep, or list its points) and `gradep sweep collect DIR... --out DIR`. */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { collectSweep, loadSweep, parseShard, resultSummary, runSweep, sweepPoints } from '../../experiments/sweep/index.js';
import { GradepError } from '../../util/errors.js';
import { openEngine } from '../../solvers/fast-engine.js';
import { engineKind, threadsOf } from '../engine.js';
import { checkOutPath, intIn } from '../io.js';
import { out } from '../output.js';
import { Progress } from '../progress.js';

interface SweepFlags {
  out?: string;
  quick?: boolean;
  jobs: number;
  shard?: { i: number; n: number };
  list?: boolean;
  json?: boolean;
}

/** --shard parsed with the option, so a bad value is a usage error (exit 2). */
function shardArg(s: string): { i: number; n: number } {
  try {
    return parseShard(s);
  } catch (e) {
    throw e instanceof GradepError ? new InvalidArgumentError(e.message) : e;
  }
}

function collect(dirs: string[], flags: SweepFlags): void {
  if (!flags.out) throw new GradepError('--out: missing, allowed a directory for the merged results');
  if (dirs.length === 0) throw new GradepError('collect: no shard directories given');
  checkOutPath('--out', flags.out, 'dir');
  const rows = collectSweep(dirs, resolve(flags.out));
  out(Boolean(flags.json), { out: flags.out, points: rows.length }, () => `collected ${rows.length} points into ${join(flags.out as string, 'results.jsonl')}`);
}

async function sweep(file: string, flags: SweepFlags, cmd: Command): Promise<void> {
  const spec = loadSweep(file, { quick: Boolean(flags.quick) });
  spec.engine = engineKind(cmd);
  const shard = flags.shard ?? { i: 0, n: 1 };
  if (flags.list) {
    const pts = sweepPoints(spec, file).filter((p) => p.index % shard.n === shard.i).map((p) => ({ index: p.index, key: p.key, overrides: p.overrides, action: p.action, chip_seed: p.chip_seed }));
    out(Boolean(flags.json), { points: pts }, () => pts.map((p) => `${p.index}\t${p.key}\t${p.action}\tchip ${p.chip_seed}\t${JSON.stringify(p.overrides)}`).join('\n'));
    return;
  }
  const outDir = resolve(flags.out ?? join('runs', 'sweeps', spec.name));
  checkOutPath(flags.out ? '--out' : '--out (default)', outDir, 'dir');
  // Parallel points share the cores: each gets its own engine with cores / jobs threads.
  const threads = Math.max(1, Math.floor((threadsOf(cmd) ?? availableParallelism()) / flags.jobs));
  const bar = new Progress('sweep', 1, Boolean(flags.json));
  const t0 = performance.now();
  const rows = await runSweep(spec, file, outDir, shard, flags.jobs, () => openEngine(spec.engine ?? 'fast', threads), (e) => {
    if (e.type === 'note') return void process.stderr.write(`note: ${e.message}\n`);
    bar.setTotal(e.total);
    bar.update(e.done, `#${e.result.index} ${e.result.action} ${JSON.stringify(e.result.overrides)} chip ${e.result.chip_seed}: ${resultSummary(e.result)}${e.cached ? ' (cached)' : ''}`);
  });
  out(Boolean(flags.json), { out: outDir, shard, points: rows.length, seconds: (performance.now() - t0) / 1000 }, () => `${rows.length} point(s) in ${join(outDir, 'results.jsonl')}`);
}

export function register(program: Command): void {
  program
    .command('sweep')
    .description('run a sweep (experiments/*.json): every point (grid x action x chip seed) trained in situ, transferred, fine-tuned or its gradient measured, then sampled on the chip and scored, or ("generate") sampled on the ideal network from the checkpoint and scored; results in DIR/results.jsonl, resumable; `gradep sweep collect DIR... --out DIR` merges shards')
    .argument('<file>', 'sweep file, or "collect" followed by shard directories')
    .argument('[dirs...]', 'with "collect": the shard directories')
    .option('--out <dir>', 'output directory (default: runs/sweeps/<name>, with --quick runs/sweeps/<name>-quick)')
    .option('--quick', 'apply the file\'s "quick" object (reduced budgets and vary entries); the sweep is named <name>-quick')
    .option('--jobs <n>', 'points run at once (each with threads = cores / jobs)', intIn('--jobs', 1, 64), 1)
    .option('--shard <i/N>', 'run (or with --list, list) only the points with index % N == i', shardArg)
    .option('--list', 'print the points (index, key, overrides, action, chip seed) and exit')
    .option('--json', 'print one JSON document')
    .action(async (file: string, dirs: string[], flags: SweepFlags, cmd: Command) => {
      if (file === 'collect') collect(dirs, flags);
      else await sweep(file, flags, cmd);
    });
}
