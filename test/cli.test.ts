/** End-to-end runs of every command on tiny budgets, through the built CLI (npm test builds first). */
import { buildProgram } from '../src/cli/program.js';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packagePath } from '../src/util/paths.js';

const CLI = packagePath('dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'gradep-cli-'));

function gradep(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, timeout: 170_000, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function json(r: { code: number | null; out: string; err: string }) {
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out); // exactly one JSON document on stdout
}

describe('gradep CLI', () => {
  const run = join(dir, 'run');
  const ck = join(run, 'checkpoint.json');

  it('--help works for every command', () => {
    // The binary once (exit code, stdout); every command's help in process (each start of the CLI costs ~1.7 s).
    const r = gradep('train', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: gradep train');
    const cmds = buildProgram().commands;
    expect(cmds.map((c) => c.name())).toEqual(expect.arrayContaining(['train', 'velocity', 'grad', 'sample', 'demo', 'circuit', 'plot-log', 'relax', 'eval', 'sweep', 'report', 'bench', 'report-run', 'cost', 'netlist', 'spice']));
    for (const c of cmds) {
      expect(c.helpInformation()).toContain('Usage: gradep ' + c.name());
      expect(c.description().length).toBeGreaterThan(10);
    }
  });

  it('train, then resume', () => {
    const a = json(gradep('train', '--steps', '2', '--batch', '16', '--relax', 'equilibrium', '--out', run, '--json'));
    expect(a.step).toBe(2);
    expect(existsSync(ck)).toBe(true);
    const again = gradep('train', '--steps', '3', '--batch', '16', '--relax', 'equilibrium', '--out', run);
    expect(again.code).toBe(1);
    expect(again.err.trim().split('\n')).toHaveLength(1);
    expect(again.err).toMatch(/checkpoint already exists; pass --resume/);
    const b = json(gradep('train', '--steps', '3', '--batch', '16', '--relax', 'equilibrium', '--out', run, '--resume', '--json'));
    expect(b.step).toBe(3);
    const log = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(Object.keys(log[0])).toEqual(expect.arrayContaining(['step', 'flow_mse', 'grad_norm', 'free_residual_max', 'seconds']));
  });

  it('report-run writes the loss curve, four sample grids and a README with metrics', () => {
    const r = json(gradep('report-run', run, '--n', '10', '--json'));
    expect(r.results).toHaveLength(4);
    for (const x of r.results) expect(existsSync(x.png)).toBe(true);
    expect(existsSync(join(run, 'loss.png'))).toBe(true);
    const readme = readFileSync(join(run, 'README.md'), 'utf8');
    expect(readme).toContain('Sample quality');
    // Per-class frequencies per set (percent, 10 classes) and the same numbers as JSON.
    expect(readme).toContain('Per-class frequencies');
    expect(readme).toContain('report-run ' + run + ' --n 10');
    const q = JSON.parse(readFileSync(join(run, 'quality.json'), 'utf8'));
    expect(q.format).toBe('gradep-run-quality/1');
    expect(q.sets).toHaveLength(4);
    for (const s of q.sets) expect(s.metrics.class_freq.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('velocity in both modes', () => {
    const pts = join(dir, 'pts.json');
    writeFileSync(pts, JSON.stringify([Array(64).fill(0.1), Array(64).fill(-0.5)]));
    for (const mode of ['spring', 'energy_gd']) {
      const v = json(gradep('velocity', '--checkpoint', ck, '--points', pts, '--mode', mode, '--relax', 'equilibrium', '--json'));
      expect(v.velocities).toHaveLength(2);
      expect(v.velocities[0]).toHaveLength(64);
      expect(v.velocities[0].every(Number.isFinite)).toBe(true);
    }
  });

  it('grad --exact agrees with the GradEP estimate', () => {
    const pairs = join(dir, 'pairs.json');
    const row = (f: (j: number) => number) => Array.from({ length: 64 }, (_, j) => f(j));
    writeFileSync(pairs, JSON.stringify({ xt: [row((j) => Math.sin(j)), row((j) => Math.cos(j) * 0.5)], ut: [row((j) => 0.3 * Math.cos(2 * j)), row((j) => -0.2)] }));
    const g = json(gradep('grad', '--checkpoint', ck, '--pairs', pairs, '--beta', '1e-3', '--relax', 'equilibrium', '--exact', '--json'));
    expect(g.grads.W0).toHaveLength(128);
    expect(g.exact.W1[0]).toHaveLength(128);
    expect(g.cosine).toBeGreaterThanOrEqual(0.999);
    expect(g.rel_error).toBeLessThanOrEqual(1e-2);
  });

  it('sample writes samples and a PNG grid', () => {
    const out = join(dir, 's.json');
    const r = json(gradep('sample', '--checkpoint', ck, '--n', '4', '--t1', '0.03', '--out', out, '--png', '--json'));
    expect(r.evaluations).toBe(4);
    const s = JSON.parse(readFileSync(out, 'utf8'));
    expect(s.samples).toHaveLength(4);
    expect(readFileSync(join(dir, 's.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('demo on a tiny budget: trains, then compares this run, the paper checkpoint ideal and on a chip, at one n', () => {
    const out = join(dir, 'demo');
    const r = json(gradep('demo', '--steps', '2', '--batch', '16', '--samples', '10', '--out', out, '--json'));
    for (const f of [r.checkpoint, r.loss_png, r.samples_png]) expect(existsSync(f)).toBe(true);
    const rows = r.compare as { name: string; metrics: { n: number; fd: number }; energy_per_sample_j: number | null; time_per_sample_s: number | null }[];
    expect(rows.map((x) => x.name)).toEqual(['this run, ideal', 'paper, ideal', 'paper, reram', '(real digits)']);
    // Like with like: every row, the real-digit reference included, at the same sample count.
    for (const x of rows) expect(x.metrics.n).toBe(10);
    expect(rows[2].energy_per_sample_j).toBeGreaterThan(0);
    expect(rows[2].time_per_sample_s).toBeCloseTo(101 * 30e-9, 12);
    expect(rows[1].energy_per_sample_j).toBeNull();
    // The trained paper network beats two steps of training from scratch.
    expect(rows[1].metrics.fd).toBeLessThan(rows[0].metrics.fd);
  });

  it('bad input: one-line errors, exit 1; usage errors exit 2', () => {
    const bad = join(dir, 'bad-circuit.json');
    writeFileSync(bad, JSON.stringify({ format: 'gradep-circuit/1', spring: { lambda: 'stiff' } }));
    const r1 = gradep('circuit', bad);
    expect(r1.code).toBe(1);
    expect(r1.err.trim()).toMatch(/bad-circuit\.json: spring\.lambda: got "stiff", allowed a number > 0 and <= 10000$/);
    const r2 = gradep('sample', '--checkpoint', join(dir, 'none.json'), '--out', join(dir, 'x.json'));
    expect(r2.code).toBe(1);
    expect(r2.err.trim()).toMatch(/none\.json: checkpoint not found$/);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
    const r3 = gradep('train', '--batch', '0');
    expect(r3.code).toBe(2);
    expect(r3.err).toMatch(/--batch: got "0", allowed an integer 2\.\.1797/);
    expect(gradep('train', '--no-such-flag').code).toBe(2);
    const pts = join(dir, 'badpts.json');
    writeFileSync(pts, JSON.stringify([[1, 2, 3]]));
    const r4 = gradep('velocity', '--checkpoint', ck, '--points', pts);
    expect(r4.code).toBe(1);
    expect(r4.err.trim()).toMatch(/badpts\.json: points\[0\]: expected an array of 64 finite numbers$/);
  });

  it('relax on a realised chip reports voltages, settle time, energy and a trace', () => {
    const pts = join(dir, 'rpts.json');
    const row = (f: (j: number) => number) => Array.from({ length: 64 }, (_, j) => f(j));
    writeFileSync(pts, JSON.stringify({ xt: [row((j) => Math.sin(j))], ut: [row((j) => 0.2 * Math.cos(j))] }));
    const r = json(gradep('relax', '--circuit', packagePath('circuits', 'ideal-continuous.json'), '--points', pts, '--trace', '3', '--json'));
    expect(r.final_voltages_v[0]).toHaveLength(320);
    expect(r.settle_time_s).toBeGreaterThan(0);
    expect(r.settle_time_s).toBeLessThan(r.time_s);
    expect(r.energy_j_per_sample).toBeGreaterThan(0);
    expect(r.trace).toHaveLength(3);
    const p = json(gradep('relax', '--circuit', packagePath('circuits', 'reram.json'), '--points', pts, '--phase', 'plus', '--time', '5e-9', '--json'));
    expect(p.time_s).toBe(5e-9);
    expect(p.settle_time_s).toBe(null);
  });

  it('trains in situ on the ReRAM preset and samples on a chip', () => {
    const out = join(dir, 'insitu');
    const r = json(gradep('train', '--circuit', packagePath('circuits', 'reram.json'), '--steps', '1', '--batch', '4', '--out', out, '--json'));
    expect(r.step).toBe(1);
    const row = JSON.parse(readFileSync(join(out, 'log.jsonl'), 'utf8').trim());
    expect(row.physical_time_s).toBeCloseTo(50e-9, 15);
    expect(row.energy_j).toBeGreaterThan(0);
    const s = json(gradep('sample', '--checkpoint', join(out, 'checkpoint.json'), '--circuit', packagePath('circuits', 'reram.json'), '--n', '2', '--t1', '0.01', '--out', join(dir, 'chip-s.json'), '--json'));
    expect(s.evaluations).toBe(2);
    expect(s.physical.time_per_sample_s).toBeCloseTo(60e-9, 15);
    expect(s.physical.energy_per_sample_j).toBeGreaterThan(0);
  });

  it('sweep of generate points: relaxation vs quality on a tiny budget, resumable, then its report', () => {
    const exp = join(dir, 'gen.json');
    const key = 'generation.mode+t1+generation.hidden_T+generation.ratio';
    const tuples = [['energy_gd', 0.02, 0, 30], ['energy_gd', 0.04, 0, 30], ['energy_gd', 0.02, 2, 30], ['analogue', 0.1, 0, 3]];
    writeFileSync(exp, JSON.stringify({ format: 'gradep-sweep/1', name: 'gen', base: packagePath('circuits', 'paper.json'), checkpoint: ck, actions: ['generate'], chip_seeds: [0], samples: 12, vary: { [key]: tuples } }));
    const out = join(dir, 'gen-out');
    const r = json(gradep('sweep', exp, '--out', out, '--json'));
    expect(r.points).toBe(4);
    const rows = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => x.overrides[key])).toEqual(tuples);
    expect(rows.map((x) => x.evaluations)).toEqual([3, 5, 3, 3]);
    expect(rows[1].relaxation_tau).toBeCloseTo(5 * 30, 9); // converged evaluations count relax.T epsilon = 30 tau
    expect(rows[2].relaxation_tau).toBeCloseTo(3 * 2 * 0.1, 9);
    expect(rows[3].relaxation_tau).toBeCloseTo(3 * 0.1, 9);
    json(gradep('sweep', exp, '--out', out, '--json'));
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4); // nothing recomputed
    const rep = gradep('report', out, '--out', join(dir, 'gen-report'));
    expect(rep.code, rep.err).toBe(0);
    for (const f of ['quality-vs-time-fd.png', 'horizon-fd.png', 'index.html', 'samples/point-0.png']) expect(existsSync(join(dir, 'gen-report', f)), f).toBe(true);
    expect(readFileSync(join(dir, 'gen-report', 'README.md'), 'utf8')).toMatch(/energy_gd, t1 = 0\.02, hidden_T = 2 \| 1 \| 1 \|/);
    const bad = join(dir, 'bad-gen.json');
    writeFileSync(bad, JSON.stringify({ format: 'gradep-sweep/1', actions: ['generate'], vary: { 'generation.hidden_T': [-1] } }));
    const e = gradep('sweep', bad);
    expect(e.code).toBe(1);
    expect(e.err.trim()).toMatch(/bad-gen\.json: vary\.generation\.hidden_T\[0\]: got -1, allowed an integer >= 0 and <= 100000$/);
  });

  it('circuit --schema documents every field', () => {
    const r = gradep('circuit', '--schema');
    expect(r.code).toBe(0);
    expect(r.out).toContain('`spring.lambda`');
    expect(r.out).toContain('`relax.tol`');
  });
});
