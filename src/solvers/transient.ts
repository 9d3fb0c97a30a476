/**
 * Physical-time relaxation of a realised chip (relax.method = "transient"): every sample
 * is integrated over the phase duration with the chosen solver, its dissipated energy is
 * integrated alongside, and the node voltages are averaged over the final measurement window.
 * Samples are independent and each draws its thermal noise from its own stream
 * (seed, "thermal", ...stream, sample), so results do not depend on how a batch is split.
 */
import type { CircuitModel } from '../dynamics/circuit.js';
import type { Phase } from '../circuit/phase.js';
import type { TransientOptions } from '../circuit/analysis.js';
import { Rng } from '../util/rng.js';
import { integrateOde } from './ode.js';
import { type ExpScheme, type SdeScheme, type SdeSystem, SdeStepper, isExponential } from './sde.js';


export interface TransientStats {
  samples: number;
  /** Fixed steps (or accepted odex steps) summed over samples. */
  steps: number;
  evaluations: number;
  /** Physical duration of the phase (s). */
  time: number;
  /** Dissipated energy per sample (J), mean over samples. */
  energyMean: number;
  /** Settling time (s) to settle_tol: odex only (dense output), else null. */
  settleTimeMax: number | null;
  settleTimeMean: number | null;
  /** trace[k][b] = state of sample b at traceTimes[k] (when requested). */
  trace?: Float64Array[][];
}

/** Running totals over the samples of one call (energy summed in sample and step order). */
interface Totals {
  steps: number;
  evals: number;
  energy: number;
  settleMax: number | null;
  settleSum: number;
}

/** Sample b with odex: the energy integral rides along as one more state component, dE/dt = P(y). */
function odexSample(model: CircuitModel, b: number, y: Float64Array, acc: Float64Array, o: TransientOptions, tot: Totals, trace: Float64Array[][] | undefined): void {
  const N = model.N;
  const M = model.nState;
  const sys = {
    n: M + 1,
    rhs: (_t: number, z: Float64Array, dz: Float64Array) => {
      model.drift(b, z, dz);
      dz[M] = model.power(b, z);
    },
  };
  const z0 = new Float64Array(M + 1);
  z0.set(y);
  // The measurement window is sampled from the dense output at 32 points.
  const nUser = o.traceTimes?.length ?? 0;
  const win = o.window > 0 ? Array.from({ length: 32 }, (_, k) => o.duration - o.window * (1 - (k + 0.5) / 32)) : [];
  const times = [...(o.traceTimes ?? []), ...win];
  const r = integrateOde(sys, z0, 0, o.duration, { rtol: o.rtol, atol: o.atol, settleTol: o.settleTol, traceTimes: times.length ? times : undefined });
  tot.steps += r.steps;
  tot.evals += r.evaluations;
  tot.energy += r.y[M];
  y.set(r.y.subarray(0, M));
  if (win.length && r.trace) {
    acc.fill(0);
    for (let k = nUser; k < times.length; k++) for (let i = 0; i < N; i++) acc[i] += r.trace.y[k][i] / win.length;
  } else acc.set(y.subarray(0, N));
  if (r.settleTime !== null) {
    tot.settleMax = Math.max(tot.settleMax ?? 0, r.settleTime);
    tot.settleSum += r.settleTime;
  }
  if (trace && r.trace) for (let k = 0; k < nUser; k++) trace[k].push(r.trace.y[k].slice(0, N));
}

/** The SDE scheme of a fixed-step solver (euler is Euler-Maruyama with the noise off). */
function schemeOf(solver: TransientOptions['solver']): SdeScheme | ExpScheme {
  return solver === 'heun' || isExponential(solver) ? solver : 'euler_maruyama';
}

/**
 * The SDE of sample b: drift, noise (the phase's, or the model's state-dependent noiseAt with
 * the clamped x silenced, when the noise is not additive) and, for the exponential schemes,
 * the per-state linear rates of the phase (model.linearRates).
 */
function sampleSystem(model: CircuitModel, b: number, o: TransientOptions, sigma: Float64Array, rates: Float64Array | undefined): SdeSystem {
  const sys: SdeSystem = { n: model.nState, drift: (_t: number, z: Float64Array, out: Float64Array) => model.drift(b, z, out), sigma, rates };
  if (!model.additiveNoise && o.solver !== 'euler') {
    const clamped = model.ph?.clampX === true;
    sys.noiseAt = (_t, z, out) => {
      model.noiseAt(b, z, out);
      if (clamped) out.fill(0, 0, model.d.nx);
    };
  }
  return sys;
}

/** Sample b with fixed steps (Euler, Euler-Maruyama, Heun or exponential), its own thermal noise stream. */
function fixedStepSample(model: CircuitModel, b: number, y: Float64Array, acc: Float64Array, o: TransientOptions, sigma: Float64Array, rates: Float64Array | undefined, tot: Totals, trace: Float64Array[][] | undefined): void {
  const N = model.N;
  const stepper = new SdeStepper(sampleSystem(model, b, o, sigma, rates), schemeOf(o.solver), new Rng(o.seed, 'thermal', ...o.stream, b));
  const n = Math.max(1, Math.round(o.duration / o.dt));
  const dt = o.duration / n;
  const nw = o.window > 0 ? Math.min(n, Math.max(1, Math.round(o.window / dt))) : 0;
  const perStep = o.solver === 'heun' || o.solver === 'exp_heun' ? 2 : 1;
  acc.fill(0);
  let nextTrace = 0;
  for (let k = 0; k < n; k++) {
    const t = k * dt;
    if (trace && o.traceTimes) {
      while (nextTrace < o.traceTimes.length && o.traceTimes[nextTrace] <= t + 1e-12 * dt) trace[nextTrace++].push(y.slice(0, N));
    }
    // Left-point rule for the dissipated energy.
    tot.energy += model.power(b, y) * dt;
    stepper.step(t, y, dt);
    if (k >= n - nw) for (let i = 0; i < N; i++) acc[i] += y[i];
  }
  if (trace && o.traceTimes) while (nextTrace < o.traceTimes.length) trace[nextTrace++].push(y.slice(0, N));
  if (nw > 0) for (let i = 0; i < N; i++) acc[i] /= nw;
  else acc.set(y.subarray(0, N));
  tot.steps += n;
  tot.evals += n * perStep;
}

/**
 * Relax samples [from, to) of `s` (B x N, state units) in place for `o.duration`. The
 * window-averaged state goes to `avg` (same layout), which may be `s` itself.
 */
export function relaxTransient(model: CircuitModel, s: Float64Array, ph: Phase, o: TransientOptions, from: number, to: number, avg: Float64Array = s): TransientStats {
  model.setPhase(ph);
  const N = model.N;
  // Nodes first, then the model's auxiliary states (initialised from the nodes per sample).
  const y = new Float64Array(model.nState);
  const acc = new Float64Array(N);
  const tot: Totals = { steps: 0, evals: 0, energy: 0, settleMax: null, settleSum: 0 };
  const trace: Float64Array[][] | undefined = o.traceTimes ? o.traceTimes.map(() => []) : undefined;
  // A clamped x is held by its voltage source: no drift and no thermal noise on it.
  const M = model.nState;
  const sig = new Float64Array(M);
  sig.set(model.sigma);
  const sigma = o.solver === 'euler' ? new Float64Array(M) : ph.clampX ? sig.map((v, n) => (n < model.d.nx ? 0 : v)) : sig;
  // Exponential schemes: the phase's linear rates (leak, spring, nudge), exact within the step.
  let rates: Float64Array | undefined;
  if (isExponential(o.solver)) {
    rates = new Float64Array(M);
    model.linearRates(rates);
  }
  for (let b = from; b < to; b++) {
    y.set(s.subarray(b * N, (b + 1) * N));
    model.initAux(b, y);
    if (o.solver === 'odex') odexSample(model, b, y, acc, o, tot, trace);
    else fixedStepSample(model, b, y, acc, o, sigma, rates, tot, trace);
    s.set(y.subarray(0, N), b * N);
    avg.set(acc, b * N);
  }
  const ns = to - from;
  return {
    samples: ns,
    steps: tot.steps,
    evaluations: tot.evals,
    time: o.duration,
    energyMean: ns > 0 ? tot.energy / ns : 0,
    settleTimeMax: tot.settleMax,
    settleTimeMean: tot.settleMax === null || ns === 0 ? null : tot.settleSum / ns,
    trace,
  };
}

/** Merge statistics of sample ranges (e.g. from workers). */
export function mergeTransientStats(parts: TransientStats[]): TransientStats {
  const n = parts.reduce((a, p) => a + p.samples, 0);
  const settled = parts.filter((p) => p.settleTimeMax !== null);
  return {
    samples: n,
    steps: parts.reduce((a, p) => a + p.steps, 0),
    evaluations: parts.reduce((a, p) => a + p.evaluations, 0),
    time: parts[0]?.time ?? 0,
    energyMean: n > 0 ? parts.reduce((a, p) => a + p.energyMean * p.samples, 0) / n : 0,
    settleTimeMax: settled.length ? Math.max(...settled.map((p) => p.settleTimeMax as number)) : null,
    settleTimeMean: settled.length ? settled.reduce((a, p) => a + (p.settleTimeMean as number) * p.samples, 0) / settled.reduce((a, p) => a + p.samples, 0) : null,
  };
}
