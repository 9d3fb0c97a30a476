/** Physics invariants of the circuit model: ideal limit, mismatch statistics, equipartition, RC energy and settling. */
import { describe, expect, it } from 'vitest';
import { validateCircuit, type CircuitSpec } from '../src/circuit/spec.js';
import { chipParams, programWeights, realiseChip } from '../src/chip/chip.js';
import { CircuitModel, K_BOLTZMANN } from '../src/dynamics/circuit.js';
import { computeDrives, gradFromDrives, Scratch } from '../src/dynamics/network.js';
import { PAPER_DIMS, stateSize, zeroParams } from '../src/circuit/params.js';
import { relaxPaper } from '../src/solvers/relax.js';
import { relaxTransient } from '../src/solvers/transient.js';
import { freeStart, nudgeTargets } from '../src/circuit/phase.js';
import { initParams } from '../src/learning/init.js';
import { Rng } from '../src/util/rng.js';
import { randomVectors } from './helpers/fixtures.js';

const d = PAPER_DIMS;
const N = stateSize(d);
const circuit = (over: Record<string, unknown> = {}): CircuitSpec => validateCircuit({ format: 'gradep-circuit/1', ...over }, 'test.json');

function scaled(p: ReturnType<typeof initParams>, k: number) {
  for (const w of [p.W0, p.W1]) for (let i = 0; i < w.length; i++) w[i] *= k;
  return p;
}

describe('the ideal circuit is the ideal model', () => {
  const c = circuit();
  const p = scaled(initParams(d, 3), 3);
  const chip = realiseChip(c, d, 1);
  programWeights(chip, p, new Rng(0, 'program'));
  const model = new CircuitModel(chip);
  const tau = model.tau;
  const B = 3;
  const xt = randomVectors(B * 64, 4);
  const xtg = nudgeTargets(xt, randomVectors(B * 64, 5), 2, 15);

  it('programs and reads back the exact weights', () => {
    const q = chipParams(chip);
    for (const k of ['W0', 'W1'] as const) for (let i = 0; i < p[k].length; i++) expect(Math.abs(q[k][i] - p[k][i])).toBeLessThan(1e-15 * (1 + Math.abs(p[k][i])));
  });

  it('drift = -grad F / tau to 1e-12 (free, nudged, clamped)', () => {
    const s = randomVectors(B * N, 6);
    const sc = new Scratch(d);
    const g = new Float64Array(N);
    const out = new Float64Array(N);
    for (const [betaKappa, clampX] of [[0, false], [1.125, false], [-1.125, false], [0, true]] as const) {
      model.setPhase({ lambda: 0, xt, xtarget: xtg, betaKappa, clampX });
      for (let b = 0; b < B; b++) {
        computeDrives(p, d, s, b * N, sc);
        gradFromDrives(d, s, b * N, { lambda: 15, betaKappa, xt, xtarget: xtg, clampX }, b, sc, g, 0);
        model.drift(b, s.subarray(b * N, (b + 1) * N), out);
        for (let n = 0; n < N; n++) expect(Math.abs(out[n] * tau + g[n])).toBeLessThan(1e-12 * (1 + Math.abs(g[n])));
      }
    }
  });

  it('an Euler transient at dt = epsilon tau reproduces the paper relaxation to 1e-9', () => {
    const sA = freeStart(d, xt, B);
    relaxPaper(p, d, sA, { lambda: 15, betaKappa: 0, xt, xtarget: null }, { eps: 0.1, T: 300 }, 0, B);
    const sB = freeStart(d, xt, B);
    relaxTransient(model, sB, { lambda: 0, xt, xtarget: null, betaKappa: 0 }, { solver: 'euler', dt: 0.1 * tau, duration: 30 * tau, window: 0, seed: 0, stream: ['t'], rtol: 1e-6, atol: 1e-9, settleTol: 1e-3 }, 0, B);
    let md = 0;
    for (let i = 0; i < sA.length; i++) md = Math.max(md, Math.abs(sA[i] - sB[i]));
    expect(md).toBeLessThan(1e-9);
  });
});

describe('device mismatch', () => {
  const c = circuit({ synapse: { g_dtod: 0.05 }, node: { c_dtod: 0.1 }, activation: { gain_dtod: 0.02, offset_dtod: 0.03 } });
  it('has the configured statistics and is frozen per chip seed', () => {
    const chip = realiseChip(c, d, 7);
    const all = [...chip.m0p, ...chip.m1m];
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const std = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length);
    expect(Math.abs(mean - 1)).toBeLessThan(0.002);
    expect(Math.abs(std - 0.05)).toBeLessThan(0.002);
    const off = Array.from(chip.offset);
    const so = Math.sqrt(off.reduce((a, b) => a + b * b, 0) / off.length);
    expect(Math.abs(so - 0.03)).toBeLessThan(0.006);
    const cs = Array.from(chip.C, (v) => v / 100e-15);
    const sc = Math.sqrt(cs.reduce((a, b) => a + (b - 1) ** 2, 0) / cs.length);
    expect(Math.abs(sc - 0.1)).toBeLessThan(0.015);
    const again = realiseChip(c, d, 7);
    expect(again.m0p).toEqual(chip.m0p);
    expect(again.C).toEqual(chip.C);
    expect(realiseChip(c, d, 8).m0p[0]).not.toBe(chip.m0p[0]);
  });
});

describe('programming', () => {
  it('snaps to 2^bits levels, clips to [g_min, g_max], and adds write noise of the configured size', () => {
    const c = circuit({ node: { g_leak: '10 uS' }, synapse: { g_min: '1 uS', g_max: '31 uS', bits: 2 } });
    const chip = realiseChip(c, d, 0);
    const p = scaled(initParams(d, 1), 40);
    programWeights(chip, p, new Rng(0, 'program'));
    const levels = [1e-6, 11e-6, 21e-6, 31e-6];
    for (const g of [...chip.G0p, ...chip.G1m]) expect(levels.some((l) => Math.abs(g - l) < 1e-12)).toBe(true);
    const noisy = circuit({ node: { g_leak: '10 uS' }, synapse: { g_min: '0 S', g_max: '1 S' }, program: { write_noise_rel: 0.1 } });
    const chip2 = realiseChip(noisy, d, 0);
    const q = zeroParams(d);
    q.W1.fill(1); // every G1+ targets 10 uS
    programWeights(chip2, q, new Rng(1, 'program'));
    const r = Array.from(chip2.G1p, (g) => g / 10e-6 - 1);
    const sd = Math.sqrt(r.reduce((a, b) => a + b * b, 0) / r.length);
    expect(Math.abs(sd - 0.1)).toBeLessThan(0.005);
  });
});

describe('thermal noise and energy', () => {
  it('equipartition: an RC node fluctuates with Var(V) = k_B T / C (within 5%)', () => {
    const c = circuit({ noise: { temperature: '300 K' } });
    const chip = realiseChip(c, d, 0);
    programWeights(chip, zeroParams(d), new Rng(0, 'p'));
    const model = new CircuitModel(chip);
    const B = 40;
    const s = new Float64Array(B * N);
    const tau = model.tau;
    // Hidden nodes with zero weights are isolated RC nodes (x nodes also see the spring).
    relaxTransient(model, s, { lambda: 0, xt: new Float64Array(B * 64), xtarget: null, betaKappa: 0 }, { solver: 'heun', dt: tau / 50, duration: 8 * tau, window: 0, seed: 3, stream: ['eq'], rtol: 1e-6, atol: 1e-9, settleTol: 1e-3 }, 0, B);
    let sq = 0;
    let n = 0;
    for (let b = 0; b < B; b++) for (let i = 64; i < N; i++) {
      sq += (s[b * N + i] * c.node.v_unit) ** 2;
      n++;
    }
    const ratio = sq / n / ((K_BOLTZMANN * 300) / c.node.capacitance);
    expect(ratio).toBeGreaterThan(0.95);
    expect(ratio).toBeLessThan(1.05);
  });

  it('an RC relaxation dissipates exactly the stored energy 1/2 C V^2, and settles at tau ln(1/tol)', () => {
    const c = circuit({ transient: { settle_tol: 1e-4 } });
    const chip = realiseChip(c, d, 0);
    programWeights(chip, zeroParams(d), new Rng(0, 'p'));
    const model = new CircuitModel(chip);
    const tau = model.tau;
    const s = new Float64Array(N);
    for (let i = 64; i < N; i++) s[i] = 1; // hidden nodes charged to 1 unit, x = x_t = 0
    const st = relaxTransient(model, s, { lambda: 0, xt: new Float64Array(64), xtarget: null, betaKappa: 0 }, { solver: 'odex', dt: 0, duration: 40 * tau, window: 0, seed: 0, stream: ['e'], rtol: 1e-10, atol: 1e-12, settleTol: 1e-4 }, 0, 1);
    const stored = 256 * 0.5 * c.node.capacitance * c.node.v_unit ** 2;
    expect(Math.abs(st.energyMean / stored - 1)).toBeLessThan(1e-5);
    expect(Math.abs((st.settleTimeMax as number) / (tau * Math.log(1e4)) - 1)).toBeLessThan(1e-3);
  });
});

describe('malformed presets', () => {
  it('reject a step above the stability limit, odex with noise, and unknown fields', () => {
    expect(() => circuit({ relax: { method: 'transient' }, transient: { dt: '5 ns' } })).toThrow(/^test\.json: transient\.dt: got 5e-9 s, allowed < .* s \(the fastest node time constant/);
    expect(() => circuit({ relax: { method: 'transient' }, transient: { solver: 'odex' }, noise: { temperature: '300 K' } })).toThrow(/transient\.solver: got "odex" with noise\.temperature 300 K/);
    expect(() => circuit({ node: { capacitance: '100 fF', resistance: '1 kohm' } })).toThrow(/^test\.json: node\.resistance: unknown field/);
    expect(() => circuit({ node: { capacitance: '100 kg' } })).toThrow(/^test\.json: node\.capacitance: got "100 kg", allowed a number in F or a quantity string/);
    expect(() => circuit({ synapse: { g_min: '10 uS', g_max: '5 uS' } })).toThrow(/^test\.json: synapse\.g_max: got [0-9.e-]+ S, allowed > synapse\.g_min \([0-9.e-]+ S\)$/);
  });
});
