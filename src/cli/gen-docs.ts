/** Prints docs/cli.md: `node dist/cli/gen-docs.js > docs/cli.md` (npm run docs:cli). */
import { cliMarkdown } from './docs.js';
import { buildProgram } from './program.js';

process.stdout.write(cliMarkdown(buildProgram()));
