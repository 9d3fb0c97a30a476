/**
 * The chip's converters. DACs drive the spring and nudge sources; ADCs read node voltages
 * (with read noise) for the velocity read-out and the GradEP update, which sees only these
 * measured values. Values are in state units u (V = V_unit u).
 */
import type { Chip } from './chip.js';
import type { Rng } from '../util/rng.js';

/** Uniform quantiser with 2^bits levels spanning [-range, range] (clips outside). */
export function quantiseSymmetric(v: number, range: number, bits: number): number {
  const c = Math.max(-range, Math.min(range, v));
  if (bits === 0) return c;
  const step = (2 * range) / (2 ** bits - 1);
  return -range + Math.round((c + range) / step) * step;
}

/** quantiseSymmetric for one (range, bits), its step computed once: the same numbers, for whole arrays. */
function symmetricQuantiser(range: number, bits: number): (v: number) => number {
  if (bits === 0) return (v) => Math.max(-range, Math.min(range, v));
  const step = (2 * range) / (2 ** bits - 1);
  return (v) => -range + Math.round((Math.max(-range, Math.min(range, v)) + range) / step) * step;
}

/** DAC outputs for source values (x_t or x_target), or the values themselves for an ideal DAC. */
export function dac(chip: Chip, values: Float64Array): Float64Array {
  const { bits, v_range } = chip.spec.dac;
  if (bits === 0) return values;
  const q = symmetricQuantiser(v_range / chip.spec.node.v_unit, bits);
  return values.map(q);
}

/**
 * The nudge source's value for targets x_target given x_t and its DAC output dacXt. Without a
 * residual DAC (dac.residual_bits = 0) the main DAC quantises x_target separately (today's
 * path). With it the nudge element is driven by DAC(x_t) plus the offset x_target - x_t through
 * a fine DAC of range residual_range, so the offset the nudge sees, x_nudge - DAC(x_t), is
 * within half a residual LSB of the true one (docs/circuit-model.md "Residual nudge DAC").
 */
export function nudgeDac(chip: Chip, xt: Float64Array, dacXt: Float64Array, xtarget: Float64Array): Float64Array {
  const { residual_bits, residual_range } = chip.spec.dac;
  if (residual_bits === 0) return dac(chip, xtarget);
  const q = symmetricQuantiser(residual_range / chip.spec.node.v_unit, residual_bits);
  return xtarget.map((v, i) => dacXt[i] + q(v - xt[i]));
}

/** True when measurements are exact (no read noise, ideal ADC). */
export function idealMeasurement(chip: Chip): boolean {
  return chip.spec.measure.adc_bits === 0 && chip.spec.measure.read_noise_std === 0;
}

/**
 * Measured copy of node states (B x N): read noise (absolute, volts) then the ADC. `noise` is
 * the read stream (one normal per value when read_noise_std > 0), or those normals drawn ahead
 * from it (drawReadNoise).
 */
export function measure(chip: Chip, raw: Float64Array, noise: Rng | Float64Array | null): Float64Array {
  const { adc_bits, adc_range, read_noise_std } = chip.spec.measure;
  if (adc_bits === 0 && read_noise_std === 0) return raw.slice();
  const vu = chip.spec.node.v_unit;
  const sd = read_noise_std / vu;
  const q = symmetricQuantiser(adc_range / vu, adc_bits);
  const z = sd > 0 ? (noise instanceof Float64Array ? noise : drawReadNoise(chip, noise as Rng, raw.length)) : null;
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = z ? raw[i] + sd * (z as Float64Array)[i] : raw[i];
    out[i] = adc_bits === 0 ? v : q(v);
  }
  return out;
}

/** The n normals measure draws from `rng` for n values (none without read noise: null). */
export function drawReadNoise(chip: Chip, rng: Rng, n: number): Float64Array | null {
  if (chip.spec.measure.read_noise_std === 0) return null;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = rng.normal();
  return z;
}
