/**
 * Sweeps end to end on a tiny budget: resume without recomputation, shards + collect = one
 * run, validation; vary grids and random draws, `set`, `quick`, and the finetune and
 * gradient actions.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/util/paths.js';
import { loadSweep, sweepPoints } from '../src/experiments/sweep/index.js';
import { Rng } from '../src/util/rng.js';
import { generate, generateSnapshots } from '../src/flow/sample.js';
import { generateAnalogue } from '../src/flow/analogue.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { DEFAULT_EQUILIBRIUM } from '../src/circuit/analysis.js';
import { initParams } from '../src/learning/init.js';
import { PAPER_DIMS } from '../src/circuit/params.js';
import { defaultReportDir } from '../src/cli/commands/report.js';
import { FAST_FLAGSHIPS, FINDINGS, FLAGSHIPS, runFlagship } from './helpers/flagship.js';

const CLI = packagePath('dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'gradep-sweep-'));
const gradep = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 170_000, maxBuffer: 64 * 1024 * 1024 });
const lines = (d: string) => readFileSync(join(d, 'results.jsonl'), 'utf8').trim().split('\n');

const ckDir = join(dir, 'ideal');
/** A one-step ideal checkpoint, trained once for every test that needs one. */
function ideal(): string {
  const ck = join(ckDir, 'checkpoint.json');
  if (!existsSync(ck)) expect(gradep('train', '--steps', '1', '--batch', '8', '--relax', 'equilibrium', '--out', ckDir).status).toBe(0);
  return ck;
}

describe('gradep sweep', () => {
  const sweep = join(dir, 'sweep.json');

  it('runs every point, resumes without recomputing, and shards + collect equal one run', () => {
    ideal();
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
    // In-situ points record the resistive energy of a training step (the cost model's measured term); transfer points have none.
    const parsed = all.map((l) => JSON.parse(l));
    expect(parsed.filter((p) => p.action === 'insitu').every((p) => p.energy_per_step_j > 0)).toBe(true);
    expect(parsed.filter((p) => p.action === 'transfer').every((p) => p.energy_per_step_j === null)).toBe(true);
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
    expect(files.some((f) => f.endsWith('cost-per-step.png'))).toBe(true);
    expect(readFileSync(join(rep, 'README.md'), 'utf8')).toMatch(/\| `cost-per-step\.png`, `\*-vs-total-energy-of-training\.png`, table "per training step" \| yes \(measured\) \|/);
    const page = readFileSync(join(rep, 'index.html'), 'utf8');
    expect(page).toContain('new Chart(');
    expect(page).not.toMatch(/<script src=|src="https?:|href="https?:/); // nothing fetched from a network
    // A value dropped from the file: its results stay in the directory but leave the report.
    const spec = JSON.parse(readFileSync(sweep, 'utf8'));
    writeFileSync(sweep, JSON.stringify({ ...spec, vary: { 'synapse.g_dtod': [0.1] } }));
    expect(gradep('sweep', sweep, '--out', full).status).toBe(0);
    expect(lines(full).filter((l) => l.endsWith('}'))).toHaveLength(4); // nothing recomputed, nothing lost
    const rep2 = join(dir, 'report2');
    expect(gradep('report', full, '--out', rep2).status).toBe(0);
    const kept = readFileSync(join(rep2, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(kept.map((r) => [r.index, r.overrides['synapse.g_dtod']])).toEqual([[0, 0.1], [1, 0.1]]);
  });

  it('rejects a bad grid value before running, naming the file and the field', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'gradep-sweep/1', base: packagePath('circuits', 'reram.json'), vary: { 'synapse.g_dtod': [0, -0.5] } }));
    const r = gradep('sweep', bad);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/bad\.json: vary\.synapse\.g_dtod\[1\]: got -0\.5, allowed a number >= 0 and <= 1$/);
    const r2 = gradep('sweep', bad, '--shard', '3/2');
    expect(r2.status).toBe(2); // a bad --shard is a usage error
  });

  it('runs finetune and gradient points under --quick, and reports them with SI axes and gradient columns', () => {
    const f = join(dir, 'fg.json');
    writeFileSync(
      f,
      JSON.stringify({
        format: 'gradep-sweep/1',
        name: 'fg',
        base: packagePath('circuits', 'reram.json'),
        checkpoint: ideal(),
        vary: { 'transient.t_free': ['30 ns', '20 ns'] },
        actions: ['finetune', 'gradient'],
        chip_seeds: [0, 1, 2],
        samples: 500,
        quick: { chip_seeds: [0], batch: 4, samples: 10, t1: 0.01, finetune_steps: 2, gradient_batches: 1 },
      }),
    );
    const r = gradep('sweep', f, '--quick', '--json');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.points).toBe(4);
    expect(doc.out).toBe(join(dir, 'runs', 'sweeps', 'fg-quick'));
    const rows = lines(doc.out).map((l) => JSON.parse(l));
    const fine = rows.filter((x) => x.action === 'finetune');
    const grad = rows.filter((x) => x.action === 'gradient');
    expect(fine).toHaveLength(2);
    expect(grad).toHaveLength(2);
    for (const x of fine) {
      expect(Number.isFinite(x.metrics.fd)).toBe(true);
      expect(Number.isFinite(x.final_flow_mse)).toBe(true);
      expect(readFileSync(join(doc.out, 'points', x.key, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2); // finetune_steps of quick
    }
    for (const x of grad) {
      expect(x.metrics).toBeNull();
      expect(x.gradient.batches).toBe(1);
      for (const c of [x.gradient.cosine, x.gradient.cosine_mean_grad]) {
        expect(Number.isFinite(c)).toBe(true);
        expect(Math.abs(c)).toBeLessThanOrEqual(1 + 1e-12);
      }
      expect(x.gradient.rel_error).toBeGreaterThan(0);
    }
    // The exact gradient does not depend on the chip or t_free: one cache entry serves both.
    expect(readdirSync(join(doc.out, 'exact-grad-cache'))).toHaveLength(1);
    // A quick sweep's report defaults to runs/reports/, out of the committed reports/ tree.
    const rep = join(dir, 'runs', 'reports', 'fg-quick');
    const rr = gradep('report', doc.out, '--json');
    expect(rr.status, rr.stderr).toBe(0);
    expect(JSON.parse(rr.stdout).out).toBe(rep);
    expect(existsSync(join(dir, 'reports'))).toBe(false);
    expect(defaultReportDir({ name: 'fg', quick: false })).toBe(join('reports', 'fg'));
    expect(defaultReportDir({ name: 'fg-quick' })).toBe(join('runs', 'reports', 'fg-quick')); // sweep.json from before spec.quick
    const files: string[] = JSON.parse(rr.stdout).files;
    for (const name of ['fd-vs-transient_t_free.png', 'grad_cosine-vs-transient_t_free.png', 'training-finetune.png']) expect(files.some((x) => x.endsWith(name)), name).toBe(true);
    expect(files.some((x) => x.endsWith('final_flow_mse-vs-transient_t_free.png'))).toBe(true);
    const page = readFileSync(join(rep, 'index.html'), 'utf8');
    expect(page).toContain('transient.t_free (s)');
    expect(page).toMatch(/"x":\[2e-8,3e-8\]/); // "20 ns" and "30 ns" drawn at their SI values, in order
    const readme = readFileSync(join(rep, 'README.md'), 'utf8');
    expect(readme).toContain('| grad cosine |');
    expect(readme).toMatch(/\| gradient \| 0 \| "30 ns" \| - \| - \|/); // no sample metrics for gradient rows
  });

  it('measures an in-situ gradient that matches the exact one on a circuit without noise or mismatch', () => {
    const f = join(dir, 'ideal-grad.json');
    writeFileSync(
      f,
      JSON.stringify({
        format: 'gradep-sweep/1',
        name: 'ideal-grad',
        base: packagePath('circuits', 'ideal-continuous.json'),
        checkpoint: ideal(),
        set: { 'nudge.beta': 0.001 },
        vary: { 'transient.t_nudge': ['100 ns'] },
        actions: ['gradient'],
        chip_seeds: [0],
        batch: 4,
        gradient_batches: 1,
      }),
    );
    const out = join(dir, 'ideal-grad');
    const r = gradep('sweep', f, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const g = JSON.parse(lines(out)[0]).gradient;
    expect(g.cosine).toBeGreaterThan(0.9);
    expect(g.cosine).toBeLessThanOrEqual(1 + 1e-12);
    expect(g.exact_residual_max).toBeLessThan(1e-9);
  });
});

describe('sweep files', () => {
  const base = packagePath('circuits', 'reram.json');
  let n = 0;
  const file = (doc: Record<string, unknown>) => {
    const f = join(dir, `unit-${n++}.json`);
    writeFileSync(f, JSON.stringify({ format: 'gradep-sweep/1', base, actions: ['insitu'], chip_seeds: [0], ...doc }));
    return f;
  };
  const err = (doc: Record<string, unknown>, quick = false) => {
    const f = file(doc);
    try {
      loadSweep(f, { quick });
    } catch (e) {
      const m = (e as Error).message;
      expect(m.startsWith(`${f}`), m).toBe(true);
      expect(m).not.toContain('\n');
      return m.slice(f.length);
    }
    throw new Error('no error');
  };

  it('expands grids (linear and log, both ends included) in the field\'s SI unit', () => {
    const s = loadSweep(file({ vary: { 'synapse.g_dtod': { grid: [0, 0.2, 5] }, 'transient.t_free': { grid: [1e-9, 1e-7, 3], scale: 'log' } } }));
    expect(s.vary['synapse.g_dtod']).toEqual([0, 0.05, 0.1, 0.15, 0.2]);
    expect(s.vary['transient.t_free']).toEqual([1e-9, 1e-8, 1e-7]);
    const pts = sweepPoints(s, 'x');
    expect(pts).toHaveLength(15);
    expect(pts[4].circuit.transient.t_free).toBe(1e-8);
    expect(pts[4].circuit.synapse.g_dtod).toBe(0.05);
  });

  it('draws random values from Rng(seed, "vary", field): same file, same values', () => {
    const doc = { vary: { 'synapse.g_dtod': { random: 'uniform', low: 0, high: 0.2, n: 4, seed: 3 }, 'nudge.beta': { random: 'loguniform', low: 1e-3, high: 1e-1, n: 2 } } };
    const a = loadSweep(file(doc));
    const b = loadSweep(file(doc));
    expect(a.vary).toEqual(b.vary);
    const r = new Rng(3, 'vary', 'synapse.g_dtod');
    expect(a.vary['synapse.g_dtod']).toEqual([0, 1, 2, 3].map(() => Number((0.2 * r.uniform()).toPrecision(12))));
    for (const v of a.vary['nudge.beta'] as number[]) expect(v > 1e-3 && v < 1e-1).toBe(true);
    expect(sweepPoints(a, 'x').map((p) => p.key)).toEqual(sweepPoints(b, 'x').map((p) => p.key));
    const c = loadSweep(file({ vary: { 'synapse.g_dtod': { random: 'uniform', low: 0, high: 0.2, n: 4, seed: 4 } } }));
    expect(c.vary['synapse.g_dtod']).not.toEqual(a.vary['synapse.g_dtod']);
    const nrm = loadSweep(file({ vary: { 'node.capacitance': { random: 'normal', mean: 1e-13, std: 1e-14, n: 3, seed: 1 } } }));
    expect(nrm.vary['node.capacitance']).toHaveLength(3);
    for (const v of nrm.vary['node.capacitance'] as number[]) expect(Math.abs(v - 1e-13)).toBeLessThan(6e-14);
  });

  it('rejects bad grids and draws with one line naming the file, the field and what is allowed', () => {
    expect(err({ vary: { 'transient.t_free': { grid: [0, 1e-7, 3], scale: 'log' } } })).toBe(': vary.transient.t_free.grid: got [0,1e-7,3], allowed low > 0 with "scale": "log"');
    expect(err({ vary: { 'synapse.g_dtod': { grid: [0, 0.2, 1] } } })).toMatch(/^: vary\.synapse\.g_dtod\.grid: got \[0,0\.2,1\], allowed \[low, high, n\]/);
    expect(err({ vary: { 'synapse.g_dtod': { grid: [0, 0.2, 3], scale: 'cubic' } } })).toBe(': vary.synapse.g_dtod.scale: got "cubic", allowed "linear" or "log"');
    expect(err({ vary: { 'synapse.g_dtod': { grid: [0, 2, 3] } } })).toBe(': vary.synapse.g_dtod[2]: got 2, allowed a number >= 0 and <= 1');
    expect(err({ vary: { 'synapse.g_dtod': { random: 'gauss', n: 2 } } })).toBe(': vary.synapse.g_dtod.random: got "gauss", allowed "uniform", "loguniform" or "normal"');
    expect(err({ vary: { 'synapse.g_dtod': { random: 'normal', low: 0, high: 1, n: 2 } } })).toMatch(/^: vary\.synapse\.g_dtod\.low: unknown field, allowed fields here: random, mean, std, n, seed$/);
    expect(err({ vary: { 'synapse.g_dtod': { random: 'uniform', low: 0.2, high: 0.1, n: 2 } } })).toBe(': vary.synapse.g_dtod.high: got 0.1, allowed a finite number > low (0.2)');
    expect(err({ vary: { 'synapse.g_dtod': { random: 'loguniform', low: 0, high: 0.1, n: 2 } } })).toBe(': vary.synapse.g_dtod.low: got 0, allowed a finite number > 0 with "random": "loguniform"');
    expect(err({ vary: { 'synapse.g_dtod': { random: 'uniform', low: 0, high: 0.1, n: 0 } } })).toBe(': vary.synapse.g_dtod.n: got 0, allowed an integer 1..1000');
    expect(err({ vary: { 'synapse.g_dtod': { random: 'normal', mean: 0, std: 0.1, n: 20 } } })).toMatch(/^: vary\.synapse\.g_dtod\[\d+\]: got -[\d.e-]+, allowed a number >= 0 and <= 1$/);
    expect(err({ vary: { 'transient.solver': { grid: [0, 1, 2] } } })).toMatch(/^: vary\.transient\.solver: got .*, allowed a list of values \(grids and random draws need a numeric field; transient\.solver is a choice\)$/);
    expect(err({ vary: { 'synapse.nope': [1] } })).toMatch(/^: vary\.synapse\.nope: got "synapse\.nope", allowed a circuit field path such as/);
    expect(err({ vary: { 'synapse.g_dtod': [] } })).toMatch(/^: vary\.synapse\.g_dtod: got \[\], allowed a non-empty list of values, \{ "grid"/);
    expect(err({ vary: { 'synapse.g_dtod': [0, 0] } })).toMatch(/^: vary: points #0 .* and #1 .* are the same run, allowed distinct values$/);
    expect(err({ vary: { t1: [1, 0] } })).toBe(': vary.t1[1]: got 0, allowed a number > 0 and <= 100');
    expect(err({ vary: { t1: [1, 2] }, actions: ['gradient'] })).toMatch(/t1 has no effect on "gradient" points/);
  });

  it('varies the generation horizon t1 as a sweep-level field', () => {
    const s = loadSweep(file({ vary: { t1: { grid: [0.5, 1.5, 3] }, 'transient.t_free': ['30 ns'] }, actions: ['transfer'] }));
    const pts = sweepPoints(s, 'x');
    expect(pts.map((p) => p.t1)).toEqual([0.5, 1, 1.5]);
    expect(new Set(pts.map((p) => p.key)).size).toBe(3);
    expect(pts[0].circuit.transient.t_free).toBeCloseTo(30e-9, 20);
    // Without vary.t1, the key of an insitu/transfer point is what it was before t1 could vary.
    const plain = sweepPoints(loadSweep(file({ vary: { 'transient.t_free': ['30 ns'] }, actions: ['transfer'], t1: 1 })), 'x');
    expect(plain[0].key).toBe(pts[1].key);
  });

  it('applies set to every point before vary, and validates it', () => {
    const s = loadSweep(file({ set: { 'noise.temperature': '0 K', 'synapse.g_dtod': 0.3 }, vary: { 'synapse.g_dtod': [0, 0.1] } }));
    const pts = sweepPoints(s, 'x');
    expect(pts.map((p) => p.circuit.noise.temperature)).toEqual([0, 0]);
    expect(pts.map((p) => p.circuit.synapse.g_dtod)).toEqual([0, 0.1]); // vary wins over set
    expect(err({ set: { 'noise.temperature': '-3 K' }, vary: { 'synapse.g_dtod': [0] } })).toMatch(/^ \(set on .*reram\.json\): noise\.temperature: got "-3 K", allowed a number in K/);
    expect(err({ set: [1], vary: { 'synapse.g_dtod': [0] } })).toMatch(/^: set: got \[1\], allowed an object mapping circuit field paths to values/);
    expect(err({ set: { t1: 2 }, vary: { 'synapse.g_dtod': [0] } })).toMatch(/^: set\.t1: got "t1", allowed a circuit field path \(t1 is a sweep field/);
    expect(err({ set: { noise: { temperature: 0 } }, vary: { 'synapse.g_dtod': [0] } })).toMatch(/^: set\.noise: got "noise", allowed a circuit field path/);
  });

  it('applies quick only with --quick, validated like the rest of the file', () => {
    const doc = { name: 'q', steps: 100, vary: { 'synapse.g_dtod': [0, 0.1, 0.2], 'synapse.bits': [4, 6] }, quick: { steps: 3, chip_seeds: [5], vary: { 'synapse.g_dtod': [0.2] } } };
    const full = loadSweep(file(doc));
    expect(full.name).toBe('q');
    expect(full.steps).toBe(100);
    expect(sweepPoints(full, 'x')).toHaveLength(6);
    const q = loadSweep(file(doc), { quick: true });
    expect(q.name).toBe('q-quick');
    expect(q.steps).toBe(3);
    expect(q.chip_seeds).toEqual([5]);
    expect(q.vary).toEqual({ 'synapse.g_dtod': [0.2], 'synapse.bits': [4, 6] });
    expect(err({ ...doc, quick: { steps: 0 } })).toBe(': quick.steps: got 0, allowed an integer >= 1 and <= 1000000');
    expect(err({ ...doc, quick: { vary: { 'nudge.beta': [0.1] } } })).toBe(': quick.vary.nudge.beta: not varied by vary, allowed one of synapse.g_dtod, synapse.bits');
    expect(err({ ...doc, quick: { vary: { 'synapse.g_dtod': { grid: [0, 2, 2] } } } })).toBe(': quick.vary.synapse.g_dtod[1]: got 2, allowed a number >= 0 and <= 1');
    expect(err({ ...doc, quick: { name: 'x' } })).toMatch(/^: quick\.name: unknown field/);
    expect(err({ vary: { 'synapse.g_dtod': [0] } }, true)).toMatch(/^: quick: missing; --quick needs a "quick" object/);
  });
});

describe('linked vary fields', () => {
  const dir2 = mkdtempSync(join(tmpdir(), 'gradep-link-'));
  const write = (doc: Record<string, unknown>) => {
    const f = join(dir2, `s${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, JSON.stringify({ format: 'gradep-sweep/1', base: packagePath('circuits', 'reram.json'), ...doc }));
    return f;
  };
  it('moves "a+b" fields together, one tuple per point, and checks every tuple', () => {
    const s = loadSweep(write({ vary: { 'node.capacitance+transient.dt': [['100 fF', '0.1 ns'], ['200 fF', '0.2 ns']], 'synapse.g_dtod': [0, 0.1] }, actions: ['insitu'], chip_seeds: [0] }));
    const pts = sweepPoints(s, 'x');
    expect(pts).toHaveLength(4);
    const r12 = (x: number) => Number(x.toPrecision(12));
    expect(pts.map((p) => [r12(p.circuit.node.capacitance), r12(p.circuit.transient.dt)])).toEqual([[1e-13, 1e-10], [1e-13, 1e-10], [2e-13, 2e-10], [2e-13, 2e-10]]);
    const bad = (doc: Record<string, unknown>) => {
      try {
        loadSweep(write(doc));
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(bad({ vary: { 'node.capacitance+transient.dt': [['100 fF']] } })).toMatch(/vary\.node\.capacitance\+transient\.dt\[0\]: got \["100 fF"\], allowed a non-empty list of \[node\.capacitance, transient\.dt\] tuples/);
    expect(bad({ vary: { 'node.capacitance+node.capacitance': [[1, 2]] } })).toMatch(/linked twice/);
    expect(bad({ vary: { 'node.capacitance+transient.dt': [['100 fF', '0.1 ns']], 'transient.dt': ['0.1 ns'] } })).toMatch(/transient\.dt is varied twice/);
    expect(bad({ vary: { 'node.capacitance+transient.dtx': [['100 fF', '0.1 ns']] } })).toMatch(/allowed a circuit field path/);
  });
});

describe('generate points', () => {
  const paper = packagePath('circuits', 'paper.json');
  let n = 0;
  const file = (doc: Record<string, unknown>) => {
    const f = join(dir, `gen-${n++}.json`);
    writeFileSync(f, JSON.stringify({ format: 'gradep-sweep/1', base: paper, actions: ['generate'], chip_seeds: [0], ...doc }));
    return f;
  };
  const err = (doc: Record<string, unknown>) => {
    const f = file(doc);
    try {
      loadSweep(f);
    } catch (e) {
      const m = (e as Error).message;
      expect(m).not.toContain('\n');
      return m.slice(f.length);
    }
    throw new Error('no error');
  };

  it('vary generation fields and chip_seed (alone or linked with t1), keyed by the fields the mode uses', () => {
    const s = loadSweep(file({ generation: { dt: 0.02 }, vary: { 'generation.mode+t1+chip_seed+generation.hidden_T+generation.ratio': [['spring', 0.6, 3, 0, 30], ['energy_gd', 1, 0, 20, 30], ['analogue', 1.2, 0, 0, 10]] } }));
    const pts = sweepPoints(s, 'x');
    expect(pts.map((p) => [p.generation.mode, p.t1, p.chip_seed, p.generation.hidden_T, p.generation.ratio, p.generation.dt])).toEqual([
      ['spring', 0.6, 3, 0, 30, 0.02],
      ['energy_gd', 1, 0, 20, 30, 0.02],
      ['analogue', 1.2, 0, 0, 10, 0.02],
    ]);
    const keys = (g: Record<string, unknown>) => sweepPoints(loadSweep(file({ vary: { 'generation.hidden_T': [0, 5] }, generation: g })), 'x').map((p) => p.key);
    expect(keys({ ratio: 3 })).toEqual(keys({ ratio: 300 })); // ratio is no field of settle-then-step
    expect(keys({ dt: 0.02 })[0]).not.toBe(keys({})[0]);
    expect(new Set(keys({})).size).toBe(2);
    expect(err({ vary: { 'generation.ratio': [3, 30] } })).toMatch(/are the same run, allowed distinct values \(generation\.hidden_T and dt have no effect with mode "analogue", ratio and eps only with it\)$/);
  });

  it('rejects bad generation values with one line naming the file, the field and the range', () => {
    expect(err({ generation: { hidden_T: -1 }, vary: { t1: [1] } })).toBe(': generation.hidden_T: got -1, allowed an integer >= 0 and <= 100000');
    expect(err({ generation: { mode: 'euler' }, vary: { t1: [1] } })).toBe(': generation.mode: got "euler", allowed one of "spring", "energy_gd", "analogue"');
    expect(err({ vary: { 'generation.eps': [0.1, 0.9] } })).toBe(': vary.generation.eps[1]: got 0.9, allowed a number > 0 and <= 0.5');
    expect(err({ vary: { 'generation.mode+t1': [['spring', 1], ['diffuse', 1]] } })).toMatch(/^: vary\.generation\.mode\+t1\[1\]\[0\] \(generation\.mode\): got "diffuse", allowed one of "spring", "energy_gd", "analogue"$/);
    expect(err({ vary: { 'chip_seed+t1': [[-1, 1]] } })).toMatch(/^: vary\.chip_seed\+t1\[0\]\[0\] \(chip_seed\): got -1, allowed an integer >= 0/);
    expect(err({ vary: { 'generation.mode': { grid: [0, 1, 2] } } })).toMatch(/grids and random draws need a numeric field/);
    expect(err({ vary: { 'generation.hiddenT': [1] } })).toMatch(/^: vary\.generation\.hiddenT: got "generation\.hiddenT", allowed a circuit field path/);
    expect(err({ set: { 'generation.dt': 0.1 }, vary: { t1: [1] } })).toMatch(/^: set\.generation\.dt: got "generation\.dt", allowed a circuit field path \(generation\.dt is a sweep field/);
    expect(err({ format: 'gradep-experiment/1', vary: { t1: [1] } })).toMatch(/^: format: got "gradep-experiment\/1" \(retired\), allowed "gradep-sweep\/1"/);
  });

  it('one trajectory snapshotted at several t1 gives the samples of separate runs (points share it)', async () => {
    const p = initParams(PAPER_DIMS, 3);
    const relax = { method: 'equilibrium' as const, paper: { eps: 0.1, T: 300 }, equilibrium: DEFAULT_EQUILIBRIUM };
    for (const [mode, r] of [['spring', relax], ['energy_gd', { ...relax, method: 'paper' as const, paper: { eps: 0.1, T: 5 } }]] as const) {
      const o = { mode, lambda: 15, alpha: 2, relax: r, n: 3, dt: 0.01, seed: 2 };
      const snaps = await generateSnapshots(new LocalEngine(), p, PAPER_DIMS, o, [0.03, 0.01, 0.05]);
      for (const [i, t1] of [0.03, 0.01, 0.05].entries()) {
        const one = await generate(new LocalEngine(), p, PAPER_DIMS, { ...o, t1 });
        expect(snaps[i].samples).toEqual(one.samples);
        expect(snaps[i].evaluations).toBe(one.evaluations);
      }
    }
    const a = { n: 2, alpha: 2, ratio: 3, eps: 0.1, seed: 1 };
    const both = generateAnalogue(p, PAPER_DIMS, a, [0.2, 0.1]);
    expect(both[0]).toEqual(generateAnalogue(p, PAPER_DIMS, a, [0.2])[0]);
    expect(both[1]).toEqual(generateAnalogue(p, PAPER_DIMS, a, [0.1])[0]);
  });
});

describe('the flagship sweeps', () => {
  // Every committed sweep file runs end to end on its --quick budget and turns into a report.
  const flagships = FLAGSHIPS;
  it('are all here', () => {
    expect(FAST_FLAGSHIPS.every((f) => flagships.includes(f))).toBe(true);
    expect(flagships).toEqual(expect.arrayContaining(['relaxation-vs-quality.json', 'sweep-mismatch.json', 'sweep-nudge-gradient.json', 'sweep-nudge-quality.json', 'sweep-bits.json', 'sweep-relaxation-reram.json', 'sweep-nudge-settling.json', 'sweep-transfer-ablation.json', 'sweep-pulsed-asymmetry.json', 'sweep-activation-cmos.json']));
  });
  // A quick budget must still mean something: samples generated over the full horizon (t1 = 0.1
  // is 11 Euler steps from noise) and a line, not a dot, per chart.
  it('have quick budgets that sample at t1 >= 1 and sweep the first field over two or more values', () => {
    for (const f of flagships) {
      const s = loadSweep(packagePath('experiments', f), { quick: true });
      const pts = sweepPoints(s, f);
      for (const p of pts) if (p.action !== 'gradient') expect(p.t1, `${f} #${p.index}`).toBeGreaterThanOrEqual(1);
      const first = Object.keys(s.vary)[0];
      const values = new Set(s.vary[first].map((v) => JSON.stringify(Array.isArray(v) ? v[0] : v)));
      expect(values.size, `${f}: ${first}`).toBeGreaterThanOrEqual(2);
    }
  });
  // The update-modes sweeps (one per device preset, reports/update-modes) are validated, not run: each is one in-situ sweep of the flagships' kind.
  it('experiments/update-modes/*.json are valid sweeps of 3 chips at one budget, their quick budgets too', () => {
    const files = readdirSync(packagePath('experiments', 'update-modes')).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual(['pcm.json', 'reram-es.json', 'reram-sb.json', 'reram.json']);
    for (const f of files) {
      const path = packagePath('experiments', 'update-modes', f);
      const s = loadSweep(path);
      expect([s.steps, s.batch, s.chip_seeds], f).toEqual([300, 32, [0, 1, 2]]);
      expect(sweepPoints(s, f).length, f).toBeGreaterThanOrEqual(6);
      expect(sweepPoints(loadSweep(path, { quick: true }), f).length, f).toBeGreaterThanOrEqual(2);
    }
  });
  // One here; the rest in test/slow/flagship-sweeps.test.ts (npm run test:slow).
  for (const f of FAST_FLAGSHIPS) it(`${f} runs with --quick and reports`, () => runFlagship(dir, f));
  // The findings' standard (issue 17): at least 4 chips, 1000 samples where samples are drawn, in-situ runs of 2000 steps at batch 256.
  it('experiments/findings/*.json hold the findings standard, and their quick budgets load', () => {
    expect(FINDINGS.length).toBeGreaterThanOrEqual(7);
    for (const f of FINDINGS) {
      const path = packagePath('experiments', f);
      const s = loadSweep(path);
      expect(s.chip_seeds.length, f).toBeGreaterThanOrEqual(4);
      const pts = sweepPoints(s, f);
      if (pts.some((p) => p.action !== 'gradient')) expect(s.samples, f).toBe(1000);
      if (pts.some((p) => p.action === 'insitu')) expect([s.steps, s.batch], f).toEqual([2000, 256]);
      expect(sweepPoints(loadSweep(path, { quick: true }), f).length, f).toBeGreaterThanOrEqual(1);
    }
  });
  it('findings/insitu-reram.json runs with --quick (in situ, transfer, fine-tune) and reports', () => runFlagship(dir, join('findings', 'insitu-reram.json')));
});
