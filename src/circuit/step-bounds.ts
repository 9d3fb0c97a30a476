/**
 * Step-size rules of the fixed-step transient solvers (validateCircuit), in closed form.
 *
 * Explicit schemes on the fastest node, the linear Ornstein-Uhlenbeck node
 * dy = -a y dt + sigma dW at x = a h, are the AR(1) chains y' = g y + c sigma sqrt(h) xi with
 *   Euler-Maruyama:   g = 1 - x,             c = 1
 *   stochastic Heun:  g = 1 - x + x^2 / 2,   c = 1 - x / 2
 * whose stationary variance c^2 sigma^2 h / (1 - g^2) is, relative to the true sigma^2 / (2 a),
 *   R(x) = 2 x c^2 / (1 - g^2)   (EM: 2 / (2 - x), above 1; Heun: below 1, 0.49 at x = 1.25).
 * The exponential schemes (exp_euler, exp_heun) step that node exactly at any h (R = 1); only
 * the explicitly treated nonlinear coupling, on the slow time constant tau, limits them.
 */

/** Relative stationary-variance error allowed on the fastest node for euler_maruyama / heun (5%). */
export const VARIANCE_TOL = 0.05;

/**
 * Largest dt / tau of the exponential schemes, an accuracy bound (measured, docs/performance.md):
 * the nonlinear coupling is explicit, with rates |W rho'| / tau of order 1 / tau on the hidden
 * nodes. On the ReRAM preset with the paper checkpoint (noise off, batch 64) the in-situ
 * gradient's cosine against a float64 exp_heun run at 50 ps is 0.99995 (exp_heun) and 0.9973
 * (exp_euler) at dt = tau / 2, 0.9989 / 0.9885 at dt = tau, 0.987 / 0.933 at 2.5 tau (still
 * stable). The validator stops at tau, where exp_heun is still within 0.002 of stochastic Heun
 * at tau / 20; the presets run at tau / 2, which leaves room for sweeps to lower C or raise G_L.
 */
export const EXP_DT_TAU = 1;

/** Stationary variance of the scheme's chain on dy = -a y dt + sigma dW over the true one, at x = a h. */
export function varianceRatio(scheme: 'euler_maruyama' | 'heun', x: number): number {
  if (x <= 0) return 1;
  const g = scheme === 'heun' ? 1 - x + 0.5 * x * x : 1 - x;
  const c = scheme === 'heun' ? 1 - 0.5 * x : 1;
  return (2 * x * c * c) / (1 - g * g);
}

/** Largest x = a h with |varianceRatio - 1| <= tol (bisection: the error grows monotonically with x on [0, 1]). */
export function maxStepForVariance(scheme: 'euler_maruyama' | 'heun', tol = VARIANCE_TOL): number {
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < 80; k++) {
    const mid = 0.5 * (lo + hi);
    if (Math.abs(varianceRatio(scheme, mid) - 1) <= tol) lo = mid;
    else hi = mid;
  }
  return lo;
}
