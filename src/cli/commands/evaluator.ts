/** `gradep evaluator train`: retrain the sample-quality evaluator. */
import type { Command } from 'commander';
import { evaluatorPath, saveEvaluator, trainEvaluator } from '../../metrics/classifier.js';
import { checkOutPath, intIn } from '../io.js';
import { out } from '../output.js';

export function register(program: Command): void {
  const ev = program.command('evaluator').description('the sample-quality evaluator (a classifier trained only on optdigits.tra)');
  ev.command('train')
    .description('retrain the evaluator deterministically and write data/evaluator/evaluator.json')
    .option('--seed <s>', 'training seed', intIn('--seed', 0, 2 ** 31 - 1), 0)
    .option('--out <file>', 'output file', evaluatorPath())
    .option('--json', 'print one JSON document')
    .action((flags: { seed: number; out: string; json?: boolean }) => {
      checkOutPath('--out', flags.out, 'file');
      const w = trainEvaluator(flags.seed);
      saveEvaluator(flags.out, w);
      out(Boolean(flags.json), { out: flags.out, accuracy_tes: w.accuracy_tes, accuracy_tra: w.accuracy_tra }, () => `wrote ${flags.out}: accuracy ${(100 * w.accuracy_tes).toFixed(2)}% on optdigits.tes, ${(100 * w.accuracy_tra).toFixed(2)}% on optdigits.tra`);
    });
}
