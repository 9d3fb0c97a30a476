/**
 * Fault injection: `train`, `sweep` and `report` killed with SIGKILL at a random moment (drawn
 * from a seeded stream, so a failure replays), then resumed or rerun, end bit-identical to an
 * uninterrupted run (wall times aside).
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { packagePath } from '../src/util/paths.js';
import { Rng } from '../src/util/rng.js';

const CLI = packagePath('dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'gradep-faults-'));
const gradep = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 120_000 });
const rng = new Rng(2026, 'faults');

/** Start a command and SIGKILL it after `ms` (if still running); resolves when it is gone. */
function killAfter(ms: number, ...args: string[]): Promise<{ killed: boolean }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: 'ignore' });
    const t = setTimeout(() => c.kill('SIGKILL'), ms);
    c.on('exit', (_code, signal) => {
      clearTimeout(t);
      res({ killed: signal === 'SIGKILL' });
    });
  });
}

/** A delay in [lo, hi] ms from the seeded stream. */
const delay = (lo: number, hi: number) => Math.round(lo + (hi - lo) * rng.uniform());

const jsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const { seconds: _s, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });

/** The training state a resumed run must reproduce exactly. */
function state(out: string) {
  const ck = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8'));
  return { step: ck.step, params: ck.params, ema: ck.ema_params, optimizer: ck.optimizer, last: ck.last, log: jsonl(join(out, 'log.jsonl')) };
}

function files(root: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else m.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return m;
}

describe('killed with SIGKILL and resumed, a run ends bit-identical', () => {
  it('train: params, EMA, optimizer state and log', async () => {
    // 60 steps (about 1.2 s alone): the kills land before the run ends, also on a fast machine.
    const args = ['train', '--steps', '60', '--batch', '8', '--relax', 'equilibrium', '--checkpoint-every', '3'];
    expect(gradep(...args, '--out', join(dir, 'train-ref')).status).toBe(0);
    const out = join(dir, 'train-killed');
    let killed = 0;
    for (let k = 0; k < 2; k++) {
      const resume = existsSync(join(out, 'checkpoint.json')) ? ['--resume'] : [];
      if ((await killAfter(delay(300, 900), ...args, ...resume, '--out', out)).killed) killed++;
    }
    expect(killed).toBeGreaterThan(0);
    const r = gradep(...args, ...(existsSync(join(out, 'checkpoint.json')) ? ['--resume'] : []), '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(state(out)).toEqual(state(join(dir, 'train-ref')));
  });

  const sweep = join(dir, 'sweep.json');
  it('sweep: results (stale locks of the killed process taken over)', async () => {
    expect(gradep('train', '--steps', '1', '--batch', '8', '--relax', 'equilibrium', '--out', join(dir, 'ideal')).status).toBe(0);
    const spec = { format: 'gradep-sweep/1', name: 'faults', base: packagePath('circuits', 'reram.json'), checkpoint: join(dir, 'ideal', 'checkpoint.json') };
    writeFileSync(sweep, JSON.stringify({ ...spec, vary: { 'synapse.g_dtod': [0, 0.1] }, actions: ['insitu', 'transfer'], chip_seeds: [0], steps: 4, batch: 4, samples: 10, t1: 0.01 }));
    expect(gradep('sweep', sweep, '--out', join(dir, 'sweep-ref')).status).toBe(0);
    const out = join(dir, 'sweep-killed');
    let killed = 0;
    for (let k = 0; k < 2; k++) if ((await killAfter(delay(700, 3500), 'sweep', sweep, '--out', out)).killed) killed++;
    expect(killed).toBeGreaterThan(0);
    // Whatever the kills left, locks of a dead process on this host: on a finished point (as
    // when a kill falls between its result and its release) and on an unfinished one.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const keys: string[] = JSON.parse(gradep('sweep', sweep, '--list', '--json').stdout).points.map((p: { key: string }) => p.key);
    const finished = new Set(existsSync(join(out, 'results.jsonl')) ? jsonl(join(out, 'results.jsonl')).map((r) => r.key) : []);
    mkdirSync(join(out, 'locks'), { recursive: true });
    for (const k of [keys.find((k) => finished.has(k)), keys.find((k) => !finished.has(k))]) {
      if (k) writeFileSync(join(out, 'locks', `${k}.lock`), JSON.stringify({ pid: Number(dead), host: hostname() }));
    }
    const r = gradep('sweep', sweep, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const byKey = (d: string) => jsonl(join(d, 'results.jsonl')).sort((a, b) => String(a.key).localeCompare(String(b.key)));
    expect(byKey(out)).toEqual(byKey(join(dir, 'sweep-ref')));
    expect(readdirSync(join(out, 'locks'))).toEqual([]);
  });

  it('report: every file as a clean run writes it', async () => {
    const src = join(dir, 'sweep-ref');
    expect(gradep('report', src, '--out', join(dir, 'report-ref')).status).toBe(0);
    const out = join(dir, 'report-killed');
    expect((await killAfter(delay(300, 1500), 'report', src, '--out', out)).killed).toBe(true);
    expect(gradep('report', src, '--out', out).status).toBe(0);
    expect(files(out)).toEqual(files(join(dir, 'report-ref')));
  });
});
