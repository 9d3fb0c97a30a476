/** A committed sweep file (experiments/*.json) run end to end on its --quick budget and reported, through the built CLI. */
import { expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../src/util/paths.js';

/** Every committed sweep file. */
export const FLAGSHIPS = readdirSync(packagePath('experiments')).filter((f) => f.endsWith('.json'));
/**
 * The one run by `npm test` (test/sweep.test.ts; the cheapest, a few seconds); the others,
 * 10-25 s each, by `npm run test:slow` (test/slow/flagship-sweeps.test.ts). Their quick budgets
 * are validated by test/sweep.test.ts either way.
 */
export const FAST_FLAGSHIPS = ['sweep-nudge-settling.json'];

/** The issue-17 findings sweeps (experiments/findings/*.json), as paths relative to experiments/. */
export const FINDINGS = readdirSync(packagePath('experiments', 'findings'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => join('findings', f));

export function runFlagship(dir: string, f: string): void {
  const gradep = (...args: string[]) => spawnSync(process.execPath, [packagePath('dist', 'cli', 'main.js'), ...args], { encoding: 'utf8', cwd: dir, timeout: 170_000, maxBuffer: 64 * 1024 * 1024 });
  const out = join(dir, `flagship-${f.replace(/\//g, '-')}`);
  const lines = () => readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n');
  const r = gradep('sweep', packagePath('experiments', f), '--quick', '--out', out, '--json');
  expect(r.status, r.stderr).toBe(0);
  expect(lines().length).toBe(JSON.parse(r.stdout).points);
  for (const l of lines()) {
    const row = JSON.parse(l);
    if (row.action === 'gradient') {
      expect(row.gradient.cosine).toBeGreaterThan(-1);
      expect(row.gradient.cosine).toBeLessThanOrEqual(1);
    } else expect(Number.isFinite(row.metrics.fd)).toBe(true);
  }
  const rep = gradep('report', out, '--out', join(out, 'report'));
  expect(rep.status, rep.stderr).toBe(0);
  expect(readFileSync(join(out, 'report', 'README.md'), 'utf8')).toContain('|');
  // Generation sweeps draw quality against relaxation time and horizon.
  if (f === 'relaxation-vs-quality.json') for (const png of ['quality-vs-time-fd.png', 'horizon-fd.png']) expect(existsSync(join(out, 'report', png))).toBe(true);
}
