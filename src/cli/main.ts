#!/usr/bin/env node
/**
 * The gradep command line. Every command has --help; with --json a command prints exactly
 * one JSON document on stdout and logs go to stderr. Exit codes: 0 ok, 1 failure
 * (a one-line message naming file, field and allowed range), 2 usage error.
 */
import { CommanderError } from 'commander';
import { GradepError, UsageError } from '../util/errors.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { buildProgram } from './program.js';

try {
  await buildProgram().parseAsync(process.argv);
  process.exitCode = process.exitCode ?? EXIT_OK;
} catch (e) {
  if (e instanceof CommanderError) {
    // --help and --version exit 0; everything else commander raises is a usage error.
    process.exitCode = e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  } else if (e instanceof GradepError) {
    process.stderr.write(`gradep: ${e.message}\n`);
    process.exitCode = e instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  } else {
    process.stderr.write(`gradep: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}
