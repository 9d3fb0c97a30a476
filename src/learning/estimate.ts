/**
 * One result type for a GradEP gradient estimate, whether its phases relaxed on the ideal
 * network (paper steps or an equilibrium solve) or ran as physical transients on a chip.
 */
import type { Params } from '../circuit/params.js';
import type { RelaxStats } from '../solvers/relax.js';
import type { TransientStats } from '../solvers/transient.js';

/** What a phase reports: solver statistics (ideal) or transient statistics (chip). */
export type PhaseStats = RelaxStats | TransientStats;

export interface GradientEstimate<S extends PhaseStats = PhaseStats> {
  grads: Params;
  /** Mean over batch and pixels of (v - u_t)^2 at the free state (measured, on a chip). */
  flowMse: number;
  free: S;
  plus: S;
  minus: S;
  /** Free-phase states (B x N): the equilibria, or on a chip the measured end states. */
  sFree: Float64Array;
  /** Chip only: physical time of the three phases (s) and energy the batch dissipated (J). */
  physical: { time: number; energy: number } | null;
}

/** The per-step log columns an estimate fills (training adds step, grad_norm and seconds). */
export interface EstimateColumns {
  flow_mse: number;
  free_iters: number;
  /** Largest |grad F| left per phase; null on a chip (a transient has no residual). */
  free_residual_max: number | null;
  plus_residual_max: number | null;
  minus_residual_max: number | null;
  unconverged: number;
  physical_time_s?: number;
  energy_j?: number;
}

function isRelax(s: PhaseStats): s is RelaxStats {
  return 'iterationsMean' in s;
}

/** Log columns of an estimate: iterations and residuals (ideal) or steps, time and energy (chip). */
export function estimateColumns(e: GradientEstimate): EstimateColumns {
  const { free, plus, minus } = e;
  if (isRelax(free) && isRelax(plus) && isRelax(minus)) {
    return {
      flow_mse: e.flowMse,
      free_iters: free.iterationsMean,
      free_residual_max: free.residualMax,
      plus_residual_max: plus.residualMax,
      minus_residual_max: minus.residualMax,
      unconverged: free.unconverged + plus.unconverged + minus.unconverged,
    };
  }
  const t = free as TransientStats;
  return {
    flow_mse: e.flowMse,
    free_iters: t.steps / t.samples,
    free_residual_max: null,
    plus_residual_max: null,
    minus_residual_max: null,
    unconverged: 0,
    ...(e.physical ? { physical_time_s: e.physical.time, energy_j: e.physical.energy } : {}),
  };
}
