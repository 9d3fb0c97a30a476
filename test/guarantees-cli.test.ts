/** The guarantees through the built CLI: resume identity, flag overrides validated, no non-finite results. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/util/paths.js';

const CLI = packagePath('dist', 'cli', 'main.js');
const TINY = packagePath('test', 'fixtures', 'tiny-circuit.json');
const dir = mkdtempSync(join(tmpdir(), 'gradep-guard-cli-'));

function gradep(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 170_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('guarantees through the CLI', () => {
  it('train --resume with another circuit: one-line error, exit 1; --override-circuit records it', () => {
    const run = join(dir, 'run');
    const train = (...extra: string[]) => gradep('train', '--steps', '2', '--batch', '4', '--relax', 'equilibrium', '--seed', '5', '--out', run, '--engine', 'js', '--json', ...extra);
    expect(gradep('train', '--circuit', TINY, '--steps', '1', '--batch', '4', '--relax', 'equilibrium', '--seed', '5', '--out', run, '--engine', 'js').code).toBe(0);
    const other = join(dir, 'other.json');
    const c = JSON.parse(readFileSync(TINY, 'utf8'));
    c.synapse = { g_dtod: 0.1 };
    writeFileSync(other, JSON.stringify(c));
    const bad = train('--circuit', other, '--resume');
    expect(bad.code).toBe(1);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toMatch(/checkpoint\.json: circuit\.synapse\.g_dtod is 0 but this run asks for 0\.1; resume with the same circuit or pass --override-circuit/);
    const ok = train('--circuit', other, '--resume', '--override-circuit');
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(readFileSync(join(run, 'checkpoint.json'), 'utf8')).overrides).toEqual([{ step: 1, fields: [{ field: 'circuit.synapse.g_dtod', was: 0, now: 0.1 }] }]);
  });

  it('grad --beta past the stability bound is a usage error naming the flag and the range', () => {
    const pairs = join(dir, 'pairs.json');
    writeFileSync(pairs, JSON.stringify({ xt: [Array(64).fill(0.1)], ut: [Array(64).fill(0.2)] }));
    const r = gradep('grad', '--checkpoint', packagePath('reports', 'quick', 'checkpoint.json'), '--pairs', pairs, '--beta', '0.01', '--json');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    // A usage error: the message, then commander's one-line hint to --help.
    expect(r.err.split('\n')[0]).toMatch(/--beta: got 0\.01, allowed 0 < beta < 0\.00444 for this circuit and relaxation/);
  });

  it('a result with a non-finite number is an error, not nulls', () => {
    const ck = packagePath('test', 'fixtures', 'checkpoint-v1.json');
    const huge = join(dir, 'huge-ck.json');
    const raw = JSON.parse(readFileSync(ck, 'utf8'));
    raw.params.W0[0][0] = 1e300;
    writeFileSync(huge, JSON.stringify(raw));
    const s = gradep('sample', '--checkpoint', huge, '--n', '2', '--t1', '0.05', '--out', join(dir, 'nan-samples.json'));
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/nan-samples\.json: [\w.[\]]+ is (NaN|Infinity|-Infinity) .*nothing written/);
    expect(existsSync(join(dir, 'nan-samples.json'))).toBe(false);
    const pairs = join(dir, 'huge.json');
    writeFileSync(pairs, JSON.stringify({ xt: [Array(64).fill(1e300)], ut: [Array(64).fill(0.2)] }));
    const r = gradep('grad', '--checkpoint', packagePath('reports', 'quick', 'checkpoint.json'), '--pairs', pairs, '--relax', 'paper', '--json');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/gradep: result: [a-z_.]+[\w.[\]]* is (NaN|Infinity|-Infinity)/);
  });
});
