/**
 * Fixed-step integration of SDEs with additive diagonal noise,
 *   dy_n = drift_n(t, y) dt + sigma_n dW_n,
 * e.g. circuit nodes with Johnson-Nyquist thermal noise (C dV = -G V dt + sqrt(2 k_B T G) dW).
 *
 * Schemes (Kloeden & Platen, "Numerical Solution of Stochastic Differential Equations", 1992):
 * - 'euler_maruyama': y += f(t, y) h + sigma dW. Strong order 0.5 in general, but 1.0 for
 *   additive noise, because the Milstein correction (sigma' sigma terms) vanishes (K&P sec. 10.2-10.3).
 * - 'heun': stochastic Heun / improved Euler, a predictor-corrector using the SAME dW in both
 *   stages: yp = y + f(t, y) h + sigma dW;  y += (f(t, y) + f(t + h, yp)) h / 2 + sigma dW.
 *   Converges to the Stratonovich solution, which equals the Ito one for additive noise. Strong
 *   order 1.0 with additive noise (the missing integral of (s - t_k) dW limits it), but order 2 on
 *   the deterministic part and a smaller error constant than Euler-Maruyama.
 *
 * dW_n ~ N(0, h), drawn from an explicit seeded `Rng` (n normals per step, component order), or
 * supplied by the caller (`increments`) to drive the integrator along a given Brownian path.
 * No allocation happens inside the step loop.
 */
import type { Rng } from '../util/rng.js';

export interface SdeSystem {
  n: number;
  /** Writes the drift f(t, y) into out. Must not allocate. */
  drift(t: number, y: Float64Array, out: Float64Array): void;
  /** noise amplitude per component: dy_n = drift_n dt + sigma_n dW_n */
  sigma: Float64Array;
}

export type SdeScheme = 'euler_maruyama' | 'heun';

export interface SdeOptions {
  /** Nominal step; (t1 - t0) / dt must be an integer to within 1e-9 relative (else throws). */
  dt: number;
  scheme: SdeScheme;
  /** Source of the Brownian increments (unused when `increments` is given). */
  rng: Rng;
  /** Called after every step with the new time and state (the state buffer is reused: copy it to keep it). */
  onStep?: (t: number, y: Float64Array) => void;
  /**
   * If given, fills dW (length n, each ~ N(0, h)) for step k = 0..steps-1 instead of drawing from rng:
   * drives the integrator along a given Brownian path (e.g. sums of finer increments, for strong-error tests).
   */
  increments?: (k: number, dW: Float64Array) => void;
  /** If given, receives the dW increments actually used at step k (for tests; the buffer is reused). */
  onIncrement?: (k: number, dW: Float64Array) => void;
}

/**
 * One-step integrator with preallocated buffers, for callers that interleave their own logic
 * (nudging, clamping, sampling) between steps. `evaluations` counts drift calls.
 */
export class SdeStepper {
  readonly n: number;
  evaluations = 0;
  /** The increment used by the last `step` (reused buffer). */
  readonly dW: Float64Array;
  private readonly f0: Float64Array;
  private readonly f1: Float64Array;
  private readonly yp: Float64Array;

  constructor(
    readonly sys: SdeSystem,
    readonly scheme: SdeScheme,
    private readonly rng: Rng,
  ) {
    if (scheme !== 'euler_maruyama' && scheme !== 'heun') throw new Error(`SdeStepper: unknown scheme "${scheme as string}"`);
    if (sys.sigma.length !== sys.n) throw new Error(`SdeStepper: sigma has length ${sys.sigma.length}, system has n=${sys.n}`);
    this.n = sys.n;
    this.dW = new Float64Array(sys.n);
    this.f0 = new Float64Array(sys.n);
    this.f1 = new Float64Array(sys.n);
    this.yp = new Float64Array(sys.n);
  }

  /** Advances y (in place) from t to t + dt, drawing dW ~ N(0, dt) from the rng. */
  step(t: number, y: Float64Array, dt: number): void {
    this.rng.fillNormal(this.dW, 0, Math.sqrt(dt));
    this.stepWith(t, y, dt, this.dW);
  }

  /** Advances y (in place) from t to t + dt with the given Brownian increments dW (variance dt). */
  stepWith(t: number, y: Float64Array, dt: number, dW: Float64Array): void {
    const { n, f0, sys } = this;
    const sigma = sys.sigma;
    sys.drift(t, y, f0);
    if (this.scheme === 'euler_maruyama') {
      this.evaluations++;
      for (let i = 0; i < n; i++) y[i] += f0[i] * dt + sigma[i] * dW[i];
      return;
    }
    const { f1, yp } = this;
    for (let i = 0; i < n; i++) yp[i] = y[i] + f0[i] * dt + sigma[i] * dW[i];
    sys.drift(t + dt, yp, f1);
    this.evaluations += 2;
    const half = 0.5 * dt;
    for (let i = 0; i < n; i++) y[i] += (f0[i] + f1[i]) * half + sigma[i] * dW[i];
  }
}

/**
 * Integrates from t0 to t1 in steps = round((t1 - t0) / dt) equal steps of h = (t1 - t0) / steps
 * (so the last step lands exactly on t1). Throws if (t1 - t0) / dt is not an integer to within
 * 1e-9 relative, rather than silently adjusting the last step: a changed step would change the
 * discretisation bias (see the EM variance test). y0 is not modified.
 */
export function integrateSde(
  sys: SdeSystem,
  y0: Float64Array,
  t0: number,
  t1: number,
  opt: SdeOptions,
): { y: Float64Array; steps: number; evaluations: number } {
  const n = sys.n;
  if (y0.length !== n) throw new Error(`integrateSde: y0 has length ${y0.length}, system has n=${n}`);
  if (!(opt.dt > 0) || !Number.isFinite(opt.dt)) throw new Error(`integrateSde: dt must be > 0, got ${opt.dt}`);
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || !(t1 >= t0)) throw new Error(`integrateSde: need finite t1 >= t0, got t0=${t0}, t1=${t1}`);
  const ratio = (t1 - t0) / opt.dt;
  const steps = Math.round(ratio);
  if (Math.abs(ratio - steps) > 1e-9 * Math.max(1, steps)) {
    throw new Error(`integrateSde: (t1 - t0) / dt = ${ratio} is not an integer; choose dt dividing the interval`);
  }
  const stepper = new SdeStepper(sys, opt.scheme, opt.rng);
  const y = Float64Array.from(y0);
  if (steps === 0) return { y, steps: 0, evaluations: 0 };
  const h = (t1 - t0) / steps;
  const sqrtH = Math.sqrt(h);
  const dW = stepper.dW;
  const { increments, onIncrement, onStep, rng } = opt;
  for (let k = 0; k < steps; k++) {
    const t = t0 + k * h;
    if (increments) increments(k, dW);
    else rng.fillNormal(dW, 0, sqrtH);
    if (onIncrement) onIncrement(k, dW);
    stepper.stepWith(t, y, h, dW);
    if (onStep) onStep(k === steps - 1 ? t1 : t0 + (k + 1) * h, y);
  }
  return { y, steps, evaluations: stepper.evaluations };
}
