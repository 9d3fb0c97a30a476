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
import { activationShape, type TanhShape } from '../circuit/activation-shape.js';
import { type Dims, type Params, cloneParams } from '../circuit/params.js';
import { Rng } from '../util/rng.js';
import { deviceReader, deviceWriter, recordRewrite, rewritesSimply } from './device-model.js';
import { irDropWeights, transpose } from './irdrop.js';
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
  /** The activation's transfer curve, shared by every neuron: null = scaled_tanh_silu (src/circuit/activation-shape.ts). */
  shape: TanhShape | null;
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
  /**
   * synapse.topology "two_arrays": the backward arrays (W0b drives x from rho(h1), W1b drives h1
   * from rho(h2)), programmed and mismatched separately; same index layout as the forward
   * arrays (weight [i][j] of W0 at i * nx + j). null for "ideal_shared" (one array both ways).
   */
  bwd: CrossbarDevices | null;
  /** rho' generators, multipliers and sense amplifiers (src/chip/periphery.ts). */
  periphery: Periphery;
}

/** The devices of one set of arrays (layer 0 and layer 1): frozen factors and programmed conductances (S). */
export interface CrossbarDevices {
  m0p: Float64Array;
  m0m: Float64Array;
  m1p: Float64Array;
  m1m: Float64Array;
  G0p: Float64Array;
  G0m: Float64Array;
  G1p: Float64Array;
  G1m: Float64Array;
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
  // The backward arrays draw their own frozen factors (stream "chip", "synapse_backward").
  const rsb = new Rng(seed, 'chip', 'synapse_backward');
  const bwd: CrossbarDevices | null =
    synapse.topology === 'two_arrays'
      ? {
          m0p: factors(n0, synapse.g_dtod, rsb),
          m0m: factors(n0, synapse.g_dtod, rsb),
          m1p: factors(n1, synapse.g_dtod, rsb),
          m1m: factors(n1, synapse.g_dtod, rsb),
          G0p: fill(n0, synapse.g_min),
          G0m: fill(n0, synapse.g_min),
          G1p: fill(n1, synapse.g_min),
          G1m: fill(n1, synapse.g_min),
        }
      : null;
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
    shape: activationShape(activation),
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
    bwd,
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
 * clipped again to the physical range. `rng` is the programming stream of this write; `noise`,
 * when given, is drawProgramNoise of that stream (drawn ahead) and is used instead of drawing.
 */
export function programWeights(chip: Chip, p: Params, rng: Rng, noise?: ProgramNoise | null): void {
  const { g_min, g_max, bits } = chip.spec.synapse;
  const { write_noise_abs, write_noise_rel } = chip.spec.program;
  const gu = chip.spec.node.g_leak;
  const noisy = write_noise_abs > 0 || write_noise_rel > 0;
  const simpleWrite = (r: Rng) => (target: number) => {
    let g = quantise(Math.min(g_max, Math.max(g_min, target)), g_min, g_max, bits);
    if (noisy) g = Math.min(g_max, Math.max(g_min, g + (write_noise_abs + write_noise_rel * g) * r.normal()));
    return g;
  };
  // program.device / program.update select the write (device-model.ts); simple + rewrite is simpleWrite itself.
  const writer = (r: Rng) => deviceWriter(chip, r, simpleWrite(r));
  const pair = (write: (target: number) => number, W: Float64Array, Gp: Float64Array, Gm: Float64Array) => {
    for (let i = 0; i < W.length; i++) {
      const w = W[i];
      Gp[i] = write(g_min + (w > 0 ? w * gu : 0));
      Gm[i] = write(g_min + (w < 0 ? -w * gu : 0));
    }
  };
  // A plain rewrite (the common in-situ case) draws its noise first, in the order the writes
  // would (drawProgramNoise), and runs the same arithmetic in one loop: this is training's
  // per-step hot path (every device of every array, every step).
  if (rewritesSimply(chip)) {
    const z = noise ?? drawProgramNoise(chip, rng);
    const arrays = (a: CrossbarDevices, zs: Float64Array | null) => {
      rewritePair(chip, p.W0, a.G0p, a.G0m, zs, 0);
      rewritePair(chip, p.W1, a.G1p, a.G1m, zs, 2 * p.W0.length);
      recordRewrite(chip, 2 * (p.W0.length + p.W1.length));
    };
    arrays(chip, z ? z.fwd : null);
    if (chip.bwd) arrays(chip.bwd, z ? z.bwd : null);
  } else {
    const write = writer(rng);
    pair(write, p.W0, chip.G0p, chip.G0m);
    pair(write, p.W1, chip.G1p, chip.G1m);
    if (chip.bwd) {
      // The backward arrays are separate devices written separately: their own write noise,
      // from a stream seeded by this write's stream (so it is fixed by the caller's stream).
      const wb = writer(new Rng(rng.nextU32(), 'program', 'backward'));
      pair(wb, p.W0, chip.bwd.G0p, chip.bwd.G0m);
      pair(wb, p.W1, chip.bwd.G1p, chip.bwd.G1m);
    }
  }
  chip.bias = cloneParams({ ...p, W0: new Float64Array(0), W1: new Float64Array(0) });
}

/** The write noise of one programming, drawn ahead: the normals in the order programWeights draws them. */
export interface ProgramNoise {
  fwd: Float64Array;
  bwd: Float64Array | null;
}

/**
 * The normals programWeights(chip, p, rng) would draw, for any p: a plain noisy rewrite draws one
 * per device in a fixed order (forward arrays, then the backward arrays from their own stream
 * seeded by `rng`), whatever the weights. Null when the draws depend on the weights (pcm,
 * write_verify, pulsed) or there are none; programWeights then draws itself.
 */
export function drawProgramNoise(chip: Chip, rng: Rng): ProgramNoise | null {
  const { write_noise_abs, write_noise_rel } = chip.spec.program;
  if (!rewritesSimply(chip) || !(write_noise_abs > 0 || write_noise_rel > 0)) return null;
  const n = 2 * (chip.G0p.length + chip.G1p.length);
  const draw = (r: Rng) => {
    const z = new Float64Array(n);
    for (let i = 0; i < n; i++) z[i] = r.normal();
    return z;
  };
  const fwd = draw(rng);
  return { fwd, bwd: chip.bwd ? draw(new Rng(rng.nextU32(), 'program', 'backward')) : null };
}

/**
 * programWeights' simple write of one array pair, device by device (G+ then G-), with the noise
 * z[zo + 2 i] and z[zo + 2 i + 1] (null: noiseless): the expressions of quantise and simpleWrite
 * with the level step hoisted, so the conductances are exactly theirs.
 */
function rewritePair(chip: Chip, W: Float64Array, Gp: Float64Array, Gm: Float64Array, z: Float64Array | null, zo: number): void {
  const { g_min, g_max, bits } = chip.spec.synapse;
  const { write_noise_abs: na, write_noise_rel: nr } = chip.spec.program;
  const gu = chip.spec.node.g_leak;
  const step = bits === 0 ? 0 : (g_max - g_min) / (2 ** bits - 1);
  for (let i = 0; i < W.length; i++) {
    const w = W[i];
    let gp = Math.min(g_max, Math.max(g_min, g_min + (w > 0 ? w * gu : 0)));
    let gm = Math.min(g_max, Math.max(g_min, g_min + (w < 0 ? -w * gu : 0)));
    if (bits !== 0) {
      gp = g_min + Math.round((gp - g_min) / step) * step;
      gm = g_min + Math.round((gm - g_min) / step) * step;
    }
    if (z) {
      gp = Math.min(g_max, Math.max(g_min, gp + (na + nr * gp) * z[zo + 2 * i]));
      gm = Math.min(g_max, Math.max(g_min, gm + (na + nr * gm) * z[zo + 2 * i + 1]));
    }
    Gp[i] = gp;
    Gm[i] = gm;
  }
}

/** Drift factor (t / t0)^-nu at time t after programming (1 before t0 or without drift). */
export function driftFactor(chip: Chip, t: number): number {
  const { drift_nu, drift_t0, device } = chip.spec.program;
  // A pcm device drifts with its own exponent (device-model.ts), not the uniform drift_nu.
  return device !== 'pcm' && drift_nu > 0 && t > drift_t0 ? Math.pow(t / drift_t0, -drift_nu) : 1;
}

/** Effective weights the circuit computes with: forward and backward paths. */
export interface EffectiveWeights {
  W0f: Float64Array;
  W0b: Float64Array;
  W1f: Float64Array;
  W1b: Float64Array;
}

/**
 * Device factors and drift applied: W = (G+ m+ - G- m-) / G_unit per array and direction; the
 * backward path comes from the backward arrays (two_arrays) or the same devices (ideal_shared),
 * times its nonreciprocity factor. With synapse.r_wire > 0 each array's transfer includes the
 * IR drop of its lines in the direction it is used (src/chip/irdrop.ts).
 */
export function effectiveWeights(chip: Chip, readTime = chip.spec.program.drift_t0): EffectiveWeights {
  const gu = chip.spec.node.g_leak;
  const drift = driftFactor(chip, readTime);
  const k = drift / gu;
  const { nx, n1, n2 } = chip.d;
  const { r_wire, ir_model } = chip.spec.synapse;
  // One read-out of the device model (pcm drift and read noise, reram relaxation); identity for simple.
  const dev = deviceReader(chip, readTime);
  const eff = (Gp: Float64Array, mp: Float64Array, Gm: Float64Array, mm: Float64Array, tag: string) => {
    const W = new Float64Array(Gp.length);
    const rp = dev.read(Gp, `${tag}p`);
    const rm = dev.read(Gm, `${tag}m`);
    for (let i = 0; i < W.length; i++) W[i] = (rp[i] * mp[i] - rm[i] * mm[i]) * k;
    return dev.compensate(W, Gp, mp, Gm, mm);
  };
  // One array used in one direction; `rows` = lines of the upper layer, `cols` = lower layer.
  const use = (a: CrossbarDevices, layer: 0 | 1, forward: boolean, tag: string) => {
    const [Gp, mp, Gm, mm] = layer === 0 ? [a.G0p, a.m0p, a.G0m, a.m0m] : [a.G1p, a.m1p, a.G1m, a.m1m];
    if (r_wire === 0) return eff(Gp, mp, Gm, mm, tag);
    const [rows, cols] = layer === 0 ? [n1, nx] : [n2, n1];
    const rp = dev.read(Gp, `${tag}p`);
    const rm = dev.read(Gm, `${tag}m`);
    // Plain loops, not TypedArray map (a per-step cost of in-situ training): the same products.
    const gp = new Float64Array(rp.length);
    const gm = new Float64Array(rm.length);
    for (let i = 0; i < gp.length; i++) {
      gp[i] = rp[i] * mp[i] * drift;
      gm[i] = rm[i] * mm[i] * drift;
    }
    // Forward: the lower layer drives the columns, the upper layer senses the rows.
    return forward ? irDropWeights(gp, gm, rows, cols, r_wire, ir_model, gu) : transpose(irDropWeights(transpose(gp, rows, cols), transpose(gm, rows, cols), cols, rows, r_wire, ir_model, gu), cols, rows);
  };
  const fwd: CrossbarDevices = chip;
  const W0f = use(fwd, 0, true, '0');
  const W1f = use(fwd, 1, true, '1');
  const shared = chip.bwd === null && r_wire === 0;
  // The backward arrays are other devices (their own read-out draws); shared ones reuse the forward tags.
  const W0b0 = shared ? W0f : use(chip.bwd ?? fwd, 0, false, chip.bwd ? 'B0' : '0');
  const W1b0 = shared ? W1f : use(chip.bwd ?? fwd, 1, false, chip.bwd ? 'B1' : '1');
  const back = (W: Float64Array, f: Float64Array | null) => (f ? W.map((w, i) => w * f[i]) : W);
  return { W0f, W0b: back(W0b0, chip.back0), W1f, W1b: back(W1b0, chip.back1) };
}

/** Conductance sums (S) of one array in one direction: per sensed line and per driven line. */
export interface LineSums {
  sensed: Float64Array;
  driven: Float64Array;
}

/**
 * Per-line device conductance sums (G+ m+ + G- m-, before drift) of the four directional
 * products: f0 (W0f: x drives, h1 senses), b0 (W0b: rho(h1) drives, x senses), f1 (W1f: rho(h1)
 * drives, h2 senses), b1 (W1b: rho(h2) drives, h1 senses). ideal_shared: the forward and
 * backward products share devices, so b0 = f0 with the roles swapped (the same arrays).
 */
export function crossbarLines(chip: Chip): { f0: LineSums; b0: LineSums; f1: LineSums; b1: LineSums } {
  const { nx, n1, n2 } = chip.d;
  const sums = (Gp: Float64Array, mp: Float64Array, Gm: Float64Array, mm: Float64Array, rows: number, cols: number) => {
    const row = new Float64Array(rows);
    const col = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const g = Gp[i * cols + j] * mp[i * cols + j] + Gm[i * cols + j] * mm[i * cols + j];
        col[j] += g;
        row[i] += g;
      }
    }
    return { row, col };
  };
  const a0 = sums(chip.G0p, chip.m0p, chip.G0m, chip.m0m, n1, nx);
  const a1 = sums(chip.G1p, chip.m1p, chip.G1m, chip.m1m, n2, n1);
  const bw = chip.bwd;
  const c0 = bw ? sums(bw.G0p, bw.m0p, bw.G0m, bw.m0m, n1, nx) : a0;
  const c1 = bw ? sums(bw.G1p, bw.m1p, bw.G1m, bw.m1m, n2, n1) : a1;
  return {
    f0: { sensed: a0.row, driven: a0.col },
    b0: { sensed: c0.col, driven: c0.row },
    f1: { sensed: a1.row, driven: a1.col },
    b1: { sensed: c1.col, driven: c1.row },
  };
}

/** The chip's weights read back as ideal params (forward path), for reports and transfer checks. */
export function chipParams(chip: Chip): Params {
  const e = effectiveWeights(chip);
  return { W0: e.W0f, W1: e.W1f, b0: chip.bias.b0.slice(), b1: chip.bias.b1.slice(), bx: chip.bias.bx.slice() };
}
