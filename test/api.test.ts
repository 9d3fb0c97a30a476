/**
 * docs/api.md's example program is real: this runs the exact code block of the page
 * against the built package (imported by its own name, as a user would).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const WORK = join(ROOT, 'runs', 'api-test');

describe('docs/api.md', () => {
  afterAll(() => {
    rmSync(WORK, { recursive: true, force: true });
    rmSync(join(ROOT, 'runs', 'api-example'), { recursive: true, force: true });
  });

  it('the example program runs: trains, samples ideal and on a chip, scores both', () => {
    const page = readFileSync(join(ROOT, 'docs', 'api.md'), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(page)?.[1];
    expect(code).toBeTruthy();
    rmSync(join(ROOT, 'runs', 'api-example'), { recursive: true, force: true });
    mkdirSync(WORK, { recursive: true });
    writeFileSync(join(WORK, 'example.mjs'), code as string);
    const out = execFileSync(process.execPath, [join(WORK, 'example.mjs')], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    const steps = out.split('\n').filter((l) => l.startsWith('step '));
    expect(steps).toHaveLength(10);
    const m = /trained 10 steps; FD ideal ([\d.]+), ReRAM ([\d.]+), ([\d.e+-]+) J per sample on the chip/.exec(out);
    expect(m).not.toBeNull();
    const [fdIdeal, fdChip, joules] = (m as RegExpExecArray).slice(1).map(Number);
    // A trained network on the ideal circuit beats its transfer onto a noisy chip at equal n.
    expect(fdIdeal).toBeGreaterThan(0);
    expect(fdChip).toBeGreaterThan(fdIdeal);
    expect(joules).toBeGreaterThan(0);
  });
});
