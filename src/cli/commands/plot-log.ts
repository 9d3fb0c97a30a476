/** `gradep plot-log`: the loss curve of a training log as a PNG. */
import type { Command } from 'commander';
import { lossFigure } from '../../report/loss-figure.js';
import { checkOutPath } from '../io.js';
import { log } from '../output.js';

export function register(program: Command): void {
  program
    .command('plot-log')
    .description('draw the loss curve of a training log as a PNG')
    .requiredOption('--log <file>', 'log.jsonl of a training run')
    .requiredOption('--out <file>', 'PNG file')
    .option('--title <t>', 'figure title', 'GradEP training')
    .action((flags: { log: string; out: string; title: string }) => {
      checkOutPath('--out', flags.out, 'file');
      lossFigure(flags.log, flags.out, flags.title, log);
      log(`wrote ${flags.out}`);
    });
}
