/** One phase of one batch on a realised chip (the `gradep relax` command's runner). */
import type { CircuitSpec } from '../circuit/spec.js';
import { type Params, stateSize } from '../circuit/params.js';
import { freeStart, nudgeTargets } from '../circuit/phase.js';
import { buildChip, buildSimulation } from '../build/build.js';
import { programWeights } from '../chip/chip.js';
import { dac, measure, nudgeDac } from '../chip/measure.js';
import { CircuitModel } from '../dynamics/circuit.js';
import { relaxTransient, type TransientStats } from '../solvers/transient.js';
import { Rng } from '../util/rng.js';

export interface ChipRelaxOptions {
  phase: 'free' | 'plus' | 'minus';
  /** Phase duration (s); default transient.t_free or t_nudge. */
  time?: number;
  seed: number;
  /** Trace points over the phase (0 = none). */
  traceCount: number;
}

export interface ChipRelaxResult {
  stats: TransientStats;
  tau: number;
  final: Float64Array;
  measured: Float64Array;
  trace: { times: number[]; states: Float64Array[][] } | null;
}

export function relaxOnChip(c: CircuitSpec, params: Params, xt: Float64Array, ut: Float64Array, o: ChipRelaxOptions): ChipRelaxResult {
  const sim = buildSimulation(c, 'transient');
  const { dims: d, lambda, alpha } = sim;
  const N = stateSize(d);
  const B = xt.length / d.nx;
  const chip = buildChip(c, o.seed);
  programWeights(chip, params, new Rng(o.seed, 'program', 'relax'));
  const model = new CircuitModel(chip, c.program.read_time);
  const xtD = dac(chip, xt);
  const xtgD = nudgeDac(chip, xt, xtD, nudgeTargets(xt, ut, alpha, lambda));
  const base = { ...sim.transient.base, seed: o.seed };
  const s = freeStart(d, xtD, B);
  const avg = new Float64Array(B * N);
  const freeTime = o.phase === 'free' ? (o.time ?? sim.transient.tFree) : sim.transient.tFree;
  const traceFor = (T: number) => (o.traceCount > 0 ? Array.from({ length: o.traceCount }, (_, k) => (T * k) / Math.max(1, o.traceCount - 1)) : undefined);
  let stats = relaxTransient(model, s, { lambda, xt: xtD, xtarget: null, betaKappa: 0 }, { ...base, duration: freeTime, stream: ['relax', 'free'], traceTimes: o.phase === 'free' ? traceFor(freeTime) : undefined }, 0, B, avg);
  let times = o.phase === 'free' ? traceFor(freeTime) : undefined;
  if (o.phase !== 'free') {
    const T = o.time ?? sim.transient.tNudge;
    times = traceFor(T);
    const sign = o.phase === 'plus' ? 1 : -1;
    stats = relaxTransient(model, s, { lambda, xt: xtD, xtarget: xtgD, betaKappa: sign * sim.beta * sim.kappa }, { ...base, duration: T, stream: ['relax', o.phase], traceTimes: times }, 0, B, avg);
  }
  return {
    stats,
    tau: model.tau,
    final: s,
    measured: measure(chip, avg, new Rng(o.seed, 'read', 'relax')),
    trace: times && stats.trace ? { times, states: stats.trace } : null,
  };
}
