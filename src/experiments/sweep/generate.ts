/**
 * A "generate" point: the sweep's checkpoint sampled on the ideal network (no chip) with the
 * circuit's ideal relaxation, and scored. Settle-then-step (spring / energy_gd; each velocity
 * evaluation relaxed to equilibrium or cut to hidden_T paper steps) or fully analogue.
 * Points that differ only in t1 are snapshots of one trajectory (generateSnapshots and
 * generateAnalogue give the same samples as separate runs with each t1), computed once.
 */
import type { RelaxSpec } from '../../circuit/analysis.js';
import { buildSimulation, dimsOfCircuit } from '../../build/build.js';
import { generateAnalogue } from '../../flow/analogue.js';
import { generateSnapshots } from '../../flow/sample.js';
import { evaluateSamples } from '../../metrics/quality.js';
import type { RelaxEngine } from '../../solvers/engine.js';
import { GradepError } from '../../util/errors.js';
import type { Snapshot, SweepContext } from './context.js';
import { generationIdentity, type SweepPoint } from './points.js';
import { type GeneratedResult, writePointSamples } from './results.js';

/** What a trajectory depends on: the point's identity without t1. */
function trajectoryKey(pt: SweepPoint, samples: number): string {
  return JSON.stringify({ circuit: pt.circuit, chip_seed: pt.chip_seed, samples, generation: generationIdentity(pt.generation) });
}

/** Analogue Euler steps to horizon t1 (as generateAnalogue marks them). */
const analogueSteps = (t1: number, ratio: number, eps: number) => Math.max(1, Math.round((t1 * ratio) / eps));

async function runTrajectory(pt: SweepPoint, ctx: SweepContext, engine: RelaxEngine, t1s: number[]): Promise<Map<number, Snapshot>> {
  const g = pt.generation;
  const d = dimsOfCircuit(pt.circuit);
  const ck = ctx.checkpoint(d).ck;
  const p = g.ema === 'ema' ? ck.ema_params : ck.params;
  const sim = buildSimulation(pt.circuit, 'equilibrium');
  const n = ctx.spec.samples;
  const seed = pt.chip_seed;
  if (g.mode === 'analogue') {
    const snaps = generateAnalogue(p, d, { n, alpha: sim.alpha, ratio: g.ratio, eps: g.eps, seed }, t1s);
    return new Map(t1s.map((t1, i) => [t1, { samples: snaps[i], evaluations: analogueSteps(t1, g.ratio, g.eps) }]));
  }
  const converged = sim.relax as RelaxSpec;
  const relax: RelaxSpec = g.hidden_T === 0 ? converged : { ...converged, method: 'paper', paper: { eps: pt.circuit.relax.epsilon, T: g.hidden_T } };
  const snaps = await generateSnapshots(engine, p, d, { mode: g.mode, lambda: sim.lambda, alpha: sim.alpha, relax, n, dt: g.dt, seed }, t1s);
  return new Map(t1s.map((t1, i) => [t1, { samples: snaps[i].samples, evaluations: snaps[i].evaluations }]));
}

/** This point's snapshot, from the trajectory it shares with the pending points of other t1. */
async function snapshot(pt: SweepPoint, ctx: SweepContext, engine: RelaxEngine): Promise<Snapshot> {
  const key = trajectoryKey(pt, ctx.spec.samples);
  let traj = ctx.trajectories.get(key);
  if (!traj) {
    const t1s = [...new Set([pt.t1, ...ctx.pending.filter((q) => q.action === 'generate' && trajectoryKey(q, ctx.spec.samples) === key).map((q) => q.t1)])];
    traj = runTrajectory(pt, ctx, engine, t1s);
    ctx.trajectories.set(key, traj);
  }
  const snaps = await traj;
  const s = snaps.get(pt.t1);
  if (!s) throw new GradepError(`internal: no snapshot at t1 = ${pt.t1} for point #${pt.index}`);
  // Each snapshot is taken once: drop it (and the trajectory once empty) to free the samples.
  snaps.delete(pt.t1);
  if (snaps.size === 0) ctx.trajectories.delete(key);
  return s;
}

/** Relaxation (physical) time per sample in tau: a converged evaluation counts as the circuit's relax.T paper steps of relax.epsilon tau. */
function relaxationTau(pt: SweepPoint, evaluations: number): number {
  const g = pt.generation;
  if (g.mode === 'analogue') return evaluations * g.eps;
  const eps = pt.circuit.relax.epsilon;
  return g.hidden_T === 0 ? evaluations * (eps * pt.circuit.relax.T) : evaluations * g.hidden_T * eps;
}

export async function generatePoint(pt: SweepPoint, ctx: SweepContext, engine: RelaxEngine): Promise<GeneratedResult> {
  const t0 = performance.now();
  const n = ctx.spec.samples;
  const s = await snapshot(pt, ctx, engine);
  writePointSamples(ctx.outDir, pt.key, s.samples, n);
  return {
    key: pt.key,
    index: pt.index,
    overrides: pt.overrides,
    chip_seed: pt.chip_seed,
    action: 'generate',
    t1: pt.t1,
    generation: pt.generation,
    metrics: evaluateSamples(s.samples, n),
    relaxation_tau: relaxationTau(pt, s.evaluations),
    evaluations: s.evaluations,
    final_flow_mse: null,
    time_per_sample_s: null,
    energy_per_sample_j: null,
    seconds: (performance.now() - t0) / 1000,
  };
}
