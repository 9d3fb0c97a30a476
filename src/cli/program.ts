/** The gradep command tree, built without parsing so that main.ts runs it and the docs generator walks it. */
import { Command, Help, Option } from 'commander';
import * as bench from './commands/bench.js';
import * as circuit from './commands/circuit.js';
import * as cost from './commands/cost.js';
import * as demo from './commands/demo.js';
import * as evalCmd from './commands/eval.js';
import * as evaluator from './commands/evaluator.js';
import * as grad from './commands/grad.js';
import * as plotLog from './commands/plot-log.js';
import * as relax from './commands/relax.js';
import * as report from './commands/report.js';
import * as reportRun from './commands/report-run.js';
import * as netlist from './commands/netlist.js';
import * as sample from './commands/sample.js';
import * as spice from './commands/spice.js';
import * as sweep from './commands/sweep.js';
import * as train from './commands/train.js';
import * as velocity from './commands/velocity.js';
import { intIn } from './io.js';

/** In registration order, which is the order of the top-level help. */
const COMMANDS: { register(program: Command): void }[] = [train, velocity, grad, sample, demo, reportRun, plotLog, relax, sweep, report, bench, evalCmd, evaluator, circuit, cost, netlist, spice];

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('gradep')
    .description('Neuromorphic hardware simulator for Gradient Equilibrium Propagation (FlowEqProp): train and sample a flow-matching digit generator on a simulated analogue circuit.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // --help marks required options as the generated docs/cli.md does (set before the commands, which inherit it).
    .configureHelp({
      optionDescription(o) {
        const d = Help.prototype.optionDescription.call(this, o);
        return o.mandatory ? `${d} (required)` : d;
      },
    });
  // Parsed here, so a bad value is a usage error (exit 2) for every command, with or without an engine.
  program.addOption(new Option('--threads <n>', 'worker threads for relaxation (default: all cores)').argParser(intIn('--threads', 1, 64)));
  program.addOption(new Option('--engine <e>', 'relaxation engine: fast (WebAssembly SIMD, float32) or js (TypeScript, float64)').choices(['fast', 'js']).default('fast'));
  for (const c of COMMANDS) c.register(program);
  return program;
}
