/**
 * Sweep directories under change and contention: points keyed by the checkpoint's contents
 * (old directories still readable), two writers sharing one directory, a diverged point
 * recorded as failed, a point left by older code restarted, and `train --resume` with
 * nothing to resume.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/util/paths.js';

const CLI = packagePath('dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'gradep-sweeplock-'));
const gradep = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 170_000, maxBuffer: 64 * 1024 * 1024 });
const gradepAsync = (...args: string[]) =>
  new Promise<{ status: number | null; stderr: string }>((res) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd: dir });
    let stderr = '';
    c.stderr.on('data', (b) => (stderr += b));
    c.on('close', (status) => res({ status, stderr }));
  });
const lines = (d: string) => readFileSync(join(d, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
/** A result without its wall time, the one field that differs between equal runs. */
const noTime = ({ seconds: _s, ...r }: Record<string, unknown>) => r;

/** A one-step ideal checkpoint of run seed `seed`. */
function ideal(seed: number): string {
  const out = join(dir, `ideal-${seed}`);
  if (!existsSync(join(out, 'checkpoint.json'))) expect(gradep('train', '--steps', '1', '--batch', '8', '--relax', 'equilibrium', '--seed', String(seed), '--out', out).status).toBe(0);
  return join(out, 'checkpoint.json');
}

function sweepFile(name: string, o: Record<string, unknown>): string {
  const f = join(dir, `${name}.json`);
  writeFileSync(f, JSON.stringify({ format: 'gradep-sweep/1', name, base: packagePath('circuits', 'reram.json'), chip_seeds: [0], batch: 4, samples: 10, t1: 0.01, ...o }));
  return f;
}

describe('sweep keys name the checkpoint by its contents', () => {
  it('replacing the checkpoint file recomputes transfer points; sweep.json records the key version', () => {
    const ck = join(dir, 'named.json');
    copyFileSync(ideal(0), ck);
    const f = sweepFile('replace', { checkpoint: ck, vary: { 'synapse.g_dtod': [0] }, actions: ['transfer'] });
    const out = join(dir, 'replace');
    expect(gradep('sweep', f, '--out', out).status).toBe(0);
    copyFileSync(ideal(1), ck);
    const r = gradep('sweep', f, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\(cached\)/);
    const rows = lines(out);
    expect(rows).toHaveLength(2);
    expect(rows[0].key).not.toBe(rows[1].key);
    expect((rows[0].metrics as { fd: number }).fd).not.toBe((rows[1].metrics as { fd: number }).fd);
    const meta = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(meta.keys.version).toBe(2);
    expect(meta.keys.checkpoint_sha256).toMatch(/^[0-9a-f]{64}$/);
    // The same contents again: cached.
    expect(gradep('sweep', f, '--out', out).stderr).toMatch(/\(cached\)/);
  });

  it('a committed report (keys of version 1, no key version in sweep.json) still reports its points', () => {
    const sd = join(dir, 'ablation');
    mkdirSync(sd);
    for (const f of ['results.jsonl', 'sweep.json']) copyFileSync(packagePath('reports', 'transfer-ablation', f), join(sd, f));
    const r = gradep('report', sd, '--out', join(sd, 'report'), '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(lines(join(sd, 'report'))).toHaveLength(lines(sd).length);
  });
});

describe('two sweeps into one directory share the work', () => {
  it('each point runs once, with the values of a single run', async () => {
    const f = sweepFile('shared', { checkpoint: ideal(0), vary: { 'synapse.g_dtod': [0, 0.05, 0.1] }, actions: ['insitu', 'finetune'], steps: 3, finetune_steps: 3 });
    const single = join(dir, 'single');
    expect(gradep('sweep', f, '--out', single).status).toBe(0);
    const both = join(dir, 'both');
    const [a, b] = await Promise.all([gradepAsync('sweep', f, '--out', both), gradepAsync('sweep', f, '--out', both)]);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    const rows = lines(both);
    const keys = rows.map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(6);
    const want = new Map(lines(single).map((r) => [r.key, noTime(r)]));
    for (const r of rows) expect(noTime(r)).toEqual(want.get(r.key as string));
    expect(readdirSync(join(both, 'locks'))).toEqual([]);
  });
});

describe('failures and leftovers', () => {
  it('a point whose relaxation diverges is recorded as failed; the sweep completes and the report skips it', () => {
    const bad = join(dir, 'diverging.json');
    const ck = JSON.parse(readFileSync(ideal(0), 'utf8'));
    ck.params.W0[0][0] = 1e300;
    writeFileSync(bad, JSON.stringify(ck));
    const f = sweepFile('diverge', { checkpoint: bad, vary: { 'synapse.g_dtod': [0] }, actions: ['transfer', 'gradient'], gradient_batches: 1 });
    const out = join(dir, 'diverge');
    const r = gradep('sweep', f, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const rows = lines(out);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ action: 'gradient', metrics: null, error: expect.stringMatching(/is NaN \(the relaxation diverged\)/) });
    expect(rows[1].gradient).toBeUndefined();
    const rep = gradep('report', out, '--out', join(out, 'report'));
    expect(rep.status, rep.stderr).toBe(0);
    expect(rep.stderr).toMatch(/note: skipped failed point #1 gradient/);
    // Not recomputed on resume: the same inputs diverge again.
    expect(gradep('sweep', f, '--out', out).status).toBe(0);
    expect(lines(out)).toHaveLength(2);
  });

  it('a point directory holding a gradep-checkpoint/1 file is restarted with a note, not refused', () => {
    const f = sweepFile('v1point', { checkpoint: ideal(0), vary: { 'synapse.g_dtod': [0] }, actions: ['insitu'], steps: 2 });
    const out = join(dir, 'v1point');
    expect(gradep('sweep', f, '--out', out).status).toBe(0);
    const first = lines(out);
    const ckPath = join(out, 'points', first[0].key as string, 'checkpoint.json');
    const ck = JSON.parse(readFileSync(ckPath, 'utf8'));
    // What older code wrote: format 1, no engine, no chip seed; and the sweep was cut before its result.
    ck.format = 'gradep-checkpoint/1';
    delete ck.engine;
    delete ck.seeds.chip;
    delete ck.overrides;
    writeFileSync(ckPath, JSON.stringify(ck));
    writeFileSync(join(out, 'results.jsonl'), '');
    const r = gradep('sweep', f, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/note: .*checkpoint\.json: format "gradep-checkpoint\/1" from older code cannot be resumed; the point is recomputed/);
    expect(lines(out).map(noTime)).toEqual(first.map(noTime));
  });

  it('train --resume with nothing to resume is a one-line error', () => {
    const empty = join(dir, 'empty-run');
    mkdirSync(empty);
    for (const d of [empty, join(dir, 'missing-run')]) {
      const r = gradep('train', '--steps', '1', '--batch', '8', '--relax', 'equilibrium', '--resume', '--out', d);
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`gradep: ${d}: nothing to resume (no checkpoint.json)`);
      expect(existsSync(join(d, 'checkpoint.json'))).toBe(false);
    }
  });
});
