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
 * - 'exp_euler': exponential Euler for dy = (-a y + N(y)) dt + sigma dW with the stiff linear rates
 *   a_n (sys.rates) integrated exactly (Hochbruck & Ostermann, Acta Numerica 19, 2010, sec. 2.2;
 *   the noise term is the exact Ornstein-Uhlenbeck transition, Gillespie, Phys. Rev. E 54, 1996):
 *     y <- e^{-a h} y + phi1 N(y) + sigma sqrt((1 - e^{-2 a h}) / (2 a)) xi,  phi1 = (1 - e^{-a h}) / a.
 *   Order 1 on the nonlinear part; exact in distribution for an isolated linear node at any h.
 * - 'exp_heun': the order-2 exponential Runge-Kutta predictor-corrector (ETD2RK, Cox & Matthews,
 *   J. Comput. Phys. 176, 2002, eq. 22) with the same noise in the predictor (as Heun):
 *     u = e^{-a h} y + phi1 N(y) + noise;  y <- u + phi2 (N(u) - N(y)),  phi2 = (e^{-a h} - 1 + a h) / (a^2 h).
 *   With a = 0 the two reduce to Euler-Maruyama and stochastic Heun exactly (phi1 = h, phi2 = h/2).
 * With state-dependent noise (sys.noiseAt) every scheme evaluates sigma at the step start (Ito).
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
  /** Linear decay rates a_n (1/s) of the drift, drift_n = -a_n y_n + N_n(y): needed by the exponential schemes. */
  rates?: Float64Array;
  /** State-dependent noise amplitude at (t, y) into out (Ito: evaluated at the step start); replaces sigma. */
  noiseAt?: (t: number, y: Float64Array, out: Float64Array) => void;
}

export type SdeScheme = 'euler_maruyama' | 'heun';
/** The exponential schemes (they need sys.rates). */
export type ExpScheme = 'exp_euler' | 'exp_heun';

/** True for the exponential schemes. */
export function isExponential(scheme: string): scheme is ExpScheme {
  return scheme === 'exp_euler' || scheme === 'exp_heun';
}

/** phi1(x) / h = (1 - e^{-x}) / x at x = a h (1 at x = 0). */
export function expQ1(x: number): number {
  return Math.abs(x) < 1e-300 ? 1 : -Math.expm1(-x) / x;
}

/** phi2(x) / h = (e^{-x} - 1 + x) / x^2 at x = a h (1/2 at x = 0; Taylor series near 0, no cancellation). */
export function expQ2(x: number): number {
  if (Math.abs(x) < 1e-2) return 0.5 + x * (-1 / 6 + x * (1 / 24 + x * (-1 / 120 + x / 720)));
  return (Math.expm1(-x) + x) / (x * x);
}

/** Exact OU transition variance over h per unit sigma^2, divided by h: (1 - e^{-2x}) / (2x) at x = a h. */
export function expVar(x: number): number {
  return expQ1(2 * x);
}

export interface SdeOptions {
  /** Nominal step; (t1 - t0) / dt must be an integer to within 1e-9 relative (else throws). */
  dt: number;
  scheme: SdeScheme | ExpScheme;
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
  /** Noise amplitude of the current step (sys.sigma, or sys.noiseAt at the step start). */
  private readonly sg: Float64Array;
  /** Exponential schemes: e^{-a h}, phi1, phi2 and the OU noise factor sqrt(expVar), for step lastH. */
  private readonly ex: { e: Float64Array; p1: Float64Array; p2: Float64Array; sn: Float64Array; h: number } | null;

  constructor(
    readonly sys: SdeSystem,
    readonly scheme: SdeScheme | ExpScheme,
    private readonly rng: Rng,
  ) {
    if (!['euler_maruyama', 'heun', 'exp_euler', 'exp_heun'].includes(scheme)) throw new Error(`SdeStepper: unknown scheme "${scheme as string}"`);
    if (sys.sigma.length !== sys.n) throw new Error(`SdeStepper: sigma has length ${sys.sigma.length}, system has n=${sys.n}`);
    if (isExponential(scheme) && sys.rates?.length !== sys.n) throw new Error(`SdeStepper: scheme "${scheme}" needs rates of length n=${sys.n}`);
    this.n = sys.n;
    this.dW = new Float64Array(sys.n);
    this.f0 = new Float64Array(sys.n);
    this.f1 = new Float64Array(sys.n);
    this.yp = new Float64Array(sys.n);
    this.sg = sys.noiseAt ? new Float64Array(sys.n) : sys.sigma;
    const m = sys.n;
    this.ex = isExponential(scheme) ? { e: new Float64Array(m), p1: new Float64Array(m), p2: new Float64Array(m), sn: new Float64Array(m), h: NaN } : null;
  }

  /** Advances y (in place) from t to t + dt, drawing dW ~ N(0, dt) from the rng. */
  step(t: number, y: Float64Array, dt: number): void {
    this.rng.fillNormal(this.dW, 0, Math.sqrt(dt));
    this.stepWith(t, y, dt, this.dW);
  }

  /** Advances y (in place) from t to t + dt with the given Brownian increments dW (variance dt). */
  stepWith(t: number, y: Float64Array, dt: number, dW: Float64Array): void {
    const { n, f0, sys } = this;
    const sigma = this.sg;
    if (sys.noiseAt) sys.noiseAt(t, y, sigma);
    if (this.ex) {
      this.expStep(t, y, dt, dW);
      return;
    }
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

  /** Coefficients of the exponential schemes for step h (recomputed only when h changes). */
  private expCoefficients(h: number): NonNullable<SdeStepper['ex']> {
    const ex = this.ex as NonNullable<SdeStepper['ex']>;
    if (ex.h === h) return ex;
    const a = this.sys.rates as Float64Array;
    for (let i = 0; i < this.n; i++) {
      const x = a[i] * h;
      ex.e[i] = Math.exp(-x);
      ex.p1[i] = expQ1(x) * h;
      ex.p2[i] = expQ2(x) * h;
      ex.sn[i] = Math.sqrt(expVar(x));
    }
    ex.h = h;
    return ex;
  }

  /** exp_euler / exp_heun step; N(y) = drift(y) + a y. dW = sqrt(h) xi, so the OU noise is sigma sn dW. */
  private expStep(t: number, y: Float64Array, h: number, dW: Float64Array): void {
    const { n, f0, f1, yp, sys } = this;
    const sigma = this.sg;
    const a = sys.rates as Float64Array;
    const { e, p1, p2, sn } = this.expCoefficients(h);
    sys.drift(t, y, f0);
    for (let i = 0; i < n; i++) f0[i] += a[i] * y[i];
    if (this.scheme === 'exp_euler') {
      this.evaluations++;
      for (let i = 0; i < n; i++) y[i] = e[i] * y[i] + p1[i] * f0[i] + sigma[i] * sn[i] * dW[i];
      return;
    }
    for (let i = 0; i < n; i++) yp[i] = e[i] * y[i] + p1[i] * f0[i] + sigma[i] * sn[i] * dW[i];
    sys.drift(t + h, yp, f1);
    this.evaluations += 2;
    for (let i = 0; i < n; i++) y[i] = yp[i] + p2[i] * (f1[i] + a[i] * yp[i] - f0[i]);
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
