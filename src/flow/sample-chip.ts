/**
 * Generation on a realised chip ("transfer": weights programmed onto the chip, then used at
 * program.read_time, so drift applies). Each velocity evaluation is a physical transient from
 * h = 0 over transient.t_free, measured through the ADC:
 *   spring:    the free phase with the spring to x; v = alpha lambda (x_meas - x)
 *   energy_gd: x held by its DAC, hidden nodes relax; v = -alpha (clamp current) / (G_unit V_unit)
 *              = -alpha (G_L,j x_j / G_unit - bx_j - sum_i W0b[i][j] rho_i(h1,i)),
 *              the physical current at the true end state read through the ADC (controller
 *              knowledge "nominal"), or computed digitally from the measured h1 with the chip's
 *              true weights and activation elements ("oracle", an ablation)
 * The Euler integration of x is digital, as in the reference loop.
 */
import type { Simulation } from '../build/build.js';
import { type Params, stateSize } from '../circuit/params.js';
import { freeStart } from '../circuit/phase.js';
import { type Chip, programWeights } from '../chip/chip.js';
import { dac, measure } from '../chip/measure.js';
import { CircuitModel } from '../dynamics/circuit.js';
import { energyGdVelocity, hiddenRho } from '../dynamics/network.js';
import type { RelaxEngine } from '../solvers/engine.js';
import { Rng } from '../util/rng.js';
import { eulerEvaluations, type VelocityMode } from './sample.js';

export interface ChipSampleOptions {
  mode: VelocityMode;
  n: number;
  t1: number;
  dt: number;
  seed: number;
  /** Hidden relaxation per velocity evaluation (s); default transient.t_free. */
  relaxTime?: number;
  onStep?: (k: number, total: number) => void;
}

export interface ChipSampleResult {
  samples: Float64Array;
  evaluations: number;
  /** Physical relaxation time per generated sample (s) and dissipated energy per sample (J). */
  timePerSample: number;
  energyPerSample: number;
}

/** Weights transferred onto `chip` (from the circuit `sim`), then samples generated on it. */
export async function generateOnChip(engine: RelaxEngine, sim: Simulation, chip: Chip, p: Params, o: ChipSampleOptions): Promise<ChipSampleResult> {
  const d = chip.d;
  const N = stateSize(d);
  programWeights(chip, p, new Rng(o.seed, 'program', 'sample'));
  const model = new CircuitModel(chip, sim.spec.program.read_time);
  const { lambda, alpha } = sim;
  const T = o.relaxTime ?? sim.transient.tFree;
  const x = new Float64Array(o.n * d.nx);
  new Rng(o.seed, 'sample', 'x0').fillNormal(x);
  const steps = eulerEvaluations(o.t1, o.dt);
  const avg = new Float64Array(o.n * N);
  const readRng = new Rng(o.seed, 'read', 'sample');
  // Each visible node's leak G_L,j / G_unit: the held node's own current in the energy_gd read-out.
  const leak = chip.GL.slice(0, d.nx).map((g) => g / sim.spec.node.g_leak);
  const ax = new Float64Array(d.nx);
  const v = new Float64Array(d.nx);
  const r1 = new Float64Array(d.n1);
  const r2 = new Float64Array(d.n2);
  const tmp = new Float64Array(2);
  const q = new Float64Array(o.n * d.nx);
  const oracle = chip.spec.controller.knowledge === 'oracle';
  // The current the network drives into held x of sample b (true weights W0b), a_x = bx + W0b^T rho(h1).
  const clampCurrent = (r: Float64Array) => {
    ax.set(chip.bias.bx);
    for (let i = 0; i < d.n1; i++) for (let j = 0; j < d.nx; j++) ax[j] += model.w.W0b[i * d.nx + j] * r[i];
  };
  let energy = 0;
  for (let k = 0; k < steps; k++) {
    const xD = dac(chip, x);
    const s = freeStart(d, xD, o.n);
    const st = await engine.transient(model, s, { lambda, xt: xD, xtarget: null, betaKappa: 0, clampX: o.mode === 'energy_gd' }, { ...sim.transient.base, duration: T, seed: o.seed, stream: ['sample', k] }, avg);
    energy += st.energyMean;
    const m = o.mode === 'spring' || oracle ? measure(chip, avg, readRng) : avg;
    for (let b = 0; b < o.n; b++) {
      if (o.mode === 'spring') {
        for (let j = 0; j < d.nx; j++) x[b * d.nx + j] += o.dt * alpha * lambda * (m[b * N + j] - x[b * d.nx + j]);
      } else if (oracle) {
        // Oracle (ablation): the controller computes the clamp current in digital code from
        // the measured h1 and the chip's true weights, activation elements and leaks.
        hiddenRho(d, m, b * N, chip, r1, r2, tmp);
        clampCurrent(r1);
        energyGdVelocity(alpha, xD, b * d.nx, ax, leak, v, 0);
        for (let j = 0; j < d.nx; j++) x[b * d.nx + j] += o.dt * v[j];
      } else {
        // The clamp current is physical: the true circuit at the true end state.
        // q = I_clamp / (G_unit V_unit) = G_L,j x_j / G_unit - a_x,j (v = -alpha q, as energyGdVelocity).
        hiddenRho(d, avg, b * N, chip, r1, r2, tmp);
        clampCurrent(r1);
        for (let j = 0; j < d.nx; j++) q[b * d.nx + j] = leak[j] * xD[b * d.nx + j] - ax[j];
      }
    }
    if (o.mode === 'energy_gd' && !oracle) {
      // The held sources' currents, read through a transimpedance of nominal 1/G_unit and the ADC.
      const qm = measure(chip, q, readRng);
      for (let i = 0; i < x.length; i++) x[i] += o.dt * (-alpha * qm[i]);
    }
    o.onStep?.(k + 1, steps);
  }
  for (let i = 0; i < x.length; i++) x[i] = Math.max(-1, Math.min(1, x[i]));
  return { samples: x, evaluations: steps, timePerSample: steps * T, energyPerSample: energy };
}
