/**
 * Generation (docs/model.md): x(0) ~ N(0, I), Euler steps x <- x + dt v(x) with v
 * evaluated at t = 0, dt, ..., t1 inclusive (101 evaluations for t1 = 1.0, as the reference
 * loop), then clip to [-1, 1]. Because the learned field is time-independent, t1 > 1 keeps
 * integrating the same field ("extended generation").
 *   spring:    v = alpha lambda (x* - x) from a full free phase (x, h relax; x tied to x by the spring)
 *   energy_gd: x held fixed, only h relaxes; v = -alpha grad_x E = -alpha (x - bx - W0^T rho(h1*))
 */
import { computeDrives, energyGdVelocity, Scratch } from '../dynamics/network.js';
import { type Dims, type Params, stateSize } from '../circuit/params.js';
import type { RelaxEngine } from '../solvers/engine.js';
import type { RelaxSpec } from '../circuit/analysis.js';
import { mergeStats, type RelaxStats } from '../solvers/relax.js';
import { freeStart } from '../circuit/phase.js';
import { Rng } from '../util/rng.js';

export type VelocityMode = 'spring' | 'energy_gd';

export interface VelocityConfig {
  mode: VelocityMode;
  lambda: number;
  alpha: number;
  relax: RelaxSpec;
}

/**
 * Velocities at points x (B x nx) into `out`; relaxes from h = 0 (the reference semantics),
 * or, given `warm` (B x N, the state of a previous evaluation), from its hidden state with x
 * replaced by the new points; `warm` then receives this evaluation's relaxed state.
 */
export async function velocity(engine: RelaxEngine, p: Params, d: Dims, x: Float64Array, cfg: VelocityConfig, out: Float64Array, warm?: Float64Array): Promise<RelaxStats> {
  const B = x.length / d.nx;
  const N = stateSize(d);
  const s = warm ? warm : freeStart(d, x, B);
  if (warm) for (let b = 0; b < B; b++) s.set(x.subarray(b * d.nx, (b + 1) * d.nx), b * N);
  if (cfg.mode === 'spring') {
    const st = await engine.relax(p, d, s, { lambda: cfg.lambda, betaKappa: 0, xt: x, xtarget: null }, cfg.relax);
    const k = cfg.alpha * cfg.lambda;
    for (let b = 0; b < B; b++) for (let j = 0; j < d.nx; j++) out[b * d.nx + j] = k * (s[b * N + j] - x[b * d.nx + j]);
    return st;
  }
  // energy_gd: the spring constant is irrelevant with x clamped; lambda only enters the preconditioner.
  const st = await engine.relax(p, d, s, { lambda: cfg.lambda, betaKappa: 0, xt: x, xtarget: null, clampX: true }, cfg.relax);
  const sc = new Scratch(d);
  for (let b = 0; b < B; b++) {
    computeDrives(p, d, s, b * N, sc);
    energyGdVelocity(cfg.alpha, x, b * d.nx, sc.ax, null, out, b * d.nx);
  }
  return st;
}

export interface SampleOptions extends VelocityConfig {
  n: number;
  t1: number;
  dt: number;
  seed: number;
  /**
   * Start each velocity evaluation's relaxation from the previous evaluation's hidden state
   * instead of h = 0 (default WARM_START_DEFAULT). The field moves little in one Euler step,
   * so the relaxation starts near its equilibrium and needs a fraction of the iterations; the
   * samples agree with cold starts to the relaxation tolerance (docs/performance.md).
   */
  warmStart?: boolean;
  /** Called after each Euler step (k of total). */
  onStep?: (k: number, total: number) => void;
}

export interface SampleResult {
  samples: Float64Array; // n x nx, clipped to [-1, 1]
  evaluations: number;
  relax: RelaxStats;
}

/** Warm-started velocity evaluations by default (measured: see SampleOptions.warmStart). */
export const WARM_START_DEFAULT = false;

/** Number of velocity evaluations of the reference loop: t = 0, dt, ..., t1 inclusive. */
export function eulerEvaluations(t1: number, dt: number): number {
  return Math.round(t1 / dt) + 1;
}

export async function generate(engine: RelaxEngine, p: Params, d: Dims, o: SampleOptions): Promise<SampleResult> {
  const [r] = await generateSnapshots(engine, p, d, o, [o.t1]);
  return r;
}

/**
 * One trajectory, snapshots at several horizons: the samples for horizon t1 are the state
 * after eulerEvaluations(t1, dt) steps, clipped; identical to separate runs with each t1.
 */
export async function generateSnapshots(engine: RelaxEngine, p: Params, d: Dims, o: Omit<SampleOptions, 't1'>, t1s: number[]): Promise<SampleResult[]> {
  const x = new Float64Array(o.n * d.nx);
  new Rng(o.seed, 'sample', 'x0').fillNormal(x);
  const v = new Float64Array(x.length);
  const want = t1s.map((t) => eulerEvaluations(t, o.dt));
  const steps = Math.max(...want);
  const stats: RelaxStats[] = [];
  const out: SampleResult[] = new Array(t1s.length);
  const warm = (o.warmStart ?? WARM_START_DEFAULT) ? freeStart(d, x, o.n) : undefined;
  for (let k = 0; k < steps; k++) {
    stats.push(await velocity(engine, p, d, x, o, v, warm));
    for (let i = 0; i < x.length; i++) x[i] += o.dt * v[i];
    o.onStep?.(k + 1, steps);
    want.forEach((w, j) => {
      if (w === k + 1) out[j] = { samples: x.map((u) => Math.max(-1, Math.min(1, u))), evaluations: w, relax: mergeStats(stats) };
    });
  }
  return out;
}
