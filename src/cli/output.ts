import { GradepError } from '../util/errors.js';
import { firstNonFinite } from '../util/json.js';

/**
 * Where command results and logs go: one document (or a human line) on stdout, logs on stderr.
 * A result with a non-finite number is an error, not a document with nulls in it.
 */
export function out(json: boolean, doc: unknown, human: () => string): void {
  const bad = firstNonFinite(doc, '');
  if (bad) throw new GradepError(`result: ${bad.path} is ${bad.value} (a relaxation diverged: check the inputs' scale and the circuit's stability); nothing printed`);
  if (json) process.stdout.write(JSON.stringify(doc) + '\n');
  else process.stdout.write(human() + '\n');
}

export function log(msg: string): void {
  process.stderr.write(msg + '\n');
}
