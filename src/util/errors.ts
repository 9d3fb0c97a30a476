/**
 * A user-facing error: one line that names the file, the field and the allowed range.
 * The CLI prints `message` alone (no stack) and exits 1; anything else is a bug.
 */
export class GradepError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GradepError';
  }
}

/** A bad command-line value found after parsing (e.g. one flag against another): the CLI exits 2. */
export class UsageError extends GradepError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A run whose relaxation diverged (a non-finite loss or gradient): a sweep records its point as failed and goes on. */
export class DivergedError extends GradepError {
  constructor(message: string) {
    super(message);
    this.name = 'DivergedError';
  }
}

/** Error for a value outside its allowed range; `where` is e.g. "circuits/x.json: relax.T". */
export function rangeError(where: string, value: unknown, allowed: string): GradepError {
  return new GradepError(`${where}: got ${JSON.stringify(value)}, allowed ${allowed}`);
}
