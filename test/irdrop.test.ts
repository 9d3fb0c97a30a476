/** Line resistance (IR drop): the exact network solve against a dense solve and a closed form, the first-order model against the exact one, and the chip integration. */
import { describe, expect, it } from 'vitest';
import { validateCircuit, type CircuitSpec } from '../src/circuit/spec.js';
import { effectiveWeights, programWeights, realiseChip } from '../src/chip/chip.js';
import { irDropWeights } from '../src/chip/irdrop.js';
import { CircuitModel } from '../src/dynamics/circuit.js';
import { Rng } from '../src/util/rng.js';
import { randomParams, TINY } from './helpers/fixtures.js';

const circuit = (over: Record<string, unknown> = {}): CircuitSpec => validateCircuit({ format: 'gradep-circuit/1', ...over }, 'test.json');

/** Random pair conductances (S) in the ReRAM preset's window 1-100 uS, laid out [s * nd + d]. */
function pairs(ns: number, nd: number, seed: number) {
  const r = new Rng(seed, 'ir');
  const gp = new Float64Array(ns * nd);
  const gm = new Float64Array(ns * nd);
  for (let i = 0; i < gp.length; i++) {
    gp[i] = 1e-6 + 99e-6 * r.uniform() ** 2;
    gm[i] = 1e-6 + 99e-6 * r.uniform() ** 2;
  }
  return { gp, gm };
}

/**
 * Independent oracle: the nodal matrix of the network in volts and siemens, written from the
 * geometry in src/chip/irdrop.ts (driven line p = 2d / 2d + 1 at +V / -V, fed at s = 0; sensed
 * line s grounded past p = P - 1), solved by Gaussian elimination with partial pivoting.
 */
function denseWeights(gp: Float64Array, gm: Float64Array, ns: number, nd: number, r: number, gu: number): Float64Array {
  const P = 2 * nd;
  const n = 2 * P * ns;
  const aIdx = (p: number, s: number) => p * ns + s;
  const cIdx = (p: number, s: number) => P * ns + p * ns + s;
  const W = new Float64Array(ns * nd);
  const gw = 1 / r;
  for (let d = 0; d < nd; d++) {
    const A = Array.from({ length: n }, () => new Float64Array(n + 1));
    const link = (i: number, j: number, g: number) => {
      A[i][i] += g;
      A[j][j] += g;
      A[i][j] -= g;
      A[j][i] -= g;
    };
    for (let p = 0; p < P; p++) {
      const V = p === 2 * d ? 1 : p === 2 * d + 1 ? -1 : 0;
      A[aIdx(p, 0)][aIdx(p, 0)] += gw; // segment to the source
      A[aIdx(p, 0)][n] += gw * V;
      for (let s = 0; s + 1 < ns; s++) link(aIdx(p, s), aIdx(p, s + 1), gw);
      for (let s = 0; s < ns; s++) link(aIdx(p, s), cIdx(p, s), (p & 1) === 0 ? gp[s * nd + (p >> 1)] : gm[s * nd + (p >> 1)]);
    }
    for (let s = 0; s < ns; s++) {
      for (let p = 0; p + 1 < P; p++) link(cIdx(p, s), cIdx(p + 1, s), gw);
      A[cIdx(P - 1, s)][cIdx(P - 1, s)] += gw; // segment to the virtual ground
    }
    for (let k = 0; k < n; k++) {
      let piv = k;
      for (let i = k + 1; i < n; i++) if (Math.abs(A[i][k]) > Math.abs(A[piv][k])) piv = i;
      [A[k], A[piv]] = [A[piv], A[k]];
      for (let i = k + 1; i < n; i++) {
        const f = A[i][k] / A[k][k];
        if (f !== 0) for (let j = k; j <= n; j++) A[i][j] -= f * A[k][j];
      }
    }
    const x = new Float64Array(n);
    for (let i = n - 1; i >= 0; i--) {
      let v = A[i][n];
      for (let j = i + 1; j < n; j++) v -= A[i][j] * x[j];
      x[i] = v / A[i][i];
    }
    for (let s = 0; s < ns; s++) W[s * nd + d] = (x[cIdx(P - 1, s)] * gw) / gu;
  }
  return W;
}

function relErrors(a: Float64Array, b: Float64Array) {
  let max = 0;
  let se = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
    se += (a[i] - b[i]) ** 2;
    sb += b[i] ** 2;
  }
  return { max, rms: Math.sqrt(se / sb) };
}

const GU = 50e-6;

describe('the exact IR-drop solve', () => {
  it('matches a dense nodal solve on a 5 x 4 array', () => {
    const { gp, gm } = pairs(5, 4, 1);
    for (const r of [1, 10, 1000]) {
      const e = irDropWeights(gp, gm, 5, 4, r, 'exact', GU);
      const ref = denseWeights(gp, gm, 5, 4, r, GU);
      for (let i = 0; i < e.length; i++) expect(Math.abs(e[i] - ref[i])).toBeLessThan(1e-10 * (1 + Math.abs(ref[i])));
    }
  });

  it('a single device is a series resistance: I = V / (1/G + 3 r)', () => {
    // One cell, G- = 0: source -r- G -(sensed line: node of line 0, r, node of line 1, r)- ground.
    const G = 40e-6;
    const r = 500;
    const W = irDropWeights(Float64Array.of(G), Float64Array.of(0), 1, 1, r, 'exact', GU);
    expect(W[0]).toBeCloseTo(1 / (1 / G + 3 * r) / GU, 12);
    expect(irDropWeights(Float64Array.of(G), Float64Array.of(0), 1, 1, r, 'first_order', GU)[0]).toBeCloseTo((G * (1 - 3 * r * G)) / GU, 12);
  });
});

describe('the first-order IR-drop model', () => {
  it('approximates the exact network with an error of second order in r_wire', () => {
    const { gp, gm } = pairs(16, 8, 2);
    const err = (r: number) => relErrors(irDropWeights(gp, gm, 16, 8, r, 'first_order', GU), irDropWeights(gp, gm, 16, 8, r, 'exact', GU)).rms;
    const e1 = err(1);
    const e2 = err(2);
    expect(e1).toBeLessThan(1e-3);
    // Halving r quarters the error (the model drops O(r^2) terms).
    expect(e2 / e1).toBeGreaterThan(3.6);
    expect(e2 / e1).toBeLessThan(4.4);
  });
});

describe('IR drop on a chip', () => {
  const d = TINY;
  const p = randomParams(d, 3);
  it('r_wire = 0 reproduces the ideal-wire weights exactly', () => {
    const c = circuit({ synapse: { g_min: '1 uS', g_max: '100 uS', g_dtod: 0.05 }, node: { g_leak: '50 uS' } });
    const chip = realiseChip(c, d, 4);
    programWeights(chip, p, new Rng(0, 'program'));
    const w = effectiveWeights(chip);
    const k = 1 / c.node.g_leak;
    for (let i = 0; i < p.W0.length; i++) expect(w.W0f[i]).toBe((chip.G0p[i] * chip.m0p[i] - chip.G0m[i] * chip.m0m[i]) * k);
    expect(w.W0b).toBe(w.W0f);
  });

  it('is direction dependent on one shared array and first order tracks exact', () => {
    const base = { synapse: { g_min: '1 uS', g_max: '100 uS', r_wire: 20 }, node: { g_leak: '50 uS' } };
    const chipE = realiseChip(circuit({ ...base, synapse: { ...base.synapse, ir_model: 'exact' } }), d, 4);
    const chipF = realiseChip(circuit(base), d, 4);
    programWeights(chipE, p, new Rng(0, 'program'));
    programWeights(chipF, p, new Rng(0, 'program'));
    const e = effectiveWeights(chipE);
    const f = effectiveWeights(chipF);
    const nr = relErrors(e.W0b, e.W0f).rms;
    expect(nr).toBeGreaterThan(1e-4);
    for (const k of ['W0f', 'W0b', 'W1f', 'W1b'] as const) expect(relErrors(f[k], e[k]).rms).toBeLessThan(0.05 * nr + 1e-6);
    // The model consumes them: its drift uses W0b != W0f.
    expect(new CircuitModel(chipE).w.W0b).not.toBe(new CircuitModel(chipE).w.W0f);
  });
});

describe('exact IR-drop cache', () => {
  it('equal inputs return equal (copied) weights; changed conductances are solved afresh', () => {
    const { gp, gm } = pairs(4, 6, 31);
    const a = irDropWeights(gp, gm, 4, 6, 2, 'exact', 50e-6);
    const b = irDropWeights(gp.slice(), gm.slice(), 4, 6, 2, 'exact', 50e-6);
    expect(Array.from(b)).toEqual(Array.from(a));
    b[0] = 123;
    expect(irDropWeights(gp, gm, 4, 6, 2, 'exact', 50e-6)[0]).toBe(a[0]);
    const gp2 = gp.slice();
    gp2[5] *= 1.5;
    const c = irDropWeights(gp2, gm, 4, 6, 2, 'exact', 50e-6);
    expect(c[5]).not.toBe(a[5]);
    expect(irDropWeights(gp, gm, 4, 6, 3, 'exact', 50e-6)[0]).not.toBe(a[0]);
  });
});
