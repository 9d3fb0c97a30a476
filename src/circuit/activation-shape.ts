/**
 * The activation element's transfer curve when it is not the paper's rho: a bounded tanh,
 * rho(u) = A tanh((u - u0) / s) + c, the form a differential pair realises (fitted to its
 * ngspice characterisation: circuits/spice, docs/spice.md). null means the paper's
 * scaled_tanh_silu (src/dynamics/activation.ts), so every existing path stays bit-identical.
 */
import type { DeviceSpec } from './spec.js';

export interface TanhShape {
  /** Output amplitude A (units of V_unit). */
  amplitude: number;
  /** Input scale s (units of V_unit). */
  scale: number;
  /** Systematic input offset u0 (units of V_unit). */
  offset: number;
  /** Output offset c (units of V_unit). */
  bias: number;
}

/** The circuit's activation shape: null for scaled_tanh_silu. */
export function activationShape(a: DeviceSpec['activation']): TanhShape | null {
  if (a.kind !== 'tanh') return null;
  return { amplitude: a.tanh_amplitude, scale: a.tanh_scale, offset: a.tanh_offset, bias: a.tanh_bias };
}
