/** controller.knowledge: what the digital controller knows (nominal values vs the chip's true ones), and the residual nudge DAC. */
import { describe, expect, it } from 'vitest';
import { validateCircuit, type CircuitSpec } from '../src/circuit/spec.js';
import { buildSimulation } from '../src/build/build.js';
import { type Chip, programWeights, realiseChip } from '../src/chip/chip.js';
import { dac, measure, nudgeDac } from '../src/chip/measure.js';
import { CircuitModel } from '../src/dynamics/circuit.js';
import { accumulateEnergyParamGrad, energyGdVelocity, hiddenRho } from '../src/dynamics/network.js';
import { type Params, stateSize, zeroParams } from '../src/circuit/params.js';
import { freeStart, nudgeTargets } from '../src/circuit/phase.js';
import { localGradient } from '../src/learning/insitu.js';
import { generateOnChip } from '../src/flow/sample-chip.js';
import { eulerEvaluations } from '../src/flow/sample.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { Rng } from '../src/util/rng.js';
import { randomParams, randomState, randomVectors, TINY } from './helpers/fixtures.js';

const d = TINY;
const layers = { visible: d.nx, hidden1: d.n1, hidden2: d.n2 };
const circuit = (over: Record<string, unknown> = {}): CircuitSpec => validateCircuit({ format: 'gradep-circuit/1', layers, relax: { method: 'transient' }, transient: { t_free: '20 ns' }, ...over }, 'test.json');
const mismatched = { activation: { gain_dtod: 0.1, offset_dtod: 0.2 }, node: { gl_dtod: 0.05 }, synapse: { g_dtod: 0.05 }, measure: { read_noise_std: '2 mV', adc_bits: 10 } };

function chipOf(c: CircuitSpec, p: Params): Chip {
  const chip = realiseChip(c, d, 3);
  programWeights(chip, p, new Rng(0, 'program'));
  return chip;
}

describe('the local update', () => {
  const p = randomParams(d, 1);
  const sP = randomState(d, 3, 2);
  const sM = randomState(d, 3, 3);
  it('oracle (the default) is the chip-activation update bit for bit; nominal uses gain 1 and offset 0', () => {
    expect(circuit().controller.knowledge).toBe('oracle');
    const chip = chipOf(circuit({ ...mismatched, controller: { knowledge: 'oracle' } }), p);
    const ref = zeroParams(d);
    const w = 1 / (2 * 0.01 * 3);
    accumulateEnergyParamGrad(d, sP, 0, 3, w, ref, new Float64Array(d.n1), new Float64Array(d.n2), chip);
    accumulateEnergyParamGrad(d, sM, 0, 3, -w, ref, new Float64Array(d.n1), new Float64Array(d.n2), chip);
    const g = localGradient(chip, d, sP, sM, 0.01);
    expect(g).toEqual(ref);
    const nominal = localGradient(chipOf(circuit({ ...mismatched, controller: { knowledge: 'nominal' } }), p), d, sP, sM, 0.01);
    expect(nominal.W1).not.toEqual(g.W1);
  });

  it('nominal equals oracle on an ideal chip', () => {
    const a = localGradient(chipOf(circuit({ controller: { knowledge: 'nominal' } }), p), d, sP, sM, 0.01);
    const b = localGradient(chipOf(circuit({ controller: { knowledge: 'oracle' } }), p), d, sP, sM, 0.01);
    expect(a).toEqual(b);
  });
});

/** The energy_gd chip sampler as it was before controller.knowledge (the oracle reference). */
async function referenceEnergyGd(c: CircuitSpec, chip: Chip, p: Params, n: number, t1: number, dt: number, seed: number): Promise<Float64Array> {
  const sim = buildSimulation(c, 'transient');
  const engine = new LocalEngine();
  const N = stateSize(d);
  programWeights(chip, p, new Rng(seed, 'program', 'sample'));
  const model = new CircuitModel(chip, c.program.read_time);
  const x = new Float64Array(n * d.nx);
  new Rng(seed, 'sample', 'x0').fillNormal(x);
  const avg = new Float64Array(n * N);
  const readRng = new Rng(seed, 'read', 'sample');
  const leak = chip.GL.slice(0, d.nx).map((g) => g / c.node.g_leak);
  const [ax, v, r1, r2, tmp] = [new Float64Array(d.nx), new Float64Array(d.nx), new Float64Array(d.n1), new Float64Array(d.n2), new Float64Array(2)];
  for (let k = 0; k < eulerEvaluations(t1, dt); k++) {
    const xD = dac(chip, x);
    const s = freeStart(d, xD, n);
    await engine.transient(model, s, { lambda: sim.lambda, xt: xD, xtarget: null, betaKappa: 0, clampX: true }, { ...sim.transient.base, duration: sim.transient.tFree, seed, stream: ['sample', k] }, avg);
    const m = measure(chip, avg, readRng);
    for (let b = 0; b < n; b++) {
      hiddenRho(d, m, b * N, chip, r1, r2, tmp);
      ax.set(chip.bias.bx);
      for (let i = 0; i < d.n1; i++) for (let j = 0; j < d.nx; j++) ax[j] += model.w.W0b[i * d.nx + j] * r1[i];
      energyGdVelocity(sim.alpha, xD, b * d.nx, ax, leak, v, 0);
      for (let j = 0; j < d.nx; j++) x[b * d.nx + j] += dt * v[j];
    }
  }
  return x.map((v) => Math.max(-1, Math.min(1, v)));
}

describe('the energy_gd read-out on a chip', () => {
  const p = randomParams(d, 4);
  const o = { mode: 'energy_gd' as const, n: 2, t1: 0.5, dt: 0.1, seed: 1 };
  it('oracle reproduces the previous digital read-out bit for bit', async () => {
    const c = circuit({ ...mismatched, controller: { knowledge: 'oracle' } });
    const got = await generateOnChip(new LocalEngine(), buildSimulation(c, 'transient'), realiseChip(c, d, 3), p, o);
    expect(got.samples).toEqual(await referenceEnergyGd(c, realiseChip(c, d, 3), p, o.n, o.t1, o.dt, o.seed));
  });

  it('nominal equals oracle on an ideal chip, and differs where the measurement is noisy', async () => {
    const run = async (over: Record<string, unknown>) => {
      const c = circuit(over);
      return (await generateOnChip(new LocalEngine(), buildSimulation(c, 'transient'), realiseChip(c, d, 3), p, o)).samples;
    };
    expect(await run({ controller: { knowledge: 'nominal' } })).toEqual(await run({ controller: { knowledge: 'oracle' } }));
    const nominal = await run({ ...mismatched, controller: { knowledge: 'nominal' } });
    const oracle = await run({ ...mismatched, controller: { knowledge: 'oracle' } });
    expect(nominal).not.toEqual(oracle);
    // Both read the same physical velocity up to read noise: close, not equal.
    for (let i = 0; i < nominal.length; i++) expect(Math.abs(nominal[i] - oracle[i])).toBeLessThan(0.05);
  });
});

describe('the residual nudge DAC', () => {
  const c = circuit({ dac: { bits: 8, v_range: '500 mV', residual_bits: 8, residual_range: '50 mV' } });
  const chip = realiseChip(c, d, 0);
  const B = 50;
  const xt = randomVectors(B * d.nx, 1, 0.8);
  // Offsets u_t / (alpha lambda) of the ReRAM preset's size: |x_target - x_t| well inside +-0.5 units.
  const xtg = nudgeTargets(xt, randomVectors(B * d.nx, 2, 1.5), 2, 15);
  const xtD = dac(chip, xt);

  it('drives the nudge offset to within half a residual LSB', () => {
    const lsb = (2 * 0.05) / 0.1 / (2 ** 8 - 1);
    const xn = nudgeDac(chip, xt, xtD, xtg);
    let worst = 0;
    for (let i = 0; i < xt.length; i++) worst = Math.max(worst, Math.abs(xn[i] - xtD[i] - (xtg[i] - xt[i])));
    expect(worst).toBeLessThanOrEqual(lsb / 2 + 1e-15);
    // Quantising x_target separately errs by up to a main-DAC LSB (10 x coarser here).
    const sep = dac(chip, xtg);
    let worstSep = 0;
    for (let i = 0; i < xt.length; i++) worstSep = Math.max(worstSep, Math.abs(sep[i] - xtD[i] - (xtg[i] - xt[i])));
    expect(worstSep).toBeGreaterThan(3 * lsb);
  });

  it('is off at residual_bits = 0 (the main DAC quantises x_target, as before)', () => {
    const off = realiseChip(circuit({ dac: { bits: 8 } }), d, 0);
    expect(nudgeDac(off, xt, dac(off, xt), xtg)).toEqual(dac(off, xtg));
  });
});
