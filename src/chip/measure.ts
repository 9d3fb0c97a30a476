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

/** DAC outputs for source values (x_t or x_target), or the values themselves for an ideal DAC. */
export function dac(chip: Chip, values: Float64Array): Float64Array {
  const { bits, v_range } = chip.spec.dac;
  if (bits === 0) return values;
  const r = v_range / chip.spec.node.v_unit;
  return values.map((v) => quantiseSymmetric(v, r, bits));
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
  const r = residual_range / chip.spec.node.v_unit;
  return xtarget.map((v, i) => dacXt[i] + quantiseSymmetric(v - xt[i], r, residual_bits));
}

/** True when measurements are exact (no read noise, ideal ADC). */
export function idealMeasurement(chip: Chip): boolean {
  return chip.spec.measure.adc_bits === 0 && chip.spec.measure.read_noise_std === 0;
}

/** Measured copy of node states (B x N): read noise (absolute, volts) then the ADC. */
export function measure(chip: Chip, raw: Float64Array, rng: Rng): Float64Array {
  const { adc_bits, adc_range, read_noise_std } = chip.spec.measure;
  if (adc_bits === 0 && read_noise_std === 0) return raw.slice();
  const vu = chip.spec.node.v_unit;
  const sd = read_noise_std / vu;
  const r = adc_range / vu;
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = sd > 0 ? raw[i] + sd * rng.normal() : raw[i];
    out[i] = adc_bits === 0 ? v : quantiseSymmetric(v, r, adc_bits);
  }
  return out;
}
