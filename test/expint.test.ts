/**
 * Exponential integrators of the chip transients (solvers/sde.ts exp_euler / exp_heun, and the
 * wasm chip kernel's exponential chipStage): deterministic order of convergence on a small nonlinear chip,
 * exact stationary variances of the linear nodes at steps near tau (both paths), the wasm and
 * float64 paths agreeing in distribution, the in-situ gradient against a dt -> 0 float64
 * reference, and the validator's step rules (circuit/step-bounds.ts) in closed form.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type CircuitSpec, loadCircuit, validateCircuit } from '../src/circuit/spec.js';
import { maxStepForVariance, varianceRatio } from '../src/circuit/step-bounds.js';
import { programWeights, realiseChip } from '../src/chip/chip.js';
import { type Phase, freeStart, nudgeTargets } from '../src/circuit/phase.js';
import { CircuitModel } from '../src/dynamics/circuit.js';
import { type Dims, type Params, stateSize, zeroParams } from '../src/circuit/params.js';
import { relaxTransient } from '../src/solvers/transient.js';
import { expQ1, expQ2, expVar } from '../src/solvers/sde.js';
import type { TransientOptions } from '../src/circuit/analysis.js';
import { WasmEngine, wasmAvailable } from '../src/solvers/wasm-engine.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { buildSimulation } from '../src/build/build.js';
import { insituEstimator } from '../src/learning/insitu.js';
import { packagePath } from '../src/util/paths.js';
import { Rng } from '../src/util/rng.js';
import { randomParams, randomVectors } from './helpers/fixtures.js';

const engines: WasmEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
});

/**
 * The ReRAM preset on a small network (mismatch and quantisation as the preset), noise as given.
 * The issue-12 periphery (amplifier poles and noise, source noise placement, read scaling, wires)
 * is switched off: these tests are about the integrators on the node equations (the kernel with
 * the periphery: test/wasm-chip-periphery.test.ts).
 */
function reram(d: Dims, temperature: number): CircuitSpec {
  const c = loadCircuit(packagePath('circuits', 'reram.json'));
  c.amplifier = { ...c.amplifier, gbw: 0, en: 0, vos_dtod: 0 };
  c.noise.placement = 'lumped';
  c.synapse = { ...c.synapse, v_read_scale: 1, r_wire: 0, topology: 'ideal_shared' };
  c.activation = { ...c.activation, deriv_gain_dtod: 0, deriv_offset_dtod: 0, mult_gain_dtod: 0, mult_offset_dtod: 0 };
  c.controller = { knowledge: 'oracle' };
  c.layers = { visible: d.nx, hidden1: d.n1, hidden2: d.n2 };
  c.noise.temperature = temperature;
  if (temperature === 0) c.measure.read_noise_std = 0;
  return c;
}

/** No conductance at a zero weight: g_min and absolute write noise off (isolated nodes). */
function isolated(c: CircuitSpec): CircuitSpec {
  c.synapse.g_min = 0;
  c.program.write_noise_abs = 0;
  return c;
}

function chipModel(c: CircuitSpec, d: Dims, p: Params): CircuitModel {
  const chip = realiseChip(c, d, 3);
  programWeights(chip, p, new Rng(1, 'program'));
  return new CircuitModel(chip);
}

const opts = (solver: TransientOptions['solver'], dt: number, duration: number, over: Partial<TransientOptions> = {}): TransientOptions => ({ solver, dt, duration, window: 0, seed: 5, stream: ['expint'], rtol: 1e-11, atol: 1e-13, settleTol: 1e-3, ...over });

function logLogSlope(x: number[], y: number[]): number {
  const lx = x.map(Math.log);
  const ly = y.map(Math.log);
  const mx = lx.reduce((a, b) => a + b) / lx.length;
  const my = ly.reduce((a, b) => a + b) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('exponential integrator coefficients', () => {
  it('phi1/h, phi2/h and the OU variance factor: closed forms and their x -> 0 limits', () => {
    expect(expQ1(1e-8)).toBeCloseTo(1 - 5e-9, 15);
    for (const x of [1e-3, 0.009, 0.011, 0.5, 3, 12.5]) {
      expect(expQ1(x)).toBeCloseTo((1 - Math.exp(-x)) / x, 12);
      expect(expVar(x)).toBeCloseTo((1 - Math.exp(-2 * x)) / (2 * x), 12);
      if (x > 1e-3) expect(expQ2(x)).toBeCloseTo((Math.exp(-x) - 1 + x) / (x * x), 10);
    }
    expect(expQ1(0)).toBe(1);
    expect(expQ2(0)).toBe(0.5);
    expect(expVar(0)).toBe(1);
    // The series and the direct form meet continuously at x = 1e-2.
    expect(Math.abs(expQ2(0.01 - 1e-12) - expQ2(0.01 + 1e-12))).toBeLessThan(1e-12);
  });
});

describe('exponential chip transients, float64 path', () => {
  const d: Dims = { nx: 8, n1: 6, n2: 5 };
  const N = stateSize(d);
  const B = 3;
  const c = reram(d, 0);
  const model = chipModel(c, d, randomParams(d, 4, 2));
  const xt = randomVectors(B * d.nx, 1);
  // +beta phase: the visible nodes are 1 + lambda + beta kappa = 25 times faster than tau.
  const ph: Phase = { lambda: 15, xt, xtarget: nudgeTargets(xt, randomVectors(B * d.nx, 2), 2, 15), betaKappa: 9 };
  const tau = model.tau;
  const T = 4 * tau;
  const run = (solver: TransientOptions['solver'], dt: number) => {
    const s = freeStart(d, xt, B);
    relaxTransient(model, s, ph, opts(solver, dt, T), 0, B);
    return s;
  };
  it('deterministic order: exp_euler 1, exp_heun 2 (log-log slopes against odex at rtol 1e-11)', () => {
    const ref = run('odex', tau);
    const dts = [tau / 16, tau / 32, tau / 64, tau / 128];
    const err = (solver: TransientOptions['solver']) => dts.map((h) => maxAbsDiff(run(solver, h), ref));
    const e1 = err('exp_euler');
    const e2 = err('exp_heun');
    const s1 = logLogSlope(dts, e1);
    const s2 = logLogSlope(dts, e2);
    console.log(`max error at dt = tau/16..tau/128: exp_euler ${e1.map((e) => e.toExponential(2)).join(' ')} (slope ${s1.toFixed(3)}); exp_heun ${e2.map((e) => e.toExponential(2)).join(' ')} (slope ${s2.toFixed(3)})`);
    expect(s1).toBeGreaterThan(0.9);
    expect(s1).toBeLessThan(1.2);
    expect(s2).toBeGreaterThan(1.85);
    expect(s2).toBeLessThan(2.3);
    // Stiff visible nodes at dt = tau/4 (a dt = 6.25): stochastic Heun diverges there, the exponential schemes do not.
    expect(maxAbsDiff(run('exp_heun', tau / 4), ref)).toBeLessThan(0.3);
    expect(maxAbsDiff(run('heun', tau / 4), ref)).toBeGreaterThan(1e3);
  });

  it('with no nonlinear coupling the exponential step is exact: zero weights, any dt', () => {
    const c0 = isolated(reram(d, 0));
    const m0 = chipModel(c0, d, zeroParams(d));
    const s = freeStart(d, xt, B);
    const s2 = freeStart(d, xt, B);
    relaxTransient(m0, s, ph, opts('exp_heun', tau / 2, T), 0, B);
    relaxTransient(m0, s2, ph, opts('exp_euler', T, T), 0, B);
    // Exact OU mean: x -> x_inf + (x0 - x_inf) e^{-a T}, hidden units stay at 0 (rho(0) = 0).
    const a = new Float64Array(N);
    m0.setPhase(ph);
    m0.linearRates(a);
    const chip = m0.chip;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < d.nx; j++) {
        const g = chip.GL[j] + chip.gSpring[j] + 9 * m0.gUnit * chip.nudgeGain[j];
        const xinf = (chip.gSpring[j] * xt[b * d.nx + j] + 9 * m0.gUnit * chip.nudgeGain[j] * (ph.xtarget as Float64Array)[b * d.nx + j] + m0.gUnit * chip.bias.bx[j]) / g;
        const want = xinf + (xt[b * d.nx + j] - xinf) * Math.exp(-a[j] * T);
        expect(Math.abs(s[b * N + j] - want)).toBeLessThan(1e-12);
        expect(Math.abs(s2[b * N + j] - want)).toBeLessThan(1e-12);
      }
    }
  });
});

/**
 * Isolated nodes (zero weights, g_min 0) of the ReRAM preset at 300 K in the +beta phase with
 * x_t = x_target = 0: every node is a linear OU node with stationary variance sigma^2 / (2 a)
 * (a from model.linearRates). Runs `calls` consecutive transients of 2 tau and pools the end
 * states (after a burn-in call), per node type; returns measured / closed form.
 */
async function stationaryRatios(solver: TransientOptions['solver'], dt: number, wasm: WasmEngine | null): Promise<{ x: number; h: number; n: number }> {
  const d: Dims = { nx: 64, n1: 32, n2: 32 };
  const N = stateSize(d);
  const c = isolated(reram(d, 300));
  const m = chipModel(c, d, zeroParams(d));
  const B = 64;
  const zero = new Float64Array(B * d.nx);
  const ph: Phase = { lambda: 15, xt: zero, xtarget: zero, betaKappa: 9 };
  const a = new Float64Array(N);
  m.setPhase(ph);
  m.linearRates(a);
  const s = new Float64Array(B * N);
  const avg = new Float64Array(B * N);
  const calls = 41;
  const sum = { x: 0, h: 0 };
  let n = 0;
  for (let k = 0; k < calls; k++) {
    const o = opts(solver, dt, k === 0 ? 5 * m.tau : 2 * m.tau, { stream: ['var', k], rtol: 0, atol: 0, settleTol: 0 });
    if (wasm) await wasm.transient(m, s, ph, o, avg);
    else relaxTransient(m, s, ph, o, 0, B, avg);
    if (k === 0) continue;
    n++;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < N; i++) {
        const r = (s[b * N + i] * s[b * N + i] * 2 * a[i]) / (m.sigma[i] * m.sigma[i]);
        if (i < d.nx) sum.x += r / (B * d.nx);
        else sum.h += r / (B * (N - d.nx));
      }
    }
  }
  return { x: sum.x / n, h: sum.h / n, n };
}

describe('stationary node variances at steps near tau (closed form sigma^2 / (2 a))', () => {
  it('float64 path: exp_euler and exp_heun at dt = tau (a dt = 25 on the nudged visible nodes) within 2%', async () => {
    const tau = 2e-9;
    for (const solver of ['exp_euler', 'exp_heun'] as const) {
      const r = await stationaryRatios(solver, tau, null);
      console.log(`${solver} float64 dt = tau: visible ${r.x.toFixed(4)}, hidden ${r.h.toFixed(4)} of sigma^2/(2a)`);
      expect(Math.abs(r.x - 1)).toBeLessThan(0.02);
      expect(Math.abs(r.h - 1)).toBeLessThan(0.02);
    }
  });

  it.skipIf(!wasmAvailable())('wasm float32 path: exp_euler and exp_heun at dt = tau within 2%', async () => {
    const e = await WasmEngine.create(2);
    engines.push(e);
    for (const solver of ['exp_euler', 'exp_heun'] as const) {
      const r = await stationaryRatios(solver, 2e-9, e);
      console.log(`${solver} wasm dt = tau: visible ${r.x.toFixed(4)}, hidden ${r.h.toFixed(4)} of sigma^2/(2a)`);
      expect(Math.abs(r.x - 1)).toBeLessThan(0.02);
      expect(Math.abs(r.h - 1)).toBeLessThan(0.02);
    }
  });
});

describe.skipIf(!wasmAvailable())('wasm chip kernel, exponential schemes', () => {
  const d: Dims = { nx: 64, n1: 32, n2: 24 };
  const N = stateSize(d);
  const B = 13;
  const xt = randomVectors(B * d.nx, 21);
  const ph: Phase = { lambda: 15, xt, xtarget: nudgeTargets(xt, randomVectors(B * d.nx, 22), 2, 15), betaKappa: 9 };

  it('noise off: float32 kernel equals the float64 path to rounding (both schemes, clamped x too)', async () => {
    const e = await WasmEngine.create(2);
    engines.push(e);
    const m = chipModel(reram(d, 0), d, randomParams(d, 4, 1.5));
    for (const solver of ['exp_euler', 'exp_heun'] as const) {
      for (const clampX of [false, true]) {
        const p2: Phase = { ...ph, clampX, betaKappa: clampX ? 0 : 9 };
        const o = opts(solver, 1e-9, 20e-9, { window: 4e-9 });
        const s32 = freeStart(d, xt, B);
        const a32 = new Float64Array(B * N);
        const st32 = await e.transient(m, s32, p2, o, a32);
        const s64 = freeStart(d, xt, B);
        const a64 = new Float64Array(B * N);
        const st64 = relaxTransient(m, s64, p2, o, 0, B, a64);
        expect(maxAbsDiff(s32, s64)).toBeLessThan(2e-5);
        expect(maxAbsDiff(a32, a64)).toBeLessThan(2e-5);
        expect(Math.abs(st32.energyMean / st64.energyMean - 1)).toBeLessThan(1e-5);
        expect(st32.evaluations).toBe(st64.evaluations);
        if (clampX) for (let b = 0; b < B; b++) for (let j = 0; j < d.nx; j++) expect(s32[b * N + j]).toBe(xt[b * d.nx + j]);
      }
    }
  });

  it('noise on: end states of the two paths agree in distribution (means and variances per node)', async () => {
    const e = await WasmEngine.create(2);
    engines.push(e);
    const m = chipModel(reram(d, 300), d, randomParams(d, 4, 1.5));
    const Bs = 96;
    const x1 = new Float64Array(Bs * d.nx);
    for (let b = 0; b < Bs; b++) x1.set(xt.subarray(0, d.nx), b * d.nx);
    const p1: Phase = { ...ph, xt: x1, xtarget: nudgeTargets(x1, new Float64Array(Bs * d.nx).fill(0.3), 2, 15) };
    const run = async (wasm: boolean) => {
      const s = freeStart(d, x1, Bs);
      const o = opts('exp_heun', 1e-9, 10e-9, { seed: 9 });
      if (wasm) await e.transient(m, s, p1, o, new Float64Array(Bs * N));
      else relaxTransient(m, s, p1, o, 0, Bs);
      return s;
    };
    const a = await run(true);
    const b = await run(false);
    let z2 = 0;
    let logVar = 0;
    for (let i = 0; i < N; i++) {
      let ma = 0, mb = 0, va = 0, vb = 0;
      for (let k = 0; k < Bs; k++) {
        ma += a[k * N + i] / Bs;
        mb += b[k * N + i] / Bs;
      }
      for (let k = 0; k < Bs; k++) {
        va += (a[k * N + i] - ma) ** 2 / (Bs - 1);
        vb += (b[k * N + i] - mb) ** 2 / (Bs - 1);
      }
      z2 += (ma - mb) ** 2 / ((va + vb) / Bs);
      logVar += Math.log(va / vb);
    }
    // Mean z^2 over nodes ~ 1 (chi-square / N); the mean log variance ratio ~ 0 (std ~ 0.2 / sqrt(N)).
    console.log(`wasm vs float64 (exp_heun, noise on): mean z^2 ${(z2 / N).toFixed(3)}, mean log variance ratio ${(logVar / N).toFixed(4)}`);
    expect(z2 / N).toBeGreaterThan(0.7);
    expect(z2 / N).toBeLessThan(1.35);
    expect(Math.abs(logVar / N)).toBeLessThan(0.06);
  });

  it('in-situ gradient (noise off) at the preset step against a float64 dt -> 0 reference: exp_heun at tau/2 within 0.005 of Heun at 0.1 ns', async () => {
    const e = await WasmEngine.create(2);
    engines.push(e);
    const dd: Dims = { nx: 64, n1: 32, n2: 32 };
    const p = randomParams(dd, 6, 1.5);
    const Bg = 16;
    const x = randomVectors(Bg * dd.nx, 31, 0.6);
    const u = randomVectors(Bg * dd.nx, 32);
    const grad = async (solver: TransientOptions['solver'], dt: number, wasm: boolean) => {
      const c = reram(dd, 0);
      c.transient.solver = solver;
      c.transient.dt = dt;
      const g = (await insituEstimator(buildSimulation(c, 'transient'), 0, 0, wasm ? e : new LocalEngine()).estimate(p, x, u, 0)).grads;
      return Float64Array.from([...g.W0, ...g.W1, ...g.b0, ...g.b1, ...g.bx]);
    };
    const cos = (a: Float64Array, b: Float64Array) => {
      let ab = 0, aa = 0, bb = 0;
      for (let i = 0; i < a.length; i++) {
        ab += a[i] * b[i];
        aa += a[i] * a[i];
        bb += b[i] * b[i];
      }
      return ab / Math.sqrt(aa * bb);
    };
    const ref = await grad('exp_heun', 1e-11, false);
    const c2 = cos(await grad('exp_heun', 1e-9, true), ref);
    const c2h = cos(await grad('exp_heun', 0.5e-9, true), ref);
    const c1 = cos(await grad('exp_euler', 1e-9, true), ref);
    const ch = cos(await grad('heun', 1e-10, true), ref);
    console.log(`in-situ gradient cosine vs float64 exp_heun at 10 ps (random weights, scale 1.5): exp_heun 1 ns ${c2.toFixed(6)}, 0.5 ns ${c2h.toFixed(6)}; exp_euler 1 ns ${c1.toFixed(6)}; heun 0.1 ns ${ch.toFixed(6)}`);
    expect(c2).toBeGreaterThan(ch - 0.005);
    expect(c2).toBeGreaterThan(0.998);
    // Second order: halving dt cuts the error (and 1 - cos ~ |error|^2) by well over 4.
    expect(1 - c2h).toBeLessThan((1 - c2) / 4);
    expect(c1).toBeGreaterThan(0.97);
  });
});

describe('validator step rules', () => {
  it('closed-form stationary variance ratios and the 5% step bounds', () => {
    expect(varianceRatio('heun', 1.25)).toBeCloseTo(0.4898, 4);
    expect(varianceRatio('euler_maruyama', 0.5)).toBeCloseTo(2 / 1.5, 12);
    expect(maxStepForVariance('euler_maruyama')).toBeCloseTo(2 - 2 / 1.05, 9);
    const xh = maxStepForVariance('heun');
    expect(xh).toBeCloseTo(0.40921, 4);
    expect(Math.abs(varianceRatio('heun', xh) - 0.95)).toBeLessThan(1e-9);
  });

  it('heun with noise on the ReRAM chip needs dt <= 0.409 tau_fast; the exponential schemes dt <= tau', () => {
    // Ideal amplifiers: the preset's pole has a step rule of its own (checked first).
    const raw = (over: Record<string, unknown>) => ({ ...JSON.parse(JSON.stringify(reram({ nx: 64, n1: 128, n2: 128 }, 300))), transient: { ...loadCircuit(packagePath('circuits', 'reram.json')).transient, ...over } });
    expect(() => validateCircuit(raw({ solver: 'heun', dt: 1e-10 }), 'r.json')).toThrow(/^r\.json: transient\.dt: got 1e-10 s, allowed <= 2\.85e-11 s with "heun" and thermal noise/);
    expect(() => validateCircuit(raw({ solver: 'heun', dt: 2.5e-11 }), 'r.json')).not.toThrow();
    expect(() => validateCircuit(raw({ solver: 'exp_heun', dt: 1e-9 }), 'r.json')).not.toThrow();
    expect(() => validateCircuit(raw({ solver: 'exp_euler', dt: 2e-9 }), 'r.json')).not.toThrow();
    expect(() => validateCircuit(raw({ solver: 'exp_euler', dt: 2.2e-9 }), 'r.json')).toThrow(/^r\.json: transient\.dt: got 2\.2e-9 s, allowed <= 2\.00e-9 s with "exp_euler"/);
    // Stored circuits (checkpoints) skip the accuracy rule; without noise it does not apply.
    expect(() => validateCircuit(raw({ solver: 'heun', dt: 1e-10 }), 'r.json', { stepAccuracy: false })).not.toThrow();
    const cold = raw({ solver: 'heun', dt: 1e-10 });
    cold.noise = { ...cold.noise, temperature: 0 };
    expect(() => validateCircuit(cold, 'r.json')).not.toThrow();
  });

  it('the committed presets validate with an exponential solver', () => {
    for (const f of ['reram', 'pcm', 'low-power']) {
      const c = loadCircuit(packagePath('circuits', `${f}.json`));
      expect(c.transient.solver).toBe('exp_heun');
      expect(c.transient.dt).toBeCloseTo((c.node.capacitance / c.node.g_leak) / 2, 20);
    }
  });
});
