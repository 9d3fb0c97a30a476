/**
 * Has a training run converged? The criterion the findings use: the last `frac` of the steps
 * improve the flow-matching MSE by less than `tol` (2% by default) relative to the window before.
 * Per-step MSE is noisy (each step draws a new batch and new times t), so the windows' means are
 * compared, with Welch's 95% interval of the relative improvement.
 */
import { differenceInterval } from './intervals.js';

export interface Convergence {
  /** Steps in the log and in each compared window. */
  steps: number;
  window: number;
  /** (mean of the previous window - mean of the last window) / mean of the previous window. */
  improvement: number;
  /** 95% interval of that improvement (null for windows of fewer than 2 steps). */
  lo: number | null;
  hi: number | null;
  /** True when the improvement is below tol: the loss curve has flattened. */
  flat: boolean;
  tol: number;
}

/** Convergence of a loss curve (one value per step); null when the curve has fewer than 4 steps. */
export function convergence(losses: readonly number[], frac = 0.1, tol = 0.02): Convergence | null {
  if (!(frac > 0 && frac <= 0.5)) throw new Error(`convergence: frac = ${frac}, allowed (0, 0.5]`);
  const n = losses.length;
  if (n < 4) return null;
  const w = Math.max(2, Math.ceil(frac * n));
  const last = losses.slice(n - w);
  const prev = losses.slice(Math.max(0, n - 2 * w), n - w);
  const d = differenceInterval(prev, last);
  const base = prev.reduce((a, b) => a + b, 0) / prev.length;
  const rel = (x: number | null): number | null => (x === null ? null : x / base);
  const improvement = d.diff / base;
  return { steps: n, window: w, improvement, lo: rel(d.lo), hi: rel(d.hi), flat: improvement < tol, tol };
}
