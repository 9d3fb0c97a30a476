/**
 * Pulsed in-situ updates (`program.update = "pulsed"`): there are no digital master weights;
 * each step's weight change dW is applied to the devices as a number of identical pulses
 * (deterministic round(|dW| / dw) or unbiased stochastic rounding, the per-device marginal of
 * the stochastic pulse trains of Gokmen & Vlasov, Front. Neurosci. 10, 333 (2016)), capped at
 * max_pulses, through the device's pulse response (aihwkit PulsedDevice family,
 * aihwkit/simulator/configs/devices.py):
 *   per device, frozen from the chip seed:  dw_up = dw g (1 + beta), dw_down = dw g (1 - beta),
 *     g = |1 + dw_min_dtod N|, beta = up_down + up_down_dtod N, b_max = w_max (1 + w_max_dtod N),
 *     b_min = w_min (1 + w_min_dtod N) (bounds clipped to the conductance range);
 *   per pulse (xi ~ N(0,1), sigma = dw_min_std):
 *     soft_bounds:   up w += dw_up (1 - w/b_max + sigma xi), down w -= dw_down (1 - w/b_min + sigma xi)
 *     constant_step: w += d dw_d (1 + sigma xi)
 *     exp_step:      w += d dw_d max(0, 1 - A_d exp(d gamma_d z)) (1 + sigma xi), z = 2 a w/(b_max - b_min) + b
 *   then w is clipped to [b_min, b_max].
 * Weights are kept in chip weight units (device units times w_scale), so the chip's weights
 * read back are exactly the device state (the run's params), which makes resume exact.
 */
import type { Dims, Params } from '../circuit/params.js';
import type { DeviceSpec } from '../circuit/spec.js';
import type { PulsedSpec } from '../circuit/device-schema.js';
import { Rng } from '../util/rng.js';

/** One weight array's devices: state w and frozen per-device response parameters (chip weight units). */
export interface PulsedArray {
  w: Float64Array;
  up: Float64Array;
  down: Float64Array;
  bMax: Float64Array;
  bMin: Float64Array;
}

export interface PulsedDevices {
  spec: PulsedSpec;
  /** Nominal step per pulse in chip weight units: dw_min w_scale (what the controller divides by). */
  step: number;
  W0: PulsedArray;
  W1: PulsedArray;
}

function realiseArray(n: number, ps: PulsedSpec, wPhys: number, rng: Rng): PulsedArray {
  const a: PulsedArray = { w: new Float64Array(n), up: new Float64Array(n), down: new Float64Array(n), bMax: new Float64Array(n), bMin: new Float64Array(n) };
  const s = ps.w_scale;
  const tiny = 1e-12 * wPhys;
  for (let i = 0; i < n; i++) {
    const g = Math.abs(1 + ps.dw_min_dtod * rng.normal());
    const beta = ps.up_down + ps.up_down_dtod * rng.normal();
    a.up[i] = ps.dw_min * s * g * Math.max(0, 1 + beta);
    a.down[i] = ps.dw_min * s * g * Math.max(0, 1 - beta);
    a.bMax[i] = Math.min(wPhys, Math.max(tiny, Math.abs(ps.w_max * s * (1 + ps.w_max_dtod * rng.normal()))));
    a.bMin[i] = Math.max(-wPhys, -Math.max(tiny, Math.abs(ps.w_min * s * (1 + ps.w_min_dtod * rng.normal()))));
  }
  return a;
}

/** The chip's pulsed devices, frozen from the chip seed (streams "pulsed", "W0" / "W1"); state 0. */
export function realisePulsed(spec: DeviceSpec, d: Dims, chipSeed: number): PulsedDevices {
  const ps = spec.program.pulsed;
  const wPhys = (spec.synapse.g_max - spec.synapse.g_min) / spec.node.g_leak;
  return {
    spec: ps,
    step: ps.dw_min * ps.w_scale,
    W0: realiseArray(d.n1 * d.nx, ps, wPhys, new Rng(chipSeed, 'pulsed', 'W0')),
    W1: realiseArray(d.n2 * d.n1, ps, wPhys, new Rng(chipSeed, 'pulsed', 'W1')),
  };
}

/** Set the device state to the given weights (clipped to each device's bounds) and write the state back into `p`. */
export function loadWeights(dev: PulsedDevices, p: Params): void {
  for (const [a, W] of [[dev.W0, p.W0], [dev.W1, p.W1]] as const) {
    for (let i = 0; i < W.length; i++) a.w[i] = Math.min(a.bMax[i], Math.max(a.bMin[i], W[i]));
    W.set(a.w);
  }
}

/** Signed pulse count for a desired change dW: deterministic or unbiased stochastic rounding of dW / step, capped. */
export function pulseCount(dW: number, step: number, scheme: PulsedSpec['scheme'], maxPulses: number, rng: Rng): number {
  const x = Math.abs(dW) / step;
  let n = scheme === 'deterministic' ? Math.round(x) : Math.floor(x);
  if (scheme === 'stochastic' && rng.uniform() < x - n) n++;
  n = Math.min(n, maxPulses);
  return dW < 0 ? -n : n;
}

/** Apply n pulses (sign = direction) to device i of `a`; returns the new weight. */
export function applyPulses(ps: PulsedSpec, a: PulsedArray, i: number, n: number, rng: Rng): number {
  const dir = n > 0 ? 1 : -1;
  const sigma = ps.dw_min_std;
  const dw = dir > 0 ? a.up[i] : a.down[i];
  const bMax = a.bMax[i];
  const bMin = a.bMin[i];
  let w = a.w[i];
  for (let k = 0; k < Math.abs(n); k++) {
    const xi = sigma > 0 ? sigma * rng.normal() : 0;
    if (ps.model === 'soft_bounds') w += dir * dw * ((dir > 0 ? 1 - w / bMax : 1 - w / bMin) + xi);
    else if (ps.model === 'constant_step') w += dir * dw * (1 + xi);
    else {
      const z = (2 * ps.a * w) / (bMax - bMin) + ps.b;
      const y = dir > 0 ? 1 - ps.A_up * Math.exp(ps.gamma_up * z) : 1 - ps.A_down * Math.exp(-ps.gamma_down * z);
      w += dir * Math.max(0, y) * dw * (1 + xi);
    }
    w = Math.min(bMax, Math.max(bMin, w));
  }
  a.w[i] = w;
  return w;
}

/**
 * Apply the update after - before (the optimizer's step) to the devices as pulses, then write the
 * device state into `after` (W0, W1; biases are ideal current sources and keep their update).
 * Returns the number of pulses applied.
 */
export function applyUpdate(dev: PulsedDevices, before: Params, after: Params, rng: Rng): number {
  const ps = dev.spec;
  let pulses = 0;
  for (const [a, W0, W1] of [[dev.W0, before.W0, after.W0], [dev.W1, before.W1, after.W1]] as const) {
    for (let i = 0; i < W1.length; i++) {
      const n = pulseCount(W1[i] - W0[i], dev.step, ps.scheme, ps.max_pulses, rng);
      if (n !== 0) applyPulses(ps, a, i, n, rng);
      pulses += Math.abs(n);
    }
    W1.set(a.w);
  }
  return pulses;
}

/**
 * The pulsed update of one in-situ training run: devices realised from the chip seed and loaded
 * with the run's weights (which become the device state), then `apply` per step with the pulse
 * stream ("pulsed", step) of the run seed.
 */
export function pulsedTrainer(spec: DeviceSpec, d: Dims, chipSeed: number, seed: number, p: Params) {
  const dev = realisePulsed(spec, d, chipSeed);
  loadWeights(dev, p);
  return {
    dev,
    apply: (before: Params, after: Params, step: number) => applyUpdate(dev, before, after, new Rng(seed, 'pulsed', step)),
  };
}
