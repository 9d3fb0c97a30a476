/**
 * GradEP in situ: every phase is a physical transient on the realised chip, with its
 * mismatch, noise, converters and finite relaxation time; the weight update is computed
 * from measured node voltages only, through each neuron's own activation element
 * (rho_i(u) = gain_i rho(u - offset_i)), exactly what a local update circuit would see.
 */
import type { TransientOptions, TransientSettings } from '../circuit/analysis.js';
import { type Dims, type Params, stateSize, zeroParams } from '../circuit/params.js';
import { freeStart, nudgeTargets } from '../circuit/phase.js';
import type { Simulation } from '../build/build.js';
import { buildChip } from '../build/build.js';
import { type Chip, programWeights } from '../chip/chip.js';
import { dac, measure, nudgeDac } from '../chip/measure.js';
import { CircuitModel } from '../dynamics/circuit.js';
import { accumulateEnergyParamGrad, type NeuronActivation } from '../dynamics/network.js';
import type { TransientStats } from '../solvers/transient.js';
import type { RelaxEngine } from '../solvers/engine.js';
import type { GradientEstimate } from './estimate.js';
import { flowMse } from './gradep.js';
import { Rng } from '../util/rng.js';

/** The estimator's constants and the transient analysis, as the build step derives them. */
export type InsituConfig = Pick<Simulation, 'lambda' | 'alpha' | 'beta' | 'kappa'> & { transient: TransientSettings };

/** Where this estimate's noise comes from: streams (seed, "thermal"/"read", ...stream). */
export interface NoiseStreams {
  seed: number;
  /** Names this estimate's noise streams (e.g. ["train", step]). */
  stream: (string | number)[];
}

/**
 * The activation the controller evaluates rho(h) of measured states with: the chip's own
 * elements (gain_i, offset_i) only with controller.knowledge = "oracle"; otherwise the nominal
 * element (gain 1, offset 0), written as an activation record so that on an ideal chip both
 * give bit-identical numbers.
 */
export function controllerActivation(chip: Chip): NeuronActivation {
  if (chip.spec.controller.knowledge === 'oracle') return chip;
  const nh = chip.d.n1 + chip.d.n2;
  return { gain: new Float64Array(nh).fill(1), offset: new Float64Array(nh), shape: chip.shape };
}

/** Local update from measured states: mean_b [dE/dtheta(s+) - dE/dtheta(s-)] / (2 beta). */
export function localGradient(chip: Chip, d: Dims, sPlus: Float64Array, sMinus: Float64Array, beta: number): Params {
  const B = sPlus.length / stateSize(d);
  const g = zeroParams(d);
  const w = 1 / (2 * beta * B);
  const r1 = new Float64Array(d.n1);
  const r2 = new Float64Array(d.n2);
  const act = controllerActivation(chip);
  accumulateEnergyParamGrad(d, sPlus, 0, B, w, g, r1, r2, act);
  accumulateEnergyParamGrad(d, sMinus, 0, B, -w, g, r1, r2, act);
  return g;
}

/** One in-situ GradEP estimate on the chip as currently programmed. */
export async function insituEstimate(engine: RelaxEngine, model: CircuitModel, xt: Float64Array, ut: Float64Array, cfg: InsituConfig, noise: NoiseStreams): Promise<GradientEstimate<TransientStats>> {
  const chip = model.chip;
  const d = chip.d;
  const N = stateSize(d);
  const B = xt.length / d.nx;
  const { lambda, alpha, beta, kappa } = cfg;
  const { base, tFree, tNudge } = cfg.transient;
  const xtD = dac(chip, xt);
  const xtgD = nudgeDac(chip, xt, xtD, nudgeTargets(xt, ut, alpha, lambda));
  const opts = (duration: number, name: string): TransientOptions => ({ ...base, duration, seed: noise.seed, stream: [...noise.stream, name] });
  const readRng = new Rng(noise.seed, 'read', ...noise.stream);
  // Free phase from x = x_t (the DAC drives the initial condition), h = 0.
  const s = freeStart(d, xtD, B);
  const avgFree = new Float64Array(B * N);
  const free = await engine.transient(model, s, { lambda, xt: xtD, xtarget: null, betaKappa: 0 }, opts(tFree, 'free'), avgFree);
  const mFree = measure(chip, avgFree, readRng);
  const mse = flowMse(d, mFree, xt, ut, alpha, lambda);
  // Nudged phases continue from the physical end state of the free phase.
  const sP = s.slice();
  const avgP = new Float64Array(B * N);
  const plus = await engine.transient(model, sP, { lambda, xt: xtD, xtarget: xtgD, betaKappa: beta * kappa }, opts(tNudge, 'plus'), avgP);
  const sM = s.slice();
  const avgM = new Float64Array(B * N);
  const minus = await engine.transient(model, sM, { lambda, xt: xtD, xtarget: xtgD, betaKappa: -beta * kappa }, opts(tNudge, 'minus'), avgM);
  const grads = localGradient(chip, d, measure(chip, avgP, readRng), measure(chip, avgM, readRng), beta);
  return {
    grads,
    flowMse: mse,
    free,
    plus,
    minus,
    sFree: mFree,
    physical: { time: tFree + 2 * tNudge, energy: B * (free.energyMean + plus.energyMean + minus.energyMean) },
  };
}

/**
 * The in-situ GradEP estimator of one realised chip, as training uses it: before each estimate
 * every device is rewritten from the digital weights with the write noise of stream
 * ("program", step) of `seed`, then the three phases run as transients with noise streams
 * ("train", step). Sweeps use it too, so they measure exactly the gradient training follows.
 */
export function insituEstimator(sim: Simulation, chipSeed: number, seed: number, engine: RelaxEngine) {
  const chip = buildChip(sim.spec, chipSeed);
  return {
    chip,
    estimate(p: Params, xt: Float64Array, ut: Float64Array, step: number) {
      // The chip state is a function of (weights, step), so resumed runs are exact.
      programWeights(chip, p, new Rng(seed, 'program', step));
      return insituEstimate(engine, new CircuitModel(chip), xt, ut, sim, { seed, stream: ['train', step] });
    },
  };
}
