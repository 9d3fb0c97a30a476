/** `gradep plot-log`: the loss curve of a training log as a PNG. */
import { type Command, Option } from 'commander';
import { lossFigure } from '../../report/loss-figure.js';
import { checkOutPath } from '../io.js';
import { UsageError } from '../../util/errors.js';
import { log } from '../output.js';

export function register(program: Command): void {
  program
    .command('plot-log')
    .description('draw the loss curve of a training log as a PNG (several --log files: one curve each, to compare runs)')
    .requiredOption('--log <file...>', 'log.jsonl of a training run (repeat or list several to compare)')
    .requiredOption('--out <file>', 'PNG file')
    .option('--title <t>', 'figure title', 'GradEP training')
    .option('--label <name...>', 'legend label per --log, in order')
    .addOption(new Option('--x <axis>', 'x axis: training step or cumulative wall time').choices(['step', 'seconds']).default('step'))
    .action((flags: { log: string[]; out: string; title: string; label?: string[]; x: 'step' | 'seconds' }) => {
      checkOutPath('--out', flags.out, 'file');
      if (flags.label && flags.label.length !== flags.log.length) throw new UsageError(`--label: got ${flags.label.length} labels for ${flags.log.length} logs, allowed one per --log`);
      lossFigure(flags.log, flags.out, flags.title, { note: log, labels: flags.label, x: flags.x });
      log(`wrote ${flags.out}`);
    });
}
