import { finiteJson } from '../util/json.js';

/**
 * Where command results and logs go: one document (or a human line) on stdout, logs on stderr.
 * A result with a non-finite number is an error, not a document with nulls in it.
 */
export function out(json: boolean, doc: unknown, human: () => string): void {
  const text = finiteJson(doc, 'result');
  if (json) process.stdout.write(text + '\n');
  else process.stdout.write(human() + '\n');
}

export function log(msg: string): void {
  process.stderr.write(msg + '\n');
}
