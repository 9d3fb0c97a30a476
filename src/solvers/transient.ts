/**
 * Physical-time relaxation of a realised chip (relax.method = "transient"): every sample
 * is integrated over the phase duration with the chosen solver, its dissipated energy is
 * integrated alongside, and the node voltages are averaged over the final measurement window.
 * Samples are independent and each draws its thermal noise from its own stream
 * (seed, "thermal", ...stream, sample), so results do not depend on how a batch is split.
 */
import type { CircuitModel, CircuitPhase } from '../dynamics/circuit.js';
import { Rng } from '../util/rng.js';
import { integrateOde } from './ode.js';
import { SdeStepper } from './sde.js';

export type TransientSolver = 'euler' | 'euler_maruyama' | 'heun' | 'odex';

export interface TransientOptions {
  solver: TransientSolver;
  /** Fixed step (s) of euler / euler_maruyama / heun. */
  dt: number;
  /** Phase duration (s). */
  duration: number;
  /** Averaging window (s) at the end of the phase; 0 = the final state. */
  window: number;
  seed: number;
  /** Names this phase's noise streams (e.g. ["train", step, "plus"]). */
  stream: (string | number)[];
  rtol: number;
  atol: number;
  settleTol: number;
  /** Record every sample's state at these times (s), for --trace. */
  traceTimes?: number[];
}

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

/**
 * Relax samples [from, to) of `s` (B x N, state units) in place for `o.duration`. The
 * window-averaged state goes to `avg` (same layout), which may be `s` itself.
 */
export function relaxTransient(model: CircuitModel, s: Float64Array, ph: CircuitPhase, o: TransientOptions, from: number, to: number, avg: Float64Array = s): TransientStats {
  model.setPhase(ph);
  const N = model.N;
  const y = new Float64Array(N);
  const acc = new Float64Array(N);
  let steps = 0;
  let evals = 0;
  let energy = 0;
  let settleMax: number | null = null;
  let settleSum = 0;
  const trace: Float64Array[][] | undefined = o.traceTimes ? o.traceTimes.map(() => []) : undefined;
  // A clamped x is held by its voltage source: no drift and no thermal noise on it.
  const sigma = o.solver === 'euler' ? new Float64Array(N) : ph.clampX ? model.sigma.map((v, n) => (n < model.d.nx ? 0 : v)) : model.sigma;
  for (let b = from; b < to; b++) {
    y.set(s.subarray(b * N, (b + 1) * N));
    if (o.solver === 'odex') {
      // The energy integral rides along as one more state component: dE/dt = P(y).
      const sys = {
        n: N + 1,
        rhs: (_t: number, z: Float64Array, dz: Float64Array) => {
          model.drift(b, z, dz);
          dz[N] = model.power(b, z);
        },
      };
      const z0 = new Float64Array(N + 1);
      z0.set(y);
      // The measurement window is sampled from the dense output at 32 points.
      const nUser = o.traceTimes?.length ?? 0;
      const win = o.window > 0 ? Array.from({ length: 32 }, (_, k) => o.duration - o.window * (1 - (k + 0.5) / 32)) : [];
      const times = [...(o.traceTimes ?? []), ...win];
      const r = integrateOde(sys, z0, 0, o.duration, { rtol: o.rtol, atol: o.atol, settleTol: o.settleTol, traceTimes: times.length ? times : undefined });
      steps += r.steps;
      evals += r.evaluations;
      energy += r.y[N];
      y.set(r.y.subarray(0, N));
      if (win.length && r.trace) {
        acc.fill(0);
        for (let k = nUser; k < times.length; k++) for (let i = 0; i < N; i++) acc[i] += r.trace.y[k][i] / win.length;
      } else acc.set(y);
      if (r.settleTime !== null) {
        settleMax = Math.max(settleMax ?? 0, r.settleTime);
        settleSum += r.settleTime;
      }
      if (trace && r.trace) for (let k = 0; k < nUser; k++) trace[k].push(r.trace.y[k].slice(0, N));
    } else {
      const sys = { n: N, drift: (_t: number, z: Float64Array, out: Float64Array) => model.drift(b, z, out), sigma };
      const stepper = new SdeStepper(sys, o.solver === 'heun' ? 'heun' : 'euler_maruyama', new Rng(o.seed, 'thermal', ...o.stream, b));
      const n = Math.max(1, Math.round(o.duration / o.dt));
      const dt = o.duration / n;
      const nw = o.window > 0 ? Math.min(n, Math.max(1, Math.round(o.window / dt))) : 0;
      const perStep = o.solver === 'heun' ? 2 : 1;
      acc.fill(0);
      let nextTrace = 0;
      for (let k = 0; k < n; k++) {
        const t = k * dt;
        if (trace && o.traceTimes) {
          while (nextTrace < o.traceTimes.length && o.traceTimes[nextTrace] <= t + 1e-12 * dt) trace[nextTrace++].push(y.slice());
        }
        // Left-point rule for the dissipated energy.
        energy += model.power(b, y) * dt;
        stepper.step(t, y, dt);
        if (k >= n - nw) for (let i = 0; i < N; i++) acc[i] += y[i];
      }
      if (trace && o.traceTimes) while (nextTrace < o.traceTimes.length) trace[nextTrace++].push(y.slice());
      if (nw > 0) for (let i = 0; i < N; i++) acc[i] /= nw;
      else acc.set(y);
      steps += n;
      evals += n * perStep;
    }
    s.set(y, b * N);
    avg.set(acc, b * N);
  }
  const ns = to - from;
  return {
    samples: ns,
    steps,
    evaluations: evals,
    time: o.duration,
    energyMean: ns > 0 ? energy / ns : 0,
    settleTimeMax: settleMax,
    settleTimeMean: settleMax === null || ns === 0 ? null : settleSum / ns,
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
