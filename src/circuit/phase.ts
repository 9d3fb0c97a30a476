/**
 * One phase of a relaxation: the sources outside the network (spring, nudge, clamp) and its
 * start state. The same record drives the ideal network and a realised chip.
 */
import { type Dims, stateSize } from './params.js';

/**
 * One phase's external elements: the spring (stiffness lambda to x_t) and the nudge
 * (stiffness beta*kappa to x_target). beta = 0 is the free phase. On a realised chip the
 * spring is the chip's own realised conductance, so only the ideal network reads `lambda`.
 */
export interface Phase {
  lambda: number;
  /** beta * kappa, kappa = (alpha*lambda)^2; may be negative (the -beta phase). */
  betaKappa: number;
  /** B x nx spring anchors x_t. */
  xt: Float64Array;
  /** B x nx nudge targets x_target = x_t + u_t/(alpha*lambda); unused when betaKappa = 0. */
  xtarget: Float64Array | null;
  /** Hold x fixed (only the hidden units relax): the energy_gd inference mode. */
  clampX?: boolean;
}

/** Free-phase start: x = x_t, hidden units at 0 (no warm start, as the reference). */
export function freeStart(d: Dims, xt: Float64Array, B: number): Float64Array {
  const N = stateSize(d);
  const s = new Float64Array(B * N);
  for (let b = 0; b < B; b++) s.set(xt.subarray(b * d.nx, (b + 1) * d.nx), b * N);
  return s;
}

/** Nudge targets x_target = x_t + u_t / (alpha lambda): where the read-out would equal u_t. */
export function nudgeTargets(xt: Float64Array, ut: Float64Array, alpha: number, lambda: number): Float64Array {
  const out = new Float64Array(xt.length);
  const k = 1 / (alpha * lambda);
  for (let i = 0; i < xt.length; i++) out[i] = xt[i] + k * ut[i];
  return out;
}
