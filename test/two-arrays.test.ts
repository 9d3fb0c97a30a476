/** synapse.topology: a forward and a backward array per layer, each programmed and mismatched separately. */
import { describe, expect, it } from 'vitest';
import { keyCircuit, validateCircuit, type CircuitSpec } from '../src/circuit/spec.js';
import { crossbarLines, effectiveWeights, programWeights, realiseChip } from '../src/chip/chip.js';
import { CircuitModel } from '../src/dynamics/circuit.js';
import { PAPER_DIMS, stateSize } from '../src/circuit/params.js';
import { freeStart, nudgeTargets } from '../src/circuit/phase.js';
import { relaxTransient } from '../src/solvers/transient.js';
import { Rng } from '../src/util/rng.js';
import { randomParams, randomVectors, TINY } from './helpers/fixtures.js';

const circuit = (over: Record<string, unknown> = {}): CircuitSpec => validateCircuit({ format: 'gradep-circuit/1', ...over }, 'test.json');

const devices = { node: { g_leak: '50 uS' }, synapse: { g_min: '1 uS', g_max: '100 uS', bits: 6 }, program: { drift_nu: 0.01, read_time: '100 s' } };

describe('two arrays without write noise or mismatch equal the shared array', () => {
  const d = TINY;
  const N = stateSize(d);
  const p = randomParams(d, 2, 1.5);
  const shared = realiseChip(circuit(devices), d, 3);
  const two = realiseChip(circuit({ ...devices, synapse: { ...devices.synapse, topology: 'two_arrays' } }), d, 3);
  programWeights(shared, p, new Rng(0, 'program'));
  programWeights(two, p, new Rng(0, 'program'));

  it('effective weights (with drift) and line sums are identical', () => {
    expect(shared.bwd).toBeNull();
    expect(two.bwd).not.toBeNull();
    const a = effectiveWeights(shared, 100);
    const b = effectiveWeights(two, 100);
    for (const k of ['W0f', 'W0b', 'W1f', 'W1b'] as const) expect(b[k]).toEqual(a[k]);
    expect(crossbarLines(two)).toEqual(crossbarLines(shared));
  });

  it('drift, noise amplitudes, power and an Euler transient are identical', () => {
    const B = 2;
    const xt = randomVectors(B * d.nx, 4);
    const ph = { lambda: 0, xt, xtarget: nudgeTargets(xt, randomVectors(B * d.nx, 5), 2, 15), betaKappa: 1.1 };
    const ma = new CircuitModel(shared, 100);
    const mb = new CircuitModel(two, 100);
    expect(mb.gSyn).toEqual(ma.gSyn);
    expect(mb.sigma).toEqual(ma.sigma);
    ma.setPhase(ph);
    mb.setPhase(ph);
    const s = randomVectors(B * N, 6);
    const oa = new Float64Array(N);
    const ob = new Float64Array(N);
    ma.drift(0, s, oa);
    mb.drift(0, s, ob);
    expect(ob).toEqual(oa);
    expect(mb.power(0, s)).toBe(ma.power(0, s));
    const opts = { solver: 'euler' as const, dt: ma.tau / 20, duration: 5 * ma.tau, window: 0, seed: 0, stream: ['t'], rtol: 1e-6, atol: 1e-9, settleTol: 1e-3 };
    const sa = freeStart(d, xt, B);
    const sb = freeStart(d, xt, B);
    const sta = relaxTransient(ma, sa, ph, opts, 0, B);
    const stb = relaxTransient(mb, sb, ph, opts, 0, B);
    expect(sb).toEqual(sa);
    expect(stb.energyMean).toBe(sta.energyMean);
  });
});

describe('the shared array keeps the old line sums', () => {
  it('s0col, s0row, s1col, s1row and gSyn are the per-line device sums', () => {
    const d = TINY;
    const chip = realiseChip(circuit({ ...devices, synapse: { ...devices.synapse, g_dtod: 0.05 } }), d, 1);
    programWeights(chip, randomParams(d, 1), new Rng(0, 'program'));
    const m = new CircuitModel(chip);
    const { nx, n1, n2 } = d;
    const s0col = new Float64Array(nx);
    const s0row = new Float64Array(n1);
    const s1col = new Float64Array(n1);
    const s1row = new Float64Array(n2);
    for (let i = 0; i < n1; i++) for (let j = 0; j < nx; j++) {
      const g = chip.G0p[i * nx + j] * chip.m0p[i * nx + j] + chip.G0m[i * nx + j] * chip.m0m[i * nx + j];
      s0col[j] += g;
      s0row[i] += g;
    }
    for (let k = 0; k < n2; k++) for (let i = 0; i < n1; i++) {
      const g = chip.G1p[k * n1 + i] * chip.m1p[k * n1 + i] + chip.G1m[k * n1 + i] * chip.m1m[k * n1 + i];
      s1col[i] += g;
      s1row[k] += g;
    }
    expect(m.s0col).toEqual(s0col);
    expect(m.s0row).toEqual(s0row);
    expect(m.s1col).toEqual(s1col);
    expect(m.s1row).toEqual(s1row);
    expect(Array.from(m.gSyn)).toEqual([...s0col, ...Array.from(s0row, (v, i) => v + s1col[i]), ...s1row]);
  });
});

describe('two arrays with write noise', () => {
  it('differ, and the measured non-reciprocity matches sqrt(2) x the write noise', () => {
    const d = PAPER_DIMS;
    const rel = 0.05;
    // g_min = 0 and relative write noise only: each used device gets std rel G, unused ones stay at 0.
    const c = circuit({ node: { g_leak: '50 uS' }, synapse: { topology: 'two_arrays' }, program: { write_noise_rel: rel } });
    const chip = realiseChip(c, d, 5);
    const p = randomParams(d, 7);
    programWeights(chip, p, new Rng(0, 'program'));
    const w = effectiveWeights(chip);
    let diff = 0;
    let norm = 0;
    let expected = 0;
    for (let i = 0; i < p.W0.length; i++) {
      diff += (w.W0f[i] - w.W0b[i]) ** 2;
      norm += w.W0f[i] ** 2;
      expected += 2 * (rel * p.W0[i]) ** 2; // Var(W0f - W0b) per weight: two independent writes
    }
    const measured = Math.sqrt(diff / norm);
    const predicted = Math.sqrt(expected / norm);
    expect(predicted).toBeCloseTo(Math.SQRT2 * rel, 2);
    expect(Math.abs(measured / predicted - 1)).toBeLessThan(0.03);
    // Each array alone is a write-noise-sized perturbation of the target.
    let ef = 0;
    for (let i = 0; i < p.W0.length; i++) ef += (w.W0f[i] - p.W0[i]) ** 2;
    expect(Math.abs(Math.sqrt(ef / norm) / rel - 1)).toBeLessThan(0.05);
  });

  it('draws its own frozen mismatch per array', () => {
    const c = circuit({ synapse: { topology: 'two_arrays', g_dtod: 0.05 } });
    const chip = realiseChip(c, TINY, 5);
    const b = chip.bwd;
    expect(b).not.toBeNull();
    expect(b?.m0p).not.toEqual(chip.m0p);
    expect(realiseChip(c, TINY, 5).bwd?.m1m).toEqual(b?.m1m);
    // The forward factors are those of the shared chip (same stream).
    expect(chip.m0p).toEqual(realiseChip(circuit({ synapse: { g_dtod: 0.05 } }), TINY, 5).m0p);
  });
});

describe('sweep point keys', () => {
  it('leave the new fields out at their neutral values and keep them otherwise', () => {
    const plain = keyCircuit(circuit()) as Record<string, Record<string, unknown>>;
    expect(plain.controller).toBeUndefined();
    expect(Object.keys(plain.synapse)).toEqual(['g_min', 'g_max', 'bits', 'g_dtod', 'nonreciprocity']);
    expect(Object.keys(plain.dac)).toEqual(['bits', 'v_range']);
    const two = keyCircuit(circuit({ synapse: { topology: 'two_arrays' }, controller: { knowledge: 'nominal' } })) as Record<string, Record<string, unknown>>;
    expect(two.synapse.topology).toBe('two_arrays');
    expect(two.controller).toEqual({ knowledge: 'nominal' });
  });
});
