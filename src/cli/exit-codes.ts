/** The exit-code convention of every command; main.ts applies it and the generated CLI docs list it. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const EXIT_CODES: readonly { code: number; meaning: string }[] = [
  { code: EXIT_OK, meaning: 'ok (also for --help and --version)' },
  { code: EXIT_FAILURE, meaning: 'failure: a one-line message on stderr naming file, field and allowed range' },
  { code: EXIT_USAGE, meaning: 'usage error: unknown command or option, missing required option, invalid option value' },
];
