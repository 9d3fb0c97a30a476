#!/usr/bin/env node
/**
 * The gradep command line. Every command has --help; with --json a command prints exactly
 * one JSON document on stdout and logs go to stderr. Exit codes: 0 ok, 1 failure
 * (a one-line message naming file, field and allowed range), 2 usage error.
 */
import { Command, CommanderError, Option } from 'commander';
import { GradepError } from '../util/errors.js';
import { registerCommands } from './commands.js';

const program = new Command();
program
  .name('gradep')
  .description('Neuromorphic hardware simulator for Gradient Equilibrium Propagation (FlowEqProp): train and sample a flow-matching digit generator on a simulated analogue circuit.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();
program.addOption(new Option('--threads <n>', 'worker threads for relaxation (default: all cores)'));
program.addOption(new Option('--engine <e>', 'relaxation engine: fast (WebAssembly SIMD, float32) or js (TypeScript, float64)').choices(['fast', 'js']).default('fast'));
registerCommands(program);

try {
  await program.parseAsync(process.argv);
  process.exitCode = process.exitCode ?? 0;
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; everything else commander raises is a usage error.
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof GradepError) {
    process.stderr.write(`gradep: ${e.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`gradep: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  }
}
