/**
 * The transistor-level activation (activation.kind "tanh", fitted to the ngspice characterisation
 * of circuits/spice/diffpair-tanh.cir): its closed form and derivative, the default kind keeps
 * every chip bit-identical (shape null), the ideal relaxations refuse it, the float32 chip kernel
 * agrees with the float64 reference, and the preset's numbers are the characterisation's.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type CircuitSpec, loadCircuit } from '../src/circuit/spec.js';
import { programWeights, realiseChip } from '../src/chip/chip.js';
import { freeStart, nudgeTargets } from '../src/circuit/phase.js';
import { CircuitModel } from '../src/dynamics/circuit.js';
import { actAndDeriv, actValue, rhoAndDeriv, tanhAndDeriv } from '../src/dynamics/activation.js';
import { PAPER_DIMS, stateSize } from '../src/circuit/params.js';
import { initParams } from '../src/learning/init.js';
import { relaxSpecOf } from '../src/build/build.js';
import { relaxTransient } from '../src/solvers/transient.js';
import { WasmEngine, wasmAvailable } from '../src/solvers/wasm-engine.js';
import { packagePath } from '../src/util/paths.js';
import { Rng } from '../src/util/rng.js';
import { randomVectors } from './helpers/fixtures.js';

const shape = { amplitude: 1.3, scale: 0.9, offset: -0.02, bias: 0.005 };
const us = [-30, -3, -1, -0.2, 0, 0.1, 0.7, 2, 25];

describe('activation.kind "tanh"', () => {
  it('rho = A tanh((u - u0)/s) + c and rho\' its exact derivative', () => {
    const out = new Float64Array(2);
    const h = 1e-5;
    for (const u of us) {
      tanhAndDeriv(shape, u, out, 0);
      expect(out[0]).toBeCloseTo(1.3 * Math.tanh((u + 0.02) / 0.9) + 0.005, 14);
      expect(out[1]).toBeCloseTo((actValue(shape, u + h) - actValue(shape, u - h)) / (2 * h), 8);
      expect(actValue(shape, u)).toBe(out[0]);
    }
  });

  it('shape null is the paper activation exactly; the default circuit realises shape null', () => {
    const a = new Float64Array(2);
    const b = new Float64Array(2);
    for (const u of us) {
      actAndDeriv(null, u, a, 0);
      rhoAndDeriv(u, b, 0);
      expect([...a]).toEqual([...b]);
    }
    expect(realiseChip(loadCircuit(packagePath('circuits', 'reram.json')), PAPER_DIMS, 0).shape).toBeNull();
  });

  it('the ideal relaxations refuse it with a one-line error', () => {
    const c = loadCircuit(packagePath('circuits', 'reram-cmos.json'));
    expect(() => relaxSpecOf(c, 'equilibrium')).toThrow(/activation.kind "tanh" is realised on chips only/);
  });

  it('the reram-cmos preset carries the 27 C characterisation (scale, offset, bias, static power of the element and of the multiplier)', () => {
    const c = loadCircuit(packagePath('circuits', 'reram-cmos.json'));
    const ch = JSON.parse(readFileSync(packagePath('reports', 'spice-activation', 'characterisation.json'), 'utf8'));
    const r = ch.results.find((x: { case: string }) => x.case === '27 C');
    const a = c.activation;
    expect(a.kind).toBe('tanh');
    expect(a.tanh_scale).toBeCloseTo(r.fit.v_s / c.node.v_unit, 3);
    expect(a.tanh_offset).toBeCloseTo(r.offset_v / c.node.v_unit, 4);
    expect(a.tanh_bias).toBeCloseTo((a.tanh_amplitude * r.fit.offset_current_a) / r.fit.amplitude_a, 4);
    expect(c.cost.activation_power).toBeCloseTo(r.static_power_w, 8);
    const mult = JSON.parse(readFileSync(packagePath('reports', 'spice-activation', 'multiplier.json'), 'utf8'));
    expect(c.cost.multiplier_power).toBeCloseTo(mult.results.find((x: { case: string }) => x.case === '27 C').static_power_w, 8);
  });
});

const d = PAPER_DIMS;
const N = stateSize(d);
const B = 9;
const engines: WasmEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
});

function model(c: CircuitSpec): CircuitModel {
  const chip = realiseChip(c, d, 3);
  programWeights(chip, initParams(d, 7, 1.5), new Rng(1, 'program'));
  return new CircuitModel(chip);
}

describe.skipIf(!wasmAvailable())('activation.kind "tanh" in the float32 chip kernel', () => {
  it('deterministic free and nudged Euler paths match the float64 reference, and differ from the paper activation', async () => {
    const c = loadCircuit(packagePath('circuits', 'reram-cmos.json'));
    const m = model(c);
    const silu = model({ ...c, activation: { ...c.activation, kind: 'scaled_tanh_silu' } });
    const e = await WasmEngine.create(2);
    engines.push(e);
    const xt = randomVectors(B * 64, 21);
    const xtg = nudgeTargets(xt, randomVectors(B * 64, 22), 2, 15);
    const o = { solver: 'euler' as const, dt: 1e-10, duration: 6e-9, window: 2e-9, seed: 5, stream: ['t'], rtol: 1e-6, atol: 1e-9, settleTol: 1e-3 };
    for (const betaKappa of [0, 0.3]) {
      const ph = { lambda: 0, xt, xtarget: xtg, betaKappa };
      const s32 = freeStart(d, xt, B);
      const st32 = await e.transient(m, s32, ph, o, new Float64Array(B * N));
      const s64 = freeStart(d, xt, B);
      const st64 = relaxTransient(m, s64, ph, o, 0, B, new Float64Array(B * N));
      const sSilu = freeStart(d, xt, B);
      relaxTransient(silu, sSilu, ph, o, 0, B, new Float64Array(B * N));
      let err = 0;
      let diff = 0;
      for (let i = 0; i < s32.length; i++) {
        err = Math.max(err, Math.abs(s32[i] - s64[i]));
        diff = Math.max(diff, Math.abs(sSilu[i] - s64[i]));
      }
      expect(err).toBeGreaterThan(0); // float32: the kernel ran, not the float64 fallback
      expect(err).toBeLessThan(1e-5);
      expect(diff).toBeGreaterThan(1e-2);
      expect(Math.abs(st32.energyMean / st64.energyMean - 1)).toBeLessThan(1e-5);
    }
  });
});
