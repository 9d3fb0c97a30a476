/**
 * Realise a circuit spec into one chip: frozen device-to-device mismatch drawn from the
 * chip's seed, and synapse conductances programmed from weights through the programming
 * model (quantisation, write noise, clipping, drift). Physics only: no I/O.
 *
 * Conventions (README "Circuit model"): state u is node voltage in units of V_unit; every
 * conductance is in siemens; G_unit = G_L (nominal leak), so a weight W is the differential
 * conductance (G+ - G-) / G_unit. A signed weight is programmed one-sided: W >= 0 raises G+
 * above g_min and leaves G- at g_min, and vice versa, so an ideal chip (g_min = 0, no noise)
 * reproduces W exactly.
 */
import type { DeviceSpec } from '../circuit/spec.js';
import { type Dims, type Params, cloneParams } from '../circuit/params.js';
import { Rng } from '../util/rng.js';
import { type Periphery, realisePeriphery } from './periphery.js';

export interface Chip {
  spec: DeviceSpec;
  d: Dims;
  seed: number;
  /** Per node (N = nx + n1 + n2): capacitance (F) and leak conductance (S). */
  C: Float64Array;
  GL: Float64Array;
  /** Per visible node: spring conductance (S) and the nudge element's relative gain (1 + mismatch). */
  gSpring: Float64Array;
  nudgeGain: Float64Array;
  /** Per hidden neuron (n1 then n2): activation gain and input offset (u units). */
  gain: Float64Array;
  offset: Float64Array;
  /** Frozen multiplicative device factors (1 + g_dtod N(0,1), >= 0) for G0+, G0-, G1+, G1-. */
  m0p: Float64Array;
  m0m: Float64Array;
  m1p: Float64Array;
  m1m: Float64Array;
  /** Backward-path factors (non-reciprocity); null when the circuit is reciprocal. */
  back0: Float64Array | null;
  back1: Float64Array | null;
  /** Programmed target conductances (S), before the device factors. */
  G0p: Float64Array;
  G0m: Float64Array;
  G1p: Float64Array;
  G1m: Float64Array;
  /** Biases are programmed current sources (ideal): bx, b0, b1 of the last programmed params. */
  bias: Params;
  /** rho' generators, multipliers and sense amplifiers (src/chip/periphery.ts). */
  periphery: Periphery;
}

function truncatedFactor(r: Rng, std: number, floor: number): number {
  if (std === 0) return 1;
  return Math.max(floor, 1 + std * r.normal());
}

function factors(n: number, std: number, r: Rng, floor = 0): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = truncatedFactor(r, std, floor);
  return a;
}

/** Draw a chip's frozen mismatch from its seed (stream "chip"); conductances start at g_min. */
export function realiseChip(spec: DeviceSpec, d: Dims, seed: number): Chip {
  const N = d.nx + d.n1 + d.n2;
  const nh = d.n1 + d.n2;
  const { node, synapse, activation, spring, nudge } = spec;
  const C = factors(N, node.c_dtod, new Rng(seed, 'chip', 'C'), 0.01);
  const GL = factors(N, node.gl_dtod, new Rng(seed, 'chip', 'GL'), 0.01);
  for (let n = 0; n < N; n++) {
    C[n] *= node.capacitance;
    GL[n] *= node.g_leak;
  }
  const gSpring = factors(d.nx, spring.g_dtod, new Rng(seed, 'chip', 'spring'));
  for (let j = 0; j < d.nx; j++) gSpring[j] *= spring.lambda * node.g_leak;
  const gain = factors(nh, activation.gain_dtod, new Rng(seed, 'chip', 'gain'));
  const offset = new Float64Array(nh);
  if (activation.offset_dtod > 0) new Rng(seed, 'chip', 'offset').fillNormal(offset, 0, activation.offset_dtod);
  const n0 = d.n1 * d.nx;
  const n1 = d.n2 * d.n1;
  const rs = new Rng(seed, 'chip', 'synapse');
  const nr = synapse.nonreciprocity;
  const rb = new Rng(seed, 'chip', 'backward');
  const fill = (n: number, v: number) => new Float64Array(n).fill(v);
  return {
    spec,
    d,
    seed,
    C,
    GL,
    gSpring,
    nudgeGain: factors(d.nx, nudge.g_dtod, new Rng(seed, 'chip', 'nudge')),
    gain,
    offset,
    m0p: factors(n0, synapse.g_dtod, rs),
    m0m: factors(n0, synapse.g_dtod, rs),
    m1p: factors(n1, synapse.g_dtod, rs),
    m1m: factors(n1, synapse.g_dtod, rs),
    back0: nr > 0 ? factors(n0, nr, rb) : null,
    back1: nr > 0 ? factors(n1, nr, rb) : null,
    G0p: fill(n0, synapse.g_min),
    G0m: fill(n0, synapse.g_min),
    G1p: fill(n1, synapse.g_min),
    G1m: fill(n1, synapse.g_min),
    bias: { W0: new Float64Array(0), W1: new Float64Array(0), b0: new Float64Array(d.n1), b1: new Float64Array(d.n2), bx: new Float64Array(d.nx) },
    periphery: realisePeriphery(spec, d, seed),
  };
}

/** Nearest programmable level (bits > 0) of a conductance in [gmin, gmax]. */
function quantise(g: number, gmin: number, gmax: number, bits: number): number {
  if (bits === 0) return g;
  const levels = 2 ** bits - 1;
  const step = (gmax - gmin) / levels;
  return gmin + Math.round((g - gmin) / step) * step;
}

/**
 * Program weights into the chip's conductances (every device is rewritten): target from the
 * one-sided differential mapping, clipped to [g_min, g_max], snapped to the nearest of 2^bits
 * levels, then written with noise of std write_noise_abs + write_noise_rel * G (siemens),
 * clipped again to the physical range. `rng` is the programming stream of this write.
 */
export function programWeights(chip: Chip, p: Params, rng: Rng): void {
  const { g_min, g_max, bits } = chip.spec.synapse;
  const { write_noise_abs, write_noise_rel } = chip.spec.program;
  const gu = chip.spec.node.g_leak;
  const noisy = write_noise_abs > 0 || write_noise_rel > 0;
  const write = (target: number) => {
    let g = quantise(Math.min(g_max, Math.max(g_min, target)), g_min, g_max, bits);
    if (noisy) g = Math.min(g_max, Math.max(g_min, g + (write_noise_abs + write_noise_rel * g) * rng.normal()));
    return g;
  };
  const pair = (W: Float64Array, Gp: Float64Array, Gm: Float64Array) => {
    for (let i = 0; i < W.length; i++) {
      const w = W[i];
      Gp[i] = write(g_min + (w > 0 ? w * gu : 0));
      Gm[i] = write(g_min + (w < 0 ? -w * gu : 0));
    }
  };
  pair(p.W0, chip.G0p, chip.G0m);
  pair(p.W1, chip.G1p, chip.G1m);
  chip.bias = cloneParams({ ...p, W0: new Float64Array(0), W1: new Float64Array(0) });
}

/** Drift factor (t / t0)^-nu at time t after programming (1 before t0 or without drift). */
export function driftFactor(chip: Chip, t: number): number {
  const { drift_nu, drift_t0 } = chip.spec.program;
  return drift_nu > 0 && t > drift_t0 ? Math.pow(t / drift_t0, -drift_nu) : 1;
}

/** Effective weights the circuit computes with: forward and backward paths. */
export interface EffectiveWeights {
  W0f: Float64Array;
  W0b: Float64Array;
  W1f: Float64Array;
  W1b: Float64Array;
}

/** Device factors and drift applied: W = (G+ m+ - G- m-) / G_unit, backward path times its factor. */
export function effectiveWeights(chip: Chip, readTime = chip.spec.program.drift_t0): EffectiveWeights {
  const gu = chip.spec.node.g_leak;
  const k = driftFactor(chip, readTime) / gu;
  const eff = (Gp: Float64Array, mp: Float64Array, Gm: Float64Array, mm: Float64Array) => {
    const W = new Float64Array(Gp.length);
    for (let i = 0; i < W.length; i++) W[i] = (Gp[i] * mp[i] - Gm[i] * mm[i]) * k;
    return W;
  };
  const W0f = eff(chip.G0p, chip.m0p, chip.G0m, chip.m0m);
  const W1f = eff(chip.G1p, chip.m1p, chip.G1m, chip.m1m);
  const back = (W: Float64Array, f: Float64Array | null) => (f ? W.map((w, i) => w * f[i]) : W);
  return { W0f, W0b: back(W0f, chip.back0), W1f, W1b: back(W1f, chip.back1) };
}

/** The chip's weights read back as ideal params (forward path), for reports and transfer checks. */
export function chipParams(chip: Chip): Params {
  const e = effectiveWeights(chip);
  return { W0: e.W0f, W1: e.W1f, b0: chip.bias.b0.slice(), b1: chip.bias.b1.slice(), bx: chip.bias.bx.slice() };
}
