/**
 * Device physics of writing and reading synapse conductances (`program.device`, `program.update`):
 *   simple: today's model (quantise, write noise, uniform power-law drift); the default.
 *   pcm:    aihwkit's PCMLikeNoiseModel (aihwkit/inference/noise/pcm.py; Nandakumar et al.,
 *           ICECS 2019; Joshi et al., Nat. Commun. 11, 2473 (2020)): programming noise
 *           polynomial in g/g_max, a per-device drift exponent nu ~ |N(mu(g), sigma(g))| frozen
 *           per programming event, 1/f read noise growing as sqrt(ln((t + t_r)/(2 t_r))), and
 *           optional global drift compensation (aihwkit GlobalDriftCompensation).
 *   reram:  the simple write plus relaxation after programming and short-term read noise.
 * A write goes through `deviceWriter` (one device at a time, called by programWeights), a read
 * through `deviceReader` (whole arrays, called by effectiveWeights). Draws frozen by a
 * programming event (drift exponents, relaxation, the read noise at a read time) come from
 * streams keyed by the chip seed and a hash of the programmed conductances: a read is a pure
 * function of the chip's data, so a worker that re-reads a copy of the chip sees the same
 * weights as the main thread. This module does not import chip.ts.
 */
import type { DeviceSpec } from '../circuit/spec.js';
import { Rng } from '../util/rng.js';
import { writeVerify } from './write-verify.js';

/** What the device model needs of a chip (structural: chip.ts calls in without an import cycle). */
export interface DeviceChip {
  spec: DeviceSpec;
  seed: number;
}

/** Pulses spent by one programming of the chip (rewrite: one per device). */
export interface WriteStats {
  devices: number;
  pulses: number;
  /** write_verify: devices left outside the tolerance when the budget ran out. */
  unconverged: number;
}

const writeStats = new WeakMap<object, WriteStats>();

/** Pulse counts of the chip's last programming, or null before the first. */
export function lastWriteStats(chip: DeviceChip): WriteStats | null {
  return writeStats.get(chip) ?? null;
}

/** FNV-1a over the bits of a conductance array: names the programming event that wrote it. */
export function conductanceKey(G: Float64Array): number {
  const u = new Uint32Array(G.buffer, G.byteOffset, G.length * 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 0x01000193);
  return h >>> 0;
}

export type WriteFn = (target: number) => number;

const clip = (g: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, g));

/** The conductance a write aims at: the target clipped to the range and snapped to a level. */
export function reachableTarget(spec: DeviceSpec, target: number): number {
  const { g_min, g_max, bits } = spec.synapse;
  const g = clip(target, g_min, g_max);
  if (bits === 0) return g;
  const step = (g_max - g_min) / (2 ** bits - 1);
  return g_min + Math.round((g - g_min) / step) * step;
}

/** PCM programming noise std (S) at target g: (c0 + c1 x + c2 x^2)(g_max / 25 uS) uS, x = g / g_max (Nandakumar et al. 2019 via aihwkit). */
export function pcmProgramStd(g: number, gMax: number): number {
  const x = g / gMax;
  return (0.26348 + 1.965 * x - 1.1731 * x * x) * 1e-6 * (gMax / 25e-6);
}

/** Mean and std of the PCM drift exponent at x = g / g_max (Joshi et al. 2020, Fig. 2, as fitted in aihwkit). */
export function pcmNuMoments(x: number): { mu: number; sigma: number } {
  const lx = Math.log(Math.max(Math.abs(x), 1e-7));
  return { mu: clip(-0.0155 * lx + 0.0244, 0.049, 0.1), sigma: clip(-0.0125 * lx - 0.0059, 0.008, 0.045) };
}

/** Relative std of PCM 1/f read noise at x = g / g_max, time t (s) since programming (aihwkit PCMLikeNoiseModel). */
export function pcmReadStd(x: number, t: number, tRead: number): number {
  if (t <= tRead) return 0;
  const qs = Math.min(0.2, 0.0088 / Math.max(1e-3, Math.pow(Math.abs(x), 0.65)));
  return qs * Math.sqrt(Math.log((t + tRead) / (2 * tRead)));
}

/** One write of the selected device, before any verify loop. */
function baseWrite(chip: DeviceChip, rng: Rng, simple: WriteFn): WriteFn {
  const { spec } = chip;
  const { g_min, g_max } = spec.synapse;
  const pr = spec.program;
  if (pr.update === 'pulsed') {
    // The devices hold the weights (set by pulses); this places them, plus aihwkit's apparent write noise.
    const sd = pr.pulsed.write_noise_std * pr.pulsed.dw_min * pr.pulsed.w_scale * spec.node.g_leak;
    return (t) => {
      const g = clip(t, g_min, g_max);
      return sd > 0 && g > g_min ? clip(g + sd * rng.normal(), g_min, g_max) : g;
    };
  }
  if (pr.device !== 'pcm') return simple;
  const scale = pr.pcm.prog_noise_scale;
  return (t) => {
    const g = reachableTarget(spec, t);
    return scale > 0 ? clip(g + scale * pcmProgramStd(g, g_max) * rng.normal(), g_min, g_max) : g;
  };
}

/**
 * The write function programWeights uses for every device of one programming: `simple` (today's
 * write) unchanged for device simple with rewrite, else the device's write, inside a verify loop
 * for write_verify. Records the pulses of this programming (lastWriteStats).
 */
export function deviceWriter(chip: DeviceChip, rng: Rng, simple: WriteFn): WriteFn {
  const pr = chip.spec.program;
  const stats: WriteStats = { devices: 0, pulses: 0, unconverged: 0 };
  writeStats.set(chip, stats);
  const write = baseWrite(chip, rng, simple);
  if (pr.update !== 'write_verify') {
    return (t) => {
      stats.devices++;
      stats.pulses++;
      return write(t);
    };
  }
  const { tol, max_pulses } = pr.write_verify;
  return (t) => {
    const r = writeVerify(reachableTarget(chip.spec, t), () => write(t), tol, max_pulses);
    stats.devices++;
    stats.pulses += r.pulses;
    if (!r.converged) stats.unconverged++;
    return r.g;
  };
}

/** True when deviceWriter returns the caller's simple write unchanged but for its pulse count (simple or reram device, rewrite). */
export function rewritesSimply(chip: DeviceChip): boolean {
  const pr = chip.spec.program;
  return pr.update === 'rewrite' && pr.device !== 'pcm';
}

/** The stats deviceWriter records for `devices` simple rewrites (one pulse each), for writes made without it. */
export function recordRewrite(chip: DeviceChip, devices: number): void {
  writeStats.set(chip, { devices, pulses: devices, unconverged: 0 });
}

/** Per-device PCM drift exponents of one array: nu = drift_scale |mu(x) + sigma(x) N(0,1)|, frozen per event. */
export function pcmDriftExponents(G: Float64Array, gMax: number, driftScale: number, rng: Rng, out: Float64Array): Float64Array {
  for (let i = 0; i < G.length; i++) {
    const m = pcmNuMoments(G[i] / gMax);
    out[i] = driftScale * Math.abs(m.mu + m.sigma * rng.normal());
  }
  return out;
}

function pcmRead(chip: DeviceChip, G: Float64Array, t: number, tag: string): Float64Array {
  const key = conductanceKey(G);
  const { g_max } = chip.spec.synapse;
  const { drift_t0 } = chip.spec.program;
  const pc = chip.spec.program.pcm;
  const out = new Float64Array(G.length);
  if (pc.drift_scale > 0 && t > drift_t0) {
    pcmDriftExponents(G, g_max, pc.drift_scale, new Rng(chip.seed, 'pcm-drift', key, tag), out);
    const lt = Math.log(t / drift_t0);
    for (let i = 0; i < G.length; i++) out[i] = G[i] * Math.exp(-out[i] * lt);
  } else out.set(G);
  if (pc.read_noise_scale > 0) {
    const r = new Rng(chip.seed, 'pcm-read', key, t, tag);
    for (let i = 0; i < G.length; i++) {
      const sd = pc.read_noise_scale * pcmReadStd(G[i] / g_max, t, pc.t_read);
      out[i] = Math.max(0, out[i] + Math.abs(out[i]) * sd * r.normal());
    }
  }
  return out;
}

function reramRead(chip: DeviceChip, G: Float64Array, t: number, tag: string): Float64Array {
  const key = conductanceKey(G);
  const { read_noise_rel, relax_std, relax_mean, relax_tau } = chip.spec.program.reram;
  const out = G.slice();
  const f = 1 - Math.exp(-t / relax_tau);
  if (relax_std > 0 || relax_mean !== 0) {
    const r = new Rng(chip.seed, 'reram-relax', key, tag);
    for (let i = 0; i < G.length; i++) out[i] = Math.max(0, G[i] * (1 + f * (relax_mean + relax_std * r.normal())));
  }
  if (read_noise_rel > 0) {
    const r = new Rng(chip.seed, 'reram-read', key, t, tag);
    for (let i = 0; i < G.length; i++) out[i] = Math.max(0, out[i] * (1 + read_noise_rel * r.normal()));
  }
  return out;
}

export interface DeviceReader {
  /** Conductances as read at this read-out; the array itself when the device model adds nothing. */
  read(G: Float64Array, tag: string): Float64Array;
  /** Global drift compensation of a weight array (in place), else W unchanged. */
  compensate(W: Float64Array, Gp: Float64Array, mp: Float64Array, Gm: Float64Array, mm: Float64Array): Float64Array;
}

const IDENTITY: DeviceReader = { read: (G) => G, compensate: (W) => W };

/**
 * The chip read at `t` seconds after programming: pcm drift and 1/f noise, or reram relaxation
 * and read noise (read noise drawn per programming event and read time).
 */
export function deviceReader(chip: DeviceChip, t: number): DeviceReader {
  const pr = chip.spec.program;
  if (pr.device === 'simple') return IDENTITY;
  const gu = chip.spec.node.g_leak;
  if (pr.device === 'reram') return { read: (G, tag) => reramRead(chip, G, t, tag), compensate: (W) => W };
  return {
    read: (G, tag) => pcmRead(chip, G, t, tag),
    compensate(W, Gp, mp, Gm, mm) {
      if (pr.pcm.compensation !== 'global') return W;
      // aihwkit GlobalDriftCompensation: the mean |output| for one-hot inputs (= mean |W|) just
      // after programming over the same read now; one factor per array (tile).
      let ref = 0;
      let now = 0;
      for (let i = 0; i < W.length; i++) {
        ref += Math.abs(Gp[i] * mp[i] - Gm[i] * mm[i]) / gu;
        now += Math.abs(W[i]);
      }
      const c = now > 0 ? ref / now : 1;
      for (let i = 0; i < W.length; i++) W[i] *= c;
      return W;
    },
  };
}
