/** `gradep train`: GradEP flow-matching training into DIR/checkpoint.json and DIR/log.jsonl. */
import type { Command } from 'commander';
import { PAPER_RECIPE } from '../../experiments/train.js';
import { checkOutPath } from '../io.js';
import { out } from '../output.js';
import { fmtTime } from '../progress.js';
import { addTrainOptions, trainCommand, type TrainFlags } from '../training.js';

export function register(program: Command): void {
  addTrainOptions(program.command('train').description('train the network with GradEP flow matching; writes DIR/checkpoint.json and DIR/log.jsonl'), {
    steps: PAPER_RECIPE.steps,
    batch: PAPER_RECIPE.batch,
    out: 'runs/train',
  })
    .option('--resume', 'continue the checkpoint in --out exactly where it stopped')
    .option('--json', 'print one JSON document')
    .action(async (flags: TrainFlags, cmd: Command) => {
      checkOutPath('--out', flags.out, 'dir');
      const r = await trainCommand(flags, cmd);
      out(Boolean(flags.json), r, () => `trained to step ${r.step}, flow MSE ${r.flow_mse?.toFixed(4)}, ${fmtTime(r.seconds)}; checkpoint ${r.checkpoint}`);
    });
}
