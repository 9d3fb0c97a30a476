/** Device models (simple / pcm / reram) and update modes (write_verify, pulsed) against closed forms and large populations. */
import { describe, expect, it } from 'vitest';
import { type CircuitSpec, loadCircuit, validateCircuit } from '../src/circuit/spec.js';
import { type Chip, chipParams, effectiveWeights, programWeights, realiseChip } from '../src/chip/chip.js';
import { lastWriteStats, pcmDriftExponents, pcmNuMoments, pcmProgramStd } from '../src/chip/device-model.js';
import { writeVerify, writeVerifyArray } from '../src/chip/write-verify.js';
import { applyPulses, applyUpdate, loadWeights, pulseCount, realisePulsed } from '../src/chip/pulsed.js';
import { type Dims, type Params, cloneParams, zeroParams } from '../src/circuit/params.js';
import { PAPER_RELAX } from '../src/circuit/analysis.js';
import { gradepEstimate } from '../src/learning/gradep.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { packagePath } from '../src/util/paths.js';
import { Rng } from '../src/util/rng.js';
import { randomParams, randomVectors, TINY } from './helpers/fixtures.js';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraining } from '../src/experiments/train.js';
import { identityChanges } from '../src/experiments/resume.js';
import type { Checkpoint } from '../src/learning/checkpoint.js';
import { loadCheckpoint } from '../src/learning/checkpoint.js';
import { tiny, tinyRun } from './helpers/tiny-run.js';

const circuit = (over: Record<string, unknown> = {}): CircuitSpec => validateCircuit({ format: 'gradep-circuit/1', ...over }, 'test.json');
const meanStd = (a: ArrayLike<number>) => {
  let s = 0;
  let q = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  const m = s / a.length;
  for (let i = 0; i < a.length; i++) q += (a[i] - m) ** 2;
  return { mean: m, std: Math.sqrt(q / (a.length - 1)) };
};

/** programWeights as it was before device models (the reference the simple model must reproduce bit for bit). */
function legacyProgram(chip: Chip, p: Params, rng: Rng): void {
  const { g_min, g_max, bits } = chip.spec.synapse;
  const { write_noise_abs: a, write_noise_rel: r } = chip.spec.program;
  const gu = chip.spec.node.g_leak;
  const q = (g: number) => (bits === 0 ? g : g_min + Math.round((g - g_min) / ((g_max - g_min) / (2 ** bits - 1))) * ((g_max - g_min) / (2 ** bits - 1)));
  const write = (t: number) => {
    let g = q(Math.min(g_max, Math.max(g_min, t)));
    if (a > 0 || r > 0) g = Math.min(g_max, Math.max(g_min, g + (a + r * g) * rng.normal()));
    return g;
  };
  for (const [W, Gp, Gm] of [[p.W0, chip.G0p, chip.G0m], [p.W1, chip.G1p, chip.G1m]] as const) {
    for (let i = 0; i < W.length; i++) {
      Gp[i] = write(g_min + (W[i] > 0 ? W[i] * gu : 0));
      Gm[i] = write(g_min + (W[i] < 0 ? -W[i] * gu : 0));
    }
  }
}

describe('simple device = the model before device models', () => {
  it('programWeights and effectiveWeights are bit-identical on the reram preset (bits, write noise, drift)', () => {
    // Ideal wires: the IR drop (r_wire, on in the preset since issue 12) is not part of the legacy formula.
    const c0 = loadCircuit(packagePath('circuits', 'reram.json'));
    const c = { ...c0, synapse: { ...c0.synapse, r_wire: 0 } };
    const d: Dims = { nx: 12, n1: 10, n2: 7 };
    const p = randomParams(d, 3, 1.5);
    const a = realiseChip(c, d, 5);
    const b = realiseChip(c, d, 5);
    programWeights(a, p, new Rng(9, 'program', 0));
    legacyProgram(b, p, new Rng(9, 'program', 0));
    for (const k of ['G0p', 'G0m', 'G1p', 'G1m'] as const) expect(a[k]).toEqual(b[k]);
    const t = 3600;
    const e = effectiveWeights(a, t);
    const k = Math.pow(t / c.program.drift_t0, -c.program.drift_nu) / c.node.g_leak;
    for (let i = 0; i < e.W0f.length; i++) expect(e.W0f[i]).toBe((b.G0p[i] * b.m0p[i] - b.G0m[i] * b.m0m[i]) * k);
    expect(lastWriteStats(a)).toEqual({ devices: 2 * (p.W0.length + p.W1.length), pulses: 2 * (p.W0.length + p.W1.length), unconverged: 0 });
  });
});

// 20000 devices in W0 (n1 x nx), all programmed to one conductance g on a chip without mismatch.
const POP: Dims = { nx: 200, n1: 100, n2: 1 };
function pcmPopulation(g: number, pcm: Record<string, unknown>): { chip: Chip; c: CircuitSpec } {
  const c = circuit({ node: { g_leak: '25 uS' }, synapse: { g_min: 0, g_max: '25 uS' }, program: { device: 'pcm', drift_t0: '20 s', pcm } });
  const chip = realiseChip(c, POP, 1);
  const p = zeroParams(POP);
  p.W0.fill(g / 25e-6);
  programWeights(chip, p, new Rng(2, 'program', 0));
  return { chip, c };
}

describe('PCM model (aihwkit PCMLikeNoiseModel: Nandakumar 2019, Joshi 2020)', () => {
  it('drift-exponent moments: the fitted mu(g), sigma(g) at two conductances (hand-evaluated)', () => {
    // x = 1: mu = 0.0244 -> clipped to 0.049; sigma = -0.0059 -> clipped to 0.008.
    expect(pcmNuMoments(1)).toEqual({ mu: 0.049, sigma: 0.008 });
    // x = 0.1: mu = 0.0155 ln 10 + 0.0244 = 0.060090; sigma = 0.0125 ln 10 - 0.0059 = 0.022882.
    const m = pcmNuMoments(0.1);
    expect(m.mu).toBeCloseTo(0.06009, 5);
    expect(m.sigma).toBeCloseTo(0.022882, 5);
    // Programming noise at x = 0.5, g_max = 25 uS: 0.26348 + 0.9825 - 0.293275 = 0.952705 uS.
    expect(pcmProgramStd(12.5e-6, 25e-6)).toBeCloseTo(0.952705e-6, 12);
  });

  it('20000 devices: drift exponents read back from the drifted conductances match N(mu(g), sigma(g))', () => {
    for (const x of [1, 0.1]) {
      const { chip } = pcmPopulation(x * 25e-6, { prog_noise_scale: 0, read_noise_scale: 0 });
      const t = 3600;
      const e = effectiveWeights(chip, t);
      const nu = new Float64Array(e.W0f.length);
      for (let i = 0; i < nu.length; i++) nu[i] = -Math.log(e.W0f[i] / x) / Math.log(t / 20);
      const s = meanStd(nu);
      const m = pcmNuMoments(x);
      // Folding |N| moves the mean by < 1e-4 at x = 0.1 (mu / sigma = 2.6); 4 standard errors otherwise.
      expect(Math.abs(s.mean - m.mu)).toBeLessThan(4 * (m.sigma / Math.sqrt(nu.length)) + 1e-4);
      expect(Math.abs(s.std - m.sigma)).toBeLessThan(4 * (m.sigma / Math.sqrt(2 * nu.length)) + 3e-4);
      // Frozen per programming event: a second read-out sees the same exponents.
      expect(effectiveWeights(chip, t).W0f).toEqual(e.W0f);
    }
    // The drawing function alone, independent of the chip path.
    const G = new Float64Array(20000).fill(2.5e-6);
    const nu = meanStd(pcmDriftExponents(G, 25e-6, 1, new Rng(4, 'nu'), new Float64Array(20000)));
    expect(Math.abs(nu.mean - 0.06009)).toBeLessThan(4 * (0.022882 / Math.sqrt(20000)) + 1e-4);
  });

  it('20000 devices: 1/f read noise has relative std Q_s sqrt(ln((t + t_r) / (2 t_r))), drawn per programming and read time', () => {
    const x = 0.5;
    const { chip } = pcmPopulation(x * 25e-6, { prog_noise_scale: 0, drift_scale: 0 });
    const qs = 0.0088 / Math.pow(0.5, 0.65);
    for (const t of [20, 3600, 86400]) {
      const e = effectiveWeights(chip, t);
      const rel = meanStd(Array.from(e.W0f, (w) => w / x - 1));
      const want = qs * Math.sqrt(Math.log((t + 250e-9) / 500e-9));
      expect(Math.abs(rel.mean)).toBeLessThan((4 * want) / Math.sqrt(20000));
      expect(Math.abs(rel.std / want - 1)).toBeLessThan(4 / Math.sqrt(2 * 20000));
    }
    // A read is a pure function of the chip's data (workers re-read copies of the chip): same
    // programming and time, same noise; another read time, a new draw.
    const r1 = effectiveWeights(chip, 3600).W0f;
    expect(effectiveWeights(structuredClone(chip), 3600).W0f).toEqual(r1);
    expect(effectiveWeights(chip, 3601).W0f[0]).not.toBe(r1[0]);
  });

  it('20000 devices: programming noise std is the polynomial of g / g_max', () => {
    const { chip } = pcmPopulation(12.5e-6, { drift_scale: 0, read_noise_scale: 0 });
    const s = meanStd(chip.G0p);
    expect(Math.abs(s.mean - 12.5e-6)).toBeLessThan((4 * 0.952705e-6) / Math.sqrt(20000));
    expect(Math.abs(s.std / 0.952705e-6 - 1)).toBeLessThan(4 / Math.sqrt(40000));
  });

  it('global drift compensation restores the programmed mean |W| of each array', () => {
    const { c } = pcmPopulation(1e-6, {});
    const comp = validateCircuit({ ...c, program: { ...c.program, pcm: { ...c.program.pcm, compensation: 'global' } } }, 'test.json');
    const d: Dims = { nx: 30, n1: 20, n2: 10 };
    const p = randomParams(d, 6, 1);
    const chips = [c, comp].map((s) => {
      const ch = realiseChip(s, d, 1);
      programWeights(ch, p, new Rng(3, 'program', 0));
      return ch;
    });
    expect(chips[1].G0p).toEqual(chips[0].G0p);
    const mean = (W: Float64Array) => W.reduce((s, w) => s + Math.abs(w), 0) / W.length;
    const raw = effectiveWeights(chips[0], 86400);
    const fixed = effectiveWeights(chips[1], 86400);
    const ref = (ch: Chip) => mean(Float64Array.from(ch.G0p, (g, i) => (g * ch.m0p[i] - ch.G0m[i] * ch.m0m[i]) / ch.spec.node.g_leak));
    expect(mean(raw.W0f) / ref(chips[0])).toBeLessThan(0.75); // a day of drift, nu ~ 0.05-0.1
    expect(mean(fixed.W0f) / ref(chips[1])).toBeCloseTo(1, 12);
  });
});

describe('ReRAM read noise and relaxation', () => {
  it('20000 devices: relaxation spread grows as relax_std (1 - exp(-t/tau)) and read noise adds in quadrature', () => {
    const c = circuit({ node: { g_leak: '50 uS' }, synapse: { g_min: 0, g_max: '100 uS' }, program: { device: 'reram', reram: { relax_std: 0.03, read_noise_rel: 0.01, relax_tau: '1 s' } } });
    const chip = realiseChip(c, POP, 1);
    const p = zeroParams(POP);
    p.W0.fill(1);
    programWeights(chip, p, new Rng(2, 'program', 0));
    for (const t of [0.5, 10]) {
      const f = 1 - Math.exp(-t);
      const want = Math.sqrt((0.03 * f) ** 2 * (1 + 0.01 ** 2) + 0.01 ** 2);
      const s = meanStd(Array.from(effectiveWeights(chip, t).W0f, (w) => w - 1));
      expect(Math.abs(s.std / want - 1)).toBeLessThan(4 / Math.sqrt(40000));
    }
  });
});

describe('write-verify', () => {
  it('a hand-checked device: writes until within tol, counting pulses', () => {
    const seq = [13, 8, 10.4, 10.1];
    let k = 0;
    const r = writeVerify(10, () => seq[k++], 0.5, 10);
    expect(r).toEqual({ g: 10.4, pulses: 3, converged: true });
    k = 0;
    expect(writeVerify(10, () => seq[k++], 0.5, 2)).toEqual({ g: 8, pulses: 2, converged: false });
  });

  it('20000 devices: mean pulses = (1 - (1 - p)^B) / p with p = P(|N| < tol / sigma); converged ones within tol', () => {
    const n = 20000;
    const sigma = 1e-6;
    const targets = new Float64Array(n).fill(50e-6);
    const rng = new Rng(1, 'wv');
    const G = new Float64Array(n);
    const pulses = new Int32Array(n);
    const B = 10;
    const r = writeVerifyArray(targets, (i) => targets[i] + sigma * rng.normal(), sigma, B, G, pulses);
    const p = 0.6826894921370859; // erf(1 / sqrt 2)
    const want = (1 - (1 - p) ** B) / p;
    const s = meanStd(pulses);
    expect(Math.abs(s.mean - want)).toBeLessThan((4 * s.std) / Math.sqrt(n));
    expect(r.total).toBe(pulses.reduce((a, b) => a + b, 0));
    expect(Math.max(...pulses)).toBeLessThanOrEqual(B);
    let within = 0;
    for (let i = 0; i < n; i++) if (Math.abs(G[i] - 50e-6) <= sigma) within++;
    expect(within).toBe(n - r.unconverged);
    expect(r.unconverged).toBeLessThan(5); // expected n (1 - p)^B = 0.2
  });

  it('programWeights with update = write_verify: every device within tol of its level, pulses counted', () => {
    const c = loadCircuit(packagePath('circuits', 'reram.json'));
    const wv = validateCircuit({ ...c, program: { ...c.program, update: 'write_verify', write_verify: { tol: 1e-6, max_pulses: 50 } } }, 'test.json');
    const d: Dims = { nx: 20, n1: 15, n2: 10 };
    const p = randomParams(d, 2, 1);
    const chip = realiseChip(wv, d, 0);
    programWeights(chip, p, new Rng(0, 'program', 0));
    const st = lastWriteStats(chip)!;
    expect(st.devices).toBe(2 * (p.W0.length + p.W1.length));
    expect(st.unconverged).toBe(0);
    expect(st.pulses).toBeGreaterThan(st.devices);
    const step = (100e-6 - 1e-6) / 63;
    for (let i = 0; i < p.W0.length; i++) {
      const t = Math.min(100e-6, 1e-6 + Math.max(0, p.W0[i]) * 50e-6);
      const level = 1e-6 + Math.round((t - 1e-6) / step) * step;
      expect(Math.abs(chip.G0p[i] - level)).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe('pulsed updates', () => {
  const ideal = (over: Record<string, unknown> = {}) =>
    circuit({ program: { update: 'pulsed', pulsed: { model: 'constant_step', dw_min: 1e-6, dw_min_dtod: 0, dw_min_std: 0, up_down: 0, up_down_dtod: 0, w_max: 50, w_min: -50, w_max_dtod: 0, w_min_dtod: 0, max_pulses: 1000000, ...over } } });

  it('pulse counts: deterministic rounding, unbiased stochastic rounding, the cap', () => {
    const r = new Rng(0, 'count');
    expect(pulseCount(0.0249, 0.01, 'deterministic', 31, r)).toBe(2);
    expect(pulseCount(-0.0251, 0.01, 'deterministic', 31, r)).toBe(-3);
    expect(pulseCount(1, 0.01, 'deterministic', 31, r)).toBe(31);
    let s = 0;
    for (let i = 0; i < 20000; i++) s += pulseCount(0.0037, 0.01, 'stochastic', 31, r);
    // Bernoulli(0.37): mean 0.37, std 0.483.
    expect(Math.abs(s / 20000 - 0.37)).toBeLessThan((4 * 0.483) / Math.sqrt(20000));
  });

  it('a symmetric ideal device (dw 1e-6, no asymmetry, no noise) reproduces SGD training on a tiny network', async () => {
    const engine = new LocalEngine();
    const d = TINY;
    const B = 4;
    const xt = randomVectors(B * d.nx, 1);
    const ut = randomVectors(B * d.nx, 2);
    const cfg = { lambda: 3, alpha: 1.5, beta: 1e-2, relax: PAPER_RELAX };
    const lr = 0.02;
    const sgd = randomParams(d, 8, 1);
    const dev = realisePulsed(ideal(), d, 0);
    const pul = cloneParams(sgd);
    loadWeights(dev, pul);
    expect(pul).toEqual(sgd);
    let pulses = 0;
    for (let step = 0; step < 10; step++) {
      for (const [p, isPulsed] of [[sgd, false], [pul, true]] as const) {
        const g = (await gradepEstimate(engine, p, d, xt, ut, cfg)).grads;
        const before = cloneParams(p);
        for (const k of ['W0', 'W1', 'b0', 'b1', 'bx'] as const) for (let i = 0; i < p[k].length; i++) p[k][i] -= lr * g[k][i];
        if (isPulsed) pulses += applyUpdate(dev, before, p, new Rng(0, 'pulsed', step));
      }
    }
    let err = 0;
    for (const k of ['W0', 'W1'] as const) for (let i = 0; i < sgd[k].length; i++) err = Math.max(err, Math.abs(sgd[k][i] - pul[k][i]));
    // Each step rounds each weight change to a whole number of 1e-6 steps (<= 5e-7), over 10 steps
    // (measured: 2.0e-6 after 4.7e6 pulses).
    expect(err).toBeLessThan(1e-5);
    expect(err).toBeGreaterThan(0);
    expect(pulses).toBeGreaterThan(1000);
  });

  it('the chip reads back the device state as its weights (pulsed placement is exact)', () => {
    const c = ideal();
    const d: Dims = { nx: 6, n1: 5, n2: 4 };
    const p = randomParams(d, 1, 1);
    const dev = realisePulsed(c, d, 0);
    loadWeights(dev, p);
    const chip = realiseChip(c, d, 0);
    programWeights(chip, p, new Rng(0, 'program', 0));
    const q = chipParams(chip);
    for (let i = 0; i < p.W0.length; i++) expect(Math.abs(q.W0[i] - dev.W0.w[i])).toBeLessThan(1e-15 * (1 + Math.abs(p.W0[i])) + 1e-16);
  });

  it('asymmetry: alternating +/- pulses drive a soft-bounds device to its symmetry point (closed form)', () => {
    const dw = 0.01;
    const u = 0.2;
    const c = circuit({ program: { update: 'pulsed', pulsed: { model: 'soft_bounds', dw_min: dw, dw_min_dtod: 0, dw_min_std: 0, up_down: u, up_down_dtod: 0, w_max: 1, w_min: -1, w_max_dtod: 0, w_min_dtod: 0 } } });
    const dev = realisePulsed(c, { nx: 2, n1: 1, n2: 1 }, 0);
    const a = dev.W0;
    const r = new Rng(0, 'x');
    a.w[0] = 0;
    a.w[1] = 0.9;
    for (let k = 0; k < 3000; k++) for (const i of [0, 1]) applyPulses(c.program.pulsed, a, i, k % 2 === 0 ? 1 : -1, r);
    // Up then down is the affine map w -> (1 - c) ((1 - a') w + a') - c (b = +-1): fixed point below.
    const up = dw * (1 + u);
    const down = dw * (1 - u);
    const fix = ((1 - down) * up - down) / (1 - (1 - down) * (1 - up));
    expect(a.w[0]).toBeCloseTo(fix, 10);
    expect(a.w[1]).toBeCloseTo(fix, 10);
    // The symmetry point (equal up and down steps) w* = (up - down) / (up + down) = u lies within one step.
    expect(Math.abs(fix - u)).toBeLessThan(dw);
    // A symmetric device (u = 0) stays centred at 0.
    const symC = circuit({ program: { update: 'pulsed', pulsed: { model: 'soft_bounds', dw_min: dw, dw_min_dtod: 0, dw_min_std: 0, up_down: 0, up_down_dtod: 0, w_max_dtod: 0, w_min_dtod: 0 } } });
    const sym = realisePulsed(symC, { nx: 1, n1: 1, n2: 1 }, 0);
    sym.W0.w[0] = 0.5;
    for (let k = 0; k < 4000; k++) applyPulses(symC.program.pulsed, sym.W0, 0, k % 2 === 0 ? -1 : 1, r);
    expect(Math.abs(sym.W0.w[0])).toBeLessThan(dw);
  });

  it('device-to-device spread is frozen by the chip seed and has the stated relative std', () => {
    const c = loadCircuit(packagePath('circuits', 'reram-sb.json'));
    const a = realisePulsed(c, { nx: 200, n1: 100, n2: 1 }, 3);
    expect(realisePulsed(c, { nx: 200, n1: 100, n2: 1 }, 3).W0.up).toEqual(a.W0.up);
    const step = 0.002 * 1.5;
    const s = meanStd(Array.from(a.W0.up, (x) => x / step));
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.01);
    expect(Math.abs(s.std - Math.sqrt(0.3 ** 2 + 0.01 ** 2 * 1.09))).toBeLessThan(0.01);
  });

  it('in-situ training with update = pulsed logs pulses and resumes exactly (the device state is the params)', async () => {
    const c = validateCircuit({ ...tiny, program: { update: 'pulsed', pulsed: { scheme: 'stochastic', dw_min: 0.0005, dw_min_std: 0.5, up_down: 0.1, write_noise_std: 2 } } }, 'pulsed.json');
    const run = (dir: string, steps: number, resume: boolean) => runTraining({ ...tinyRun(dir, steps, resume, { circuit: c }), relax: 'transient', batch: 2, chipSeed: 3 }, new LocalEngine());
    const a = mkdtempSync(join(tmpdir(), 'gradep-pulsed-'));
    const b = mkdtempSync(join(tmpdir(), 'gradep-pulsed-'));
    await run(a, 2, false);
    await run(b, 1, false);
    await run(b, 2, true);
    const pa = loadCheckpoint(join(a, 'checkpoint.json')).params;
    const pb = loadCheckpoint(join(b, 'checkpoint.json')).params;
    expect(pb.W0).toEqual(pa.W0);
    expect(pb.W1).toEqual(pa.W1);
    const rows = readFileSync(join(a, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pulses: number });
    expect(rows.map((r) => r.pulses > 0)).toEqual([true, true]);
  }, 120_000);

  it('update = pulsed or write_verify outside in-situ training is a one-line error, not silently ignored', async () => {
    for (const update of ['pulsed', 'write_verify'] as const) {
      const c = validateCircuit({ ...tiny, program: { update } }, 'dev.json');
      const dir = mkdtempSync(join(tmpdir(), 'gradep-upd-'));
      await expect(runTraining({ ...tinyRun(dir, 1, false, { circuit: c }), relax: 'paper', batch: 2 }, new LocalEngine())).rejects.toThrow(`program.update: got "${update}" with --relax paper, allowed "rewrite" unless training in situ (--relax transient)`);
      expect(existsSync(join(dir, 'checkpoint.json'))).toBe(false);
    }
  });

  it('in-situ training with update = write_verify logs the pulses of each programming', async () => {
    // Noise-free writes verify at the first pulse: one pulse per device, 2 (64 x 6 + 6 x 5) = 828.
    const c = validateCircuit({ ...tiny, program: { update: 'write_verify' } }, 'wv.json');
    const dir = mkdtempSync(join(tmpdir(), 'gradep-wv-'));
    await runTraining({ ...tinyRun(dir, 1, false, { circuit: c }), relax: 'transient', batch: 2 }, new LocalEngine());
    expect(JSON.parse(readFileSync(join(dir, 'log.jsonl'), 'utf8')).pulses).toBe(828);
  }, 120_000);

  it('inert program-model fields (an unselected device section) do not change a run\'s identity; selected ones do', () => {
    const c = loadCircuit(packagePath('circuits', 'reram.json'));
    const before = validateCircuit({ ...c, program: { ...c.program, reram: undefined, write_verify: undefined } }, 'old.json');
    expect(before.program.reram.read_noise_rel).toBe(0);
    const ck = { circuit: before, seeds: { run: 0, chip: 1 }, engine: 'js-f64' } as unknown as Checkpoint;
    expect(identityChanges(ck, { circuit: c, chip: 1, engine: 'js-f64' })).toEqual([]);
    const sel = validateCircuit({ ...c, program: { ...c.program, device: 'reram' } }, 'new.json');
    expect(identityChanges(ck, { circuit: sel, chip: 1, engine: 'js-f64' }).map((x) => x.field)).toContain('circuit.program.device');
  });
});
