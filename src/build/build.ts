/**
 * The build step: one place that turns a validated circuit spec into what the simulators
 * run (Nengo's builder, in spirit): the network's dimensions, the estimator's constants, the
 * ideal relaxation, the transient analysis, and realised chips. Nothing downstream reads
 * `relax.*` or `transient.*` of a spec itself.
 */
import type { RelaxSpec, TransientSettings } from '../circuit/analysis.js';
import type { Dims } from '../circuit/params.js';
import type { CircuitSpec, DeviceSpec } from '../circuit/spec.js';
import { type Chip, realiseChip } from '../chip/chip.js';
import { GradepError } from '../util/errors.js';

/** How each phase relaxes: an ideal relaxation or a physical transient of a realised chip. */
export type RelaxMethodName = 'paper' | 'equilibrium' | 'transient';

/** Everything a simulation of one circuit needs, derived once from its spec. */
export interface Simulation {
  spec: CircuitSpec;
  dims: Dims;
  /** Spring stiffness lambda, read-out scale alpha, nudge strength beta, kappa = (alpha lambda)^2. */
  lambda: number;
  alpha: number;
  beta: number;
  kappa: number;
  method: RelaxMethodName;
  /** The ideal relaxation (null when every phase is a chip transient). */
  relax: RelaxSpec | null;
  transient: TransientSettings;
}

/** Layer sizes of a circuit's network. */
export function dimsOfCircuit(c: DeviceSpec): Dims {
  return { nx: c.layers.visible, n1: c.layers.hidden1, n2: c.layers.hidden2 };
}

/** The ideal relaxation of a circuit's phases (`paper` steps or an `equilibrium` solve). */
export function relaxSpecOf(c: CircuitSpec, method: RelaxMethodName = c.relax.method): RelaxSpec {
  if (method === 'transient') throw new GradepError(`relax "transient" simulates a realised chip; this command needs "paper" or "equilibrium"`);
  if (c.activation.kind !== 'scaled_tanh_silu') throw new GradepError(`activation.kind "${c.activation.kind}" is realised on chips only (relax.method "transient": in-situ training, chip sampling); the ideal network's relaxations use "scaled_tanh_silu"`);
  return {
    method,
    paper: { eps: c.relax.epsilon, T: c.relax.T },
    equilibrium: {
      tol: c.relax.tol,
      maxIter: c.relax.max_iter,
      memory: c.relax.memory,
      eta: c.relax.eta,
      precondition: c.relax.precondition,
      fallbackIter: 20 * c.relax.T,
      fallbackEps: c.relax.epsilon,
    },
  };
}

/** The transient analysis of a circuit: solver, step, measurement window, tolerances, phase durations. */
export function transientOf(c: CircuitSpec): TransientSettings {
  const t = c.transient;
  return {
    base: { solver: t.solver, dt: t.dt, window: c.measure.window, rtol: t.rtol, atol: t.atol, settleTol: t.settle_tol },
    tFree: t.t_free,
    tNudge: t.t_nudge,
  };
}

/** Build a circuit for simulation with the given relaxation method (default: the file's). */
export function buildSimulation(c: CircuitSpec, method: RelaxMethodName = c.relax.method): Simulation {
  const { lambda } = c.spring;
  const { alpha } = c.readout;
  return {
    spec: c,
    dims: dimsOfCircuit(c),
    lambda,
    alpha,
    beta: c.nudge.beta,
    kappa: (alpha * lambda) ** 2,
    method,
    relax: method === 'transient' ? null : relaxSpecOf(c, method),
    transient: transientOf(c),
  };
}

/** One realised chip of a circuit: its frozen mismatch drawn from `chipSeed`. */
export function buildChip(c: DeviceSpec, chipSeed: number): Chip {
  return realiseChip(c, dimsOfCircuit(c), chipSeed);
}
