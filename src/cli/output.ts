/** Where command results and logs go: one document (or a human line) on stdout, logs on stderr. */
export function out(json: boolean, doc: unknown, human: () => string): void {
  if (json) process.stdout.write(JSON.stringify(doc) + '\n');
  else process.stdout.write(human() + '\n');
}

export function log(msg: string): void {
  process.stderr.write(msg + '\n');
}
