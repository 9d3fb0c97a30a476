/** Sweeps end to end on a tiny budget: resume without recomputation, shards + collect = one run, validation. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/util/paths.js';

const CLI = packagePath('dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'gradep-sweep-'));
const gradep = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 170_000, maxBuffer: 64 * 1024 * 1024 });
const lines = (d: string) => readFileSync(join(d, 'results.jsonl'), 'utf8').trim().split('\n');

describe('gradep sweep', () => {
  const ckDir = join(dir, 'ideal');
  const sweep = join(dir, 'sweep.json');

  it('runs every point, resumes without recomputing, and shards + collect equal one run', () => {
    expect(gradep('train', '--steps', '1', '--batch', '8', '--relax', 'equilibrium', '--out', ckDir).status).toBe(0);
    writeFileSync(
      sweep,
      JSON.stringify({
        format: 'gradep-sweep/1',
        name: 'tiny',
        base: packagePath('circuits', 'reram.json'),
        checkpoint: join(ckDir, 'checkpoint.json'),
        vary: { 'synapse.g_dtod': [0, 0.1] },
        actions: ['insitu', 'transfer'],
        chip_seeds: [0],
        steps: 1,
        batch: 4,
        samples: 10,
        t1: 0.01,
      }),
    );
    const full = join(dir, 'full');
    const r = gradep('sweep', sweep, '--out', full, '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).points).toBe(4);
    const all = lines(full);
    expect(all).toHaveLength(4);
    // Kill half way: the last point is lost and its line was cut.
    writeFileSync(join(full, 'results.jsonl'), all.slice(0, 3).join('\n') + '\n' + all[3].slice(0, 20));
    expect(gradep('sweep', sweep, '--out', full).status).toBe(0);
    const resumed = lines(full).filter((l) => l.endsWith('}'));
    expect(resumed).toHaveLength(4);
    expect(resumed.slice(0, 3)).toEqual(all.slice(0, 3)); // not recomputed
    expect(JSON.parse(resumed[3]).metrics).toEqual(JSON.parse(all[3]).metrics); // same (spec, point, seed), same result
    // Two shards, then collect.
    const s0 = join(dir, 's0');
    const s1 = join(dir, 's1');
    expect(gradep('sweep', sweep, '--out', s0, '--shard', '0/2').status).toBe(0);
    expect(gradep('sweep', sweep, '--out', s1, '--shard', '1/2').status).toBe(0);
    expect(lines(s0)).toHaveLength(2);
    const merged = join(dir, 'merged');
    expect(gradep('sweep', 'collect', s0, s1, '--out', merged).status).toBe(0);
    const strip = (l: string) => {
      const o = JSON.parse(l);
      delete o.seconds;
      return o;
    };
    expect(lines(merged).map(strip)).toEqual(all.map(strip));
    // The report of the full run: figures, grids, README and a self-contained HTML page.
    const rep = join(dir, 'report');
    const rr = gradep('report', full, '--out', rep, '--json');
    expect(rr.status, rr.stderr).toBe(0);
    const files: string[] = JSON.parse(rr.stdout).files;
    expect(files.some((f) => f.endsWith('fd-vs-synapse_g_dtod.png'))).toBe(true);
    expect(files.filter((f) => /samples\/point-\d\.png$/.test(f))).toHaveLength(4);
    const page = readFileSync(join(rep, 'index.html'), 'utf8');
    expect(page).toContain('new Chart(');
    expect(page).not.toMatch(/<script src=|src="https?:|href="https?:/); // nothing fetched from a network
  });

  it('rejects a bad grid value before running, naming the file and the field', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'gradep-sweep/1', base: packagePath('circuits', 'reram.json'), vary: { 'synapse.g_dtod': [0, -0.5] } }));
    const r = gradep('sweep', bad);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/bad\.json \(vary on .*reram\.json\): synapse\.g_dtod: got -0\.5, allowed a number >= 0 and <= 1$/);
    const r2 = gradep('sweep', bad, '--shard', '3/2');
    expect(r2.status).toBe(1);
  });
});
