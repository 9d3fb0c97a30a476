/**
 * A circuit's chip phases set up for SPICE: the chip realised from its seed and programmed,
 * the DAC'd sources of a batch, and each phase's start state as gradep's own runs give it
 * (free: x = x_t, hidden at 0; a nudged phase: the end of the free phase, as in training).
 * Used by `gradep netlist`, `gradep spice` and the tests.
 */
import type { CircuitSpec } from '../circuit/spec.js';
import type { Params } from '../circuit/params.js';
import { freeStart, nudgeTargets, type Phase } from '../circuit/phase.js';
import { buildChip, buildSimulation } from '../build/build.js';
import { programWeights } from '../chip/chip.js';
import { dac } from '../chip/measure.js';
import { CircuitModel } from '../dynamics/circuit.js';
import { relaxTransient } from '../solvers/transient.js';
import { Rng } from '../util/rng.js';
import { type NetlistOptions, writeNetlist } from './netlist.js';
import { compareWithSpice, type SpiceComparison } from './run.js';

export type SpicePhase = 'free' | 'plus' | 'minus';

export interface ChipPhases {
  model: CircuitModel;
  B: number;
  phases: Record<SpicePhase, Phase>;
  duration: Record<SpicePhase, number>;
  /** Start state (B x N) of each phase. */
  start: Record<SpicePhase, Float64Array>;
}

/** Realise, program and set up the three phases of a batch (x_t, u_t: B x nx) on chip `chipSeed`. */
export function chipPhases(c: CircuitSpec, params: Params, xt: Float64Array, ut: Float64Array, chipSeed: number): ChipPhases {
  const sim = buildSimulation(c, 'transient');
  const d = sim.dims;
  const B = xt.length / d.nx;
  const chip = buildChip(c, chipSeed);
  programWeights(chip, params, new Rng(chipSeed, 'program', 'spice'));
  const model = new CircuitModel(chip, c.program.read_time);
  const xtD = dac(chip, xt);
  const tgt = dac(chip, nudgeTargets(xt, ut, sim.alpha, sim.lambda));
  const bk = sim.beta * sim.kappa;
  const phases: Record<SpicePhase, Phase> = {
    free: { lambda: sim.lambda, xt: xtD, xtarget: null, betaKappa: 0 },
    plus: { lambda: sim.lambda, xt: xtD, xtarget: tgt, betaKappa: bk },
    minus: { lambda: sim.lambda, xt: xtD, xtarget: tgt, betaKappa: -bk },
  };
  const duration = { free: c.transient.t_free, plus: c.transient.t_nudge, minus: c.transient.t_nudge };
  const free = freeStart(d, xtD, B);
  // The nudged phases start where the free phase ends (odex at tight tolerances, deterministic).
  const end = free.slice();
  const o = { solver: 'odex' as const, dt: c.transient.dt, window: 0, seed: chipSeed, stream: ['spice', 'free'], rtol: 1e-9, atol: 1e-11, settleTol: c.transient.settle_tol };
  relaxTransient(model, end, phases.free, { ...o, duration: duration.free }, 0, B);
  return { model, B, phases, duration, start: { free, plus: end, minus: end } };
}

/** Start state of sample b of a phase (N values). */
export function sampleStart(cp: ChipPhases, phase: SpicePhase, b: number): Float64Array {
  const N = cp.model.N;
  return cp.start[phase].slice(b * N, (b + 1) * N);
}

/** The netlist of sample b of one phase. */
export function phaseNetlist(cp: ChipPhases, phase: SpicePhase, b: number, extra: Partial<NetlistOptions> = {}): string {
  return writeNetlist(cp.model, cp.phases[phase], { sample: b, start: sampleStart(cp, phase, b), duration: cp.duration[phase], ...extra });
}

/** Compare sample b of one phase with ngspice (deterministic: gradep's odex against ngspice). */
export function comparePhase(cp: ChipPhases, phase: SpicePhase, b: number, settleTol: number, extra: Partial<NetlistOptions> = {}): Promise<SpiceComparison> {
  return compareWithSpice(cp.model, cp.phases[phase], sampleStart(cp, phase, b), { sample: b, duration: cp.duration[phase], settleTol, netlist: extra });
}
