/** The in-situ step's fast paths give exactly the numbers of the plain code they replace (same draws, same sums). */
import { describe, expect, it } from 'vitest';
import { validateCircuit, type CircuitSpec } from '../src/circuit/spec.js';
import { type Chip, drawProgramNoise, programWeights, realiseChip } from '../src/chip/chip.js';
import { lastWriteStats } from '../src/chip/device-model.js';
import { drawReadNoise, measure, quantiseSymmetric } from '../src/chip/measure.js';
import { accumulateEnergyParamGrad } from '../src/dynamics/network.js';
import { type Dims, type Params, zeroParams } from '../src/circuit/params.js';
import { localGradient } from '../src/learning/insitu.js';
import { Rng } from '../src/util/rng.js';
import { randomParams, randomState } from './helpers/fixtures.js';

// Odd sizes: the wasm outer product's scalar tail runs too.
const d: Dims = { nx: 7, n1: 9, n2: 5 };
const layers = { visible: d.nx, hidden1: d.n1, hidden2: d.n2 };
const circuit = (over: Record<string, unknown> = {}): CircuitSpec =>
  validateCircuit({ format: 'gradep-circuit/1', layers, relax: { method: 'transient' }, ...over }, 'test.json');
const noisy = {
  synapse: { g_min: '1 uS', g_max: '100 uS', bits: 6, g_dtod: 0.05, topology: 'two_arrays' },
  program: { write_noise_abs: '0.5 uS', write_noise_rel: 0.05 },
  activation: { gain_dtod: 0.1, offset_dtod: 0.2 },
  measure: { read_noise_std: '2 mV', adc_bits: 10 },
};

/** programWeights' simple rewrite as written before its fast path: one write closure per device, drawing as it goes. */
function referenceProgram(chip: Chip, p: Params, rng: Rng): void {
  const { g_min, g_max, bits } = chip.spec.synapse;
  const { write_noise_abs: na, write_noise_rel: nr } = chip.spec.program;
  const gu = chip.spec.node.g_leak;
  const write = (r: Rng) => (t: number) => {
    let g = Math.min(g_max, Math.max(g_min, t));
    if (bits > 0) {
      const step = (g_max - g_min) / (2 ** bits - 1);
      g = g_min + Math.round((g - g_min) / step) * step;
    }
    if (na > 0 || nr > 0) g = Math.min(g_max, Math.max(g_min, g + (na + nr * g) * r.normal()));
    return g;
  };
  const pair = (w: (t: number) => number, W: Float64Array, Gp: Float64Array, Gm: Float64Array) => {
    for (let i = 0; i < W.length; i++) {
      Gp[i] = w(g_min + (W[i] > 0 ? W[i] * gu : 0));
      Gm[i] = w(g_min + (W[i] < 0 ? -W[i] * gu : 0));
    }
  };
  const f = write(rng);
  pair(f, p.W0, chip.G0p, chip.G0m);
  pair(f, p.W1, chip.G1p, chip.G1m);
  if (!chip.bwd) return;
  const b = write(new Rng(rng.nextU32(), 'program', 'backward'));
  pair(b, p.W0, chip.bwd.G0p, chip.bwd.G0m);
  pair(b, p.W1, chip.bwd.G1p, chip.bwd.G1m);
}

const conductances = (c: Chip) => [c.G0p, c.G0m, c.G1p, c.G1m, c.bwd?.G0p, c.bwd?.G0m, c.bwd?.G1p, c.bwd?.G1m];

describe('in-situ fast paths', () => {
  const p = randomParams(d, 4, 1.5);

  it('programWeights (drawing, or with its noise drawn ahead) writes what the per-device write did', () => {
    for (const over of [noisy, { ...noisy, program: {} }, { ...noisy, synapse: { ...noisy.synapse, bits: 0, topology: 'ideal_shared' } }]) {
      const c = circuit(over);
      const ref = realiseChip(c, d, 2);
      referenceProgram(ref, p, new Rng(5, 'program', 3));
      const drawn = realiseChip(c, d, 2);
      programWeights(drawn, p, new Rng(5, 'program', 3));
      const ahead = realiseChip(c, d, 2);
      programWeights(ahead, p, new Rng(5, 'program', 99), drawProgramNoise(ahead, new Rng(5, 'program', 3)));
      expect(conductances(drawn)).toEqual(conductances(ref));
      expect(conductances(ahead)).toEqual(conductances(ref));
      // The backward arrays' write is the last recorded, as deviceWriter recorded it.
      expect(lastWriteStats(drawn)).toEqual({ devices: 2 * (p.W0.length + p.W1.length), pulses: 2 * (p.W0.length + p.W1.length), unconverged: 0 });
    }
  });

  it('measure with its read noise drawn ahead is measure drawing it, and the plain formula', () => {
    const chip = realiseChip(circuit(noisy), d, 2);
    const raw = randomState(d, 3, 8);
    const a = measure(chip, raw, new Rng(1, 'read'));
    const b = measure(chip, raw, drawReadNoise(chip, new Rng(1, 'read'), raw.length));
    const r = new Rng(1, 'read');
    const { adc_bits, adc_range, read_noise_std } = chip.spec.measure;
    const vu = chip.spec.node.v_unit;
    const ref = raw.map((v) => quantiseSymmetric(v + (read_noise_std / vu) * r.normal(), adc_range / vu, adc_bits));
    expect(a).toEqual(ref);
    expect(b).toEqual(ref);
  });

  it('localGradient (wasm outer products) is accumulateEnergyParamGrad bit for bit', () => {
    const chip = realiseChip(circuit({ ...noisy, controller: { knowledge: 'oracle' } }), d, 2);
    programWeights(chip, p, new Rng(0, 'program'));
    const B = 11;
    const sP = randomState(d, B, 2);
    const sM = randomState(d, B, 3);
    const ref = zeroParams(d);
    const w = 1 / (2 * 0.02 * B);
    accumulateEnergyParamGrad(d, sP, 0, B, w, ref, new Float64Array(d.n1), new Float64Array(d.n2), chip);
    accumulateEnergyParamGrad(d, sM, 0, B, -w, ref, new Float64Array(d.n1), new Float64Array(d.n2), chip);
    expect(localGradient(chip, d, sP, sM, 0.02)).toEqual(ref);
  });
});
