/**
 * The activation element rho(u) = 10 tanh(silu(u) / 10), silu(u) = u sigmoid(u) (arXiv 2604.08150).
 * Written with exp only (Math.tanh measured at ~16 ns a call) and guarded against overflow.
 */
import type { TanhShape } from '../circuit/activation-shape.js';

/** rho(u), rho'(u) written into r[i], d[i]. */
export function rhoAndDeriv(u: number, out: Float64Array, k: number): void {
  // sigmoid via exp(-|u|) to avoid overflow for large |u|.
  const e = Math.exp(-Math.abs(u));
  const sig = u >= 0 ? 1 / (1 + e) : e / (1 + e);
  const z = (u * sig) / 10; // silu(u)/10
  // tanh(z) = 1 - 2/(exp(2z)+1); z >= -0.028 (silu's minimum is -0.278), so exp(2z) is safe up to overflow -> 1.
  const th = 1 - 2 / (Math.exp(2 * z) + 1);
  out[k] = 10 * th;
  out[k + 1] = (1 - th * th) * sig * (1 + u * (1 - sig));
}

export function rho(u: number): number {
  const e = Math.exp(-Math.abs(u));
  const sig = u >= 0 ? 1 / (1 + e) : e / (1 + e);
  return 10 * Math.tanh((u * sig) / 10);
}

export function rhoPrime(u: number): number {
  const e = Math.exp(-Math.abs(u));
  const sig = u >= 0 ? 1 / (1 + e) : e / (1 + e);
  const th = Math.tanh((u * sig) / 10);
  return (1 - th * th) * sig * (1 + u * (1 - sig));
}

/** rho''(u) = sech^2(z) [silu'' - (2/10) tanh(z) silu'^2], z = silu/10 (used by the exact Hessian). */
export function rhoSecond(u: number): number {
  const e = Math.exp(-Math.abs(u));
  const sig = u >= 0 ? 1 / (1 + e) : e / (1 + e);
  const th = Math.tanh((u * sig) / 10);
  const s1 = sig * (1 + u * (1 - sig));
  const s2 = sig * (1 - sig) * (2 + u * (1 - 2 * sig));
  return (1 - th * th) * (s2 - 0.2 * th * s1 * s1);
}

/**
 * The bounded tanh element rho(u) = A tanh((u - u0)/s) + c (src/circuit/activation-shape.ts):
 * rho into out[k], rho' = (A/s)(1 - tanh^2) into out[k + 1].
 */
export function tanhAndDeriv(f: TanhShape, u: number, out: Float64Array, k: number): void {
  const th = Math.tanh((u - f.offset) / f.scale);
  out[k] = f.amplitude * th + f.bias;
  out[k + 1] = (f.amplitude / f.scale) * (1 - th * th);
}

/** rho and rho' of the circuit's activation (shape null: the paper's scaled_tanh_silu). */
export function actAndDeriv(f: TanhShape | null, u: number, out: Float64Array, k: number): void {
  if (f) tanhAndDeriv(f, u, out, k);
  else rhoAndDeriv(u, out, k);
}

/** rho of the circuit's activation. */
export function actValue(f: TanhShape | null, u: number): number {
  return f ? f.amplitude * Math.tanh((u - f.offset) / f.scale) + f.bias : rho(u);
}
