/** docs/cli.md is generated from the commander definitions; regenerating it must give the committed file. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliMarkdown } from '../src/cli/docs.js';
import { buildProgram } from '../src/cli/program.js';
import { packagePath } from '../src/util/paths.js';

describe('docs/cli.md', () => {
  const doc = cliMarkdown(buildProgram());

  it('is up to date (regenerate with npm run docs:cli)', () => {
    expect(doc).toBe(readFileSync(packagePath('docs', 'cli.md'), 'utf8'));
  });

  it('covers every command and shows no machine paths', () => {
    for (const c of buildProgram().commands) expect(doc).toContain(`## gradep ${c.name()}\n`);
    expect(doc).toContain('## gradep evaluator train\n');
    expect(doc).toContain('`"circuits/paper.json"`');
    expect(doc).not.toContain(packagePath());
  });
});
