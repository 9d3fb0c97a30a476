/**
 * Fully analogue generation: one continuous physical process instead of a loop of
 * settle-then-step. The hidden nodes relax continuously with time constant tau (fast) while
 * the visible nodes follow the learned flow with time constant r tau (slow):
 *   tau   dh/dt = -grad_h E(x, h)
 *   r tau dx/dt = v(x, h) = -alpha (x - bx - W0^T rho(h1))      (the energy_gd velocity)
 * integrated with Euler steps of eps tau. Flow time t = physical time / (r tau), so horizon
 * t1 takes t1 r tau of physical time. As r grows the hidden state tracks its equilibrium and
 * the process approaches settle-then-step energy_gd generation.
 */
import { computeDrives, energyGdVelocity, gradFromDrives, Scratch } from '../dynamics/network.js';
import { type Dims, type Params, stateSize } from '../circuit/params.js';
import type { Phase } from '../circuit/phase.js';
import { Rng } from '../util/rng.js';

export interface AnalogueOptions {
  n: number;
  alpha: number;
  /** Time-scale ratio r = tau_x / tau_h. */
  ratio: number;
  /** Euler step in units of tau (hidden time constant). */
  eps: number;
  seed: number;
}

/** Samples (clipped) at each horizon in t1s, from one trajectory per sample. */
export function generateAnalogue(p: Params, d: Dims, o: AnalogueOptions, t1s: number[]): Float64Array[] {
  const N = stateSize(d);
  const x0 = new Float64Array(o.n * d.nx);
  new Rng(o.seed, 'sample', 'x0').fillNormal(x0); // the same starting noise as settle-then-step
  const marks = t1s.map((t) => Math.max(1, Math.round((t * o.ratio) / o.eps)));
  const steps = Math.max(...marks);
  const out = t1s.map(() => new Float64Array(o.n * d.nx));
  const sc = new Scratch(d);
  const g = new Float64Array(N);
  const s = new Float64Array(N);
  const kx = o.eps / o.ratio;
  const kxAlpha = kx * o.alpha;
  const dx = new Float64Array(d.nx);
  for (let b = 0; b < o.n; b++) {
    s.fill(0);
    s.set(x0.subarray(b * d.nx, (b + 1) * d.nx));
    // x is not tied by a spring here: only the hidden gradient is used (clampX).
    const ph: Phase = { lambda: 0, betaKappa: 0, xt: s, xtarget: null, clampX: true };
    for (let k = 0; k < steps; k++) {
      computeDrives(p, d, s, 0, sc);
      gradFromDrives(d, s, 0, ph, 0, sc, g, 0);
      // One Euler step of x: the energy_gd velocity scaled by kx (kx * -alpha = -(kx alpha) exactly).
      energyGdVelocity(kxAlpha, s, 0, sc.ax, null, dx, 0);
      for (let j = 0; j < d.nx; j++) s[j] += dx[j];
      for (let n = d.nx; n < N; n++) s[n] -= o.eps * g[n];
      marks.forEach((m, i) => {
        if (m === k + 1) for (let j = 0; j < d.nx; j++) out[i][b * d.nx + j] = Math.max(-1, Math.min(1, s[j]));
      });
    }
  }
  return out;
}
