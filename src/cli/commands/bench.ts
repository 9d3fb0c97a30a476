/** `gradep bench`: speed and memory of the engine's kernels and steps. */
import type { Command } from 'commander';
import { runBench } from '../../experiments/bench.js';
import { withEngine } from '../engine.js';
import { log, out } from '../output.js';

export function register(program: Command): void {
  program
    .command('bench')
    .description('measure speed and memory: full-batch GradEP step (equilibrium and paper-exact), kernel GFLOP/s, sampling, SDE node-steps/s, peak RSS')
    .option('--quick', 'batch 256, one repetition (a smoke test, not a number to report)')
    .option('--json', 'print one JSON document')
    .action(async (flags: { quick?: boolean; json?: boolean }, cmd: Command) => {
      await withEngine(cmd, async (engine) => {
        const r = await runBench({ quick: Boolean(flags.quick), engine, engineName: engine.constructor.name, onProgress: (w) => log(`bench: ${w}`) });
        out(Boolean(flags.json), r, () => JSON.stringify(r, null, 2));
      });
    });
}
