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
import { type Chip, drawProgramNoise, type ProgramNoise, programWeights } from '../chip/chip.js';
import { dac, drawReadNoise, measure, nudgeDac } from '../chip/measure.js';
import { CircuitModel } from '../dynamics/circuit.js';
import type { NeuronActivation } from '../dynamics/network.js';
import { accumulateLocalGrad } from './local-grad.js';
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
  const acc = localAccumulator(chip, d, sPlus.length / stateSize(d), beta);
  acc.add(sPlus, 1);
  acc.add(sMinus, -1);
  return acc.g;
}

/** localGradient in two halves (the plus phase's term, then the minus phase's): the same sums in the same order. */
function localAccumulator(chip: Chip, d: Dims, B: number, beta: number) {
  const g = zeroParams(d);
  const w = 1 / (2 * beta * B);
  const r1 = new Float64Array(d.n1);
  const r2 = new Float64Array(d.n2);
  const act = controllerActivation(chip);
  const add = (s: Float64Array, sign: 1 | -1) => accumulateLocalGrad(d, s, B, sign * w, g, r1, r2, act);
  return { g, add };
}

/**
 * Let a transient just started reach its workers (its inputs written, its jobs posted), so the
 * controller's digital work on the previous phase runs while the chip relaxes. The catch keeps
 * a failure meanwhile from counting as unhandled; the caller's await still sees it.
 */
async function started<T>(p: Promise<T>): Promise<{ done: Promise<T> }> {
  p.catch(() => undefined);
  await new Promise<void>((r) => setImmediate(r));
  // Wrapped: an async function's returned promise would be awaited along with it.
  return { done: p };
}

/**
 * One in-situ GradEP estimate on the chip as currently programmed. The read-outs and the local
 * update of a phase are computed while the next phase's transient runs, their read noise drawn
 * during the free phase; the read stream's draws (free, plus, minus) and the update's sums keep
 * their order. `whileFree` runs during the free phase.
 */
export async function insituEstimate(engine: RelaxEngine, model: CircuitModel, xt: Float64Array, ut: Float64Array, cfg: InsituConfig, noise: NoiseStreams, whileFree?: () => void): Promise<GradientEstimate<TransientStats>> {
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
  const freeRun = await started(engine.transient(model, s, { lambda, xt: xtD, xtarget: null, betaKappa: 0 }, opts(tFree, 'free'), avgFree));
  // Work the caller can do while the free phase runs (the controller is otherwise idle then),
  // and the read noise of all three read-outs: the read stream's draws in their order.
  whileFree?.();
  const [zFree, zPlus, zMinus] = [0, 1, 2].map(() => drawReadNoise(chip, readRng, B * N));
  const free = await freeRun.done;
  // Nudged phases continue from the physical end state of the free phase.
  const sP = s.slice();
  const avgP = new Float64Array(B * N);
  const plusRun = await started(engine.transient(model, sP, { lambda, xt: xtD, xtarget: xtgD, betaKappa: beta * kappa }, opts(tNudge, 'plus'), avgP));
  const mFree = measure(chip, avgFree, zFree);
  const mse = flowMse(d, mFree, xt, ut, alpha, lambda);
  const local = localAccumulator(chip, d, B, beta);
  const plus = await plusRun.done;
  const sM = s.slice();
  const avgM = new Float64Array(B * N);
  const minusRun = await started(engine.transient(model, sM, { lambda, xt: xtD, xtarget: xtgD, betaKappa: -beta * kappa }, opts(tNudge, 'minus'), avgM));
  local.add(measure(chip, avgP, zPlus), 1);
  const minus = await minusRun.done;
  local.add(measure(chip, avgM, zMinus), -1);
  return {
    grads: local.g,
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
  // The write noise of step n + 1 does not depend on the weights: training (consecutive steps)
  // draws it during step n's free phase instead of before step n + 1's transients.
  let ahead: { step: number; noise: ProgramNoise | null } | null = null;
  let last = Number.NaN;
  return {
    chip,
    estimate(p: Params, xt: Float64Array, ut: Float64Array, step: number) {
      // The chip state is a function of (weights, step), so resumed runs are exact.
      programWeights(chip, p, new Rng(seed, 'program', step), ahead?.step === step ? ahead.noise : null);
      ahead = null;
      const next = step === last + 1 ? () => (ahead = { step: step + 1, noise: drawProgramNoise(chip, new Rng(seed, 'program', step + 1)) }) : undefined;
      last = step;
      return insituEstimate(engine, new CircuitModel(chip), xt, ut, sim, { seed, stream: ['train', step] }, next);
    },
  };
}
