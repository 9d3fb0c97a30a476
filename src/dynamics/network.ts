/**
 * The layered Hopfield-like network of FlowEqProp (arXiv 2604.08150; docs/model.md) as batched typed-array kernels.
 *
 * State of one sample: s = [x (nx) | h1 (n1) | h2 (n2)], stored batch-major: sample b at
 * offset b*N, N = nx + n1 + n2. Weights are out x in, row-major: W0[i*nx + j] couples
 * x_j to h1_i, W1[k*n1 + i] couples h1_i to h2_k.
 *
 * Total free energy of a phase (docs/model.md):
 *   F(s) = E(s) + lambda/2 |x - x_t|^2 + beta*kappa/2 |x - x_target|^2,  kappa = (alpha*lambda)^2
 *   E(s) = 1/2|s|^2 - bx.x - rho(h1).(W0 x + b0) - rho(h2).(W1 rho(h1) + b1)
 */
import { actValue, rhoAndDeriv } from './activation.js';
import type { TanhShape } from '../circuit/activation-shape.js';
import type { Dims, Params } from '../circuit/params.js';
import type { Phase } from '../circuit/phase.js';

/**
 * Per-sample scratch for drive computations: rho, rho' of both hidden layers and the
 * three layer inputs. Allocated once per solver call, reused for every sample and step.
 */
export class Scratch {
  readonly rd1: Float64Array; // interleaved rho, rho' of h1
  readonly rd2: Float64Array;
  readonly ax: Float64Array; // bx + W0^T rho(h1)
  readonly a1: Float64Array; // W0 x + b0 + W1^T rho(h2)
  readonly a2: Float64Array; // W1 rho(h1) + b1
  constructor(readonly d: Dims) {
    this.rd1 = new Float64Array(2 * d.n1);
    this.rd2 = new Float64Array(2 * d.n2);
    this.ax = new Float64Array(d.nx);
    this.a1 = new Float64Array(d.n1);
    this.a2 = new Float64Array(d.n2);
  }
}

/** Layer inputs of one sample (state at s[off..off+N)). Shared by every relaxation method. */
export function computeDrives(p: Params, d: Dims, s: Float64Array, off: number, sc: Scratch): void {
  const { nx, n1, n2 } = d;
  const o1 = off + nx;
  const o2 = o1 + n1;
  const { rd1, rd2, ax, a1, a2 } = sc;
  for (let i = 0; i < n1; i++) rhoAndDeriv(s[o1 + i], rd1, 2 * i);
  for (let k = 0; k < n2; k++) rhoAndDeriv(s[o2 + k], rd2, 2 * k);
  crossbarDrives(d, p.W0, p.W0, p.W1, p.W1, p, s, off, rd1, rd2, ax, a1, a2);
}

/**
 * The crossbar products of one sample, given rho (even slots of rd1, rd2):
 *   ax = bx + W0b^T rho(h1),  a1 = W0f x + b0 + W1b^T rho(h2),  a2 = W1f rho(h1) + b1.
 * The ideal network has W_f = W_b = W; a chip's forward and backward paths may differ.
 */
export function crossbarDrives(
  d: Dims,
  W0f: Float64Array,
  W0b: Float64Array,
  W1f: Float64Array,
  W1b: Float64Array,
  bias: Pick<Params, 'b0' | 'b1' | 'bx'>,
  s: Float64Array,
  off: number,
  rd1: Float64Array,
  rd2: Float64Array,
  ax: Float64Array,
  a1: Float64Array,
  a2: Float64Array,
): void {
  const { nx, n1, n2 } = d;
  ax.set(bias.bx);
  // a1 = W0 x + b0, and ax += W0^T r1 in the same pass over W0.
  for (let i = 0; i < n1; i++) {
    const row = i * nx;
    const r = rd1[2 * i];
    let acc = bias.b0[i];
    for (let j = 0; j < nx; j++) {
      acc += W0f[row + j] * s[off + j];
      ax[j] += W0b[row + j] * r;
    }
    a1[i] = acc;
  }
  // a2 = W1 r1 + b1, and a1 += W1^T r2 in the same pass over W1.
  for (let k = 0; k < n2; k++) {
    const row = k * n1;
    const r = rd2[2 * k];
    let acc = bias.b1[k];
    for (let i = 0; i < n1; i++) {
      acc += W1f[row + i] * rd1[2 * i];
      a1[i] += W1b[row + i] * r;
    }
    a2[k] = acc;
  }
}

/**
 * grad F of one sample into g[goff..goff+N), from drives already in `sc`. Returns |grad F|^2.
 *   dF/dx  = x - ax + lambda (x - xt) + betaKappa (x - xtarget)
 *   dF/dh1 = h1 - rho'(h1) a1,   dF/dh2 = h2 - rho'(h2) a2
 */
export function gradFromDrives(
  d: Dims,
  s: Float64Array,
  off: number,
  ph: Phase,
  b: number,
  sc: Scratch,
  g: Float64Array,
  goff: number,
): number {
  const { nx, n1, n2 } = d;
  const { lambda, betaKappa, xt, xtarget } = ph;
  const xo = b * nx;
  let sq = 0;
  if (ph.clampX) g.fill(0, goff, goff + nx);
  else for (let j = 0; j < nx; j++) {
    const x = s[off + j];
    let v = x - sc.ax[j] + lambda * (x - xt[xo + j]);
    if (betaKappa !== 0) v += betaKappa * (x - (xtarget as Float64Array)[xo + j]);
    g[goff + j] = v;
    sq += v * v;
  }
  const o1 = off + nx;
  for (let i = 0; i < n1; i++) {
    const v = s[o1 + i] - sc.rd1[2 * i + 1] * sc.a1[i];
    g[goff + nx + i] = v;
    sq += v * v;
  }
  const o2 = o1 + n1;
  for (let k = 0; k < n2; k++) {
    const v = s[o2 + k] - sc.rd2[2 * k + 1] * sc.a2[k];
    g[goff + nx + n1 + k] = v;
    sq += v * v;
  }
  return sq;
}

/**
 * F(s) of one sample from drives already in `sc` (no extra matrix products):
 * r1.(W0 x + b0) + r2.(W1 r1 + b1) = r1.a1 + r2.b1, so E = 1/2|s|^2 - bx.x - r1.a1 - r2.b1.
 */
export function freeEnergyFromDrives(p: Params, d: Dims, s: Float64Array, off: number, ph: Phase, b: number, sc: Scratch): number {
  const { nx, n1, n2 } = d;
  const N = nx + n1 + n2;
  let e = 0;
  for (let n = 0; n < N; n++) e += 0.5 * s[off + n] * s[off + n];
  const xo = b * nx;
  for (let j = 0; j < nx; j++) {
    const x = s[off + j];
    e -= p.bx[j] * x;
    const dt = x - ph.xt[xo + j];
    e += 0.5 * ph.lambda * dt * dt;
    if (ph.betaKappa !== 0) {
      const dg = x - (ph.xtarget as Float64Array)[xo + j];
      e += 0.5 * ph.betaKappa * dg * dg;
    }
  }
  for (let i = 0; i < n1; i++) e -= sc.rd1[2 * i] * sc.a1[i];
  for (let k = 0; k < n2; k++) e -= sc.rd2[2 * k] * p.b1[k];
  return e;
}

/** E(s) of one sample (the paper's energy; the visible layer is linear). */
export function energyOf(p: Params, d: Dims, s: Float64Array, off: number, sc: Scratch): number {
  computeDrives(p, d, s, off, sc);
  const { nx, n1, n2 } = d;
  let e = 0;
  for (let j = 0; j < nx; j++) e += 0.5 * s[off + j] * s[off + j] - p.bx[j] * s[off + j];
  const o1 = off + nx;
  const o2 = o1 + n1;
  // rho(h1).(W0 x + b0) = rho(h1).(a1 - W1^T rho(h2)); recompute W0 x + b0 directly for clarity.
  for (let i = 0; i < n1; i++) {
    let wx = p.b0[i];
    for (let j = 0; j < nx; j++) wx += p.W0[i * nx + j] * s[off + j];
    e += 0.5 * s[o1 + i] * s[o1 + i] - sc.rd1[2 * i] * wx;
  }
  for (let k = 0; k < n2; k++) e += 0.5 * s[o2 + k] * s[o2 + k] - sc.rd2[2 * k] * sc.a2[k];
  return e;
}

/** F(s) of one sample = E + spring + nudge. */
export function freeEnergyOf(p: Params, d: Dims, s: Float64Array, off: number, ph: Phase, b: number, sc: Scratch): number {
  let f = energyOf(p, d, s, off, sc);
  const xo = b * d.nx;
  for (let j = 0; j < d.nx; j++) {
    const x = s[off + j];
    const dt = x - ph.xt[xo + j];
    f += 0.5 * ph.lambda * dt * dt;
    if (ph.betaKappa !== 0) {
      const dg = x - (ph.xtarget as Float64Array)[xo + j];
      f += 0.5 * ph.betaKappa * dg * dg;
    }
  }
  return f;
}

/**
 * Each hidden neuron's own activation element: rho_i(u) = gain_i rho(u - offset_i) (a realised
 * chip's mismatch). Absent, the ideal rho of every neuron.
 */
export interface NeuronActivation {
  gain: Float64Array;
  offset: Float64Array;
  /** The element's transfer curve: absent or null = scaled_tanh_silu. */
  shape?: TanhShape | null;
}

/** rho of both hidden layers of the sample at s[off..] into r1, r2 (tmp: 2 scratch floats). */
export function hiddenRho(d: Dims, s: Float64Array, off: number, act: NeuronActivation | null, r1: Float64Array, r2: Float64Array, tmp: Float64Array): void {
  const { nx, n1, n2 } = d;
  if (act) {
    // A neuron's measured activation uses its own gain and offset (rho is the exact form).
    const f = act.shape ?? null;
    for (let i = 0; i < n1; i++) r1[i] = act.gain[i] * actValue(f, s[off + nx + i] - act.offset[i]);
    for (let k = 0; k < n2; k++) r2[k] = act.gain[n1 + k] * actValue(f, s[off + nx + n1 + k] - act.offset[n1 + k]);
    return;
  }
  for (let i = 0; i < n1; i++) {
    rhoAndDeriv(s[off + nx + i], tmp, 0);
    r1[i] = tmp[0];
  }
  for (let k = 0; k < n2; k++) {
    rhoAndDeriv(s[off + nx + n1 + k], tmp, 0);
    r2[k] = tmp[0];
  }
}

/**
 * Accumulate dE/dtheta of a batch of states into `acc` with weight `w` (summed over samples):
 *   dE/dW0 = -rho(h1) x^T, dE/db0 = -rho(h1), dE/dW1 = -rho(h2) rho(h1)^T, dE/db1 = -rho(h2), dE/dbx = -x.
 * These are the local measurements of GradEP (each needs only the two ends of its synapse);
 * on a chip `act` gives each neuron's own activation element.
 */
export function accumulateEnergyParamGrad(
  d: Dims,
  s: Float64Array,
  from: number,
  to: number,
  w: number,
  acc: Params,
  r1: Float64Array,
  r2: Float64Array,
  act: NeuronActivation | null = null,
): void {
  const { nx, n1, n2 } = d;
  const N = nx + n1 + n2;
  const tmp = new Float64Array(2);
  // Arrays in locals: the inner loops are the in-situ step's main digital cost.
  const { W0, W1, b0, b1, bx } = acc;
  for (let b = from; b < to; b++) {
    const off = b * N;
    hiddenRho(d, s, off, act, r1, r2, tmp);
    for (let j = 0; j < nx; j++) bx[j] -= w * s[off + j];
    for (let i = 0; i < n1; i++) {
      const ri = w * r1[i];
      b0[i] -= ri;
      const row = i * nx;
      for (let j = 0; j < nx; j++) W0[row + j] -= ri * s[off + j];
    }
    for (let k = 0; k < n2; k++) {
      const rk = w * r2[k];
      b1[k] -= rk;
      const row = k * n1;
      for (let i = 0; i < n1; i++) W1[row + i] -= rk * r1[i];
    }
  }
}

/**
 * The energy_gd velocity read-out of one sample, shared by ideal, chip and continuous
 * generation: v = -alpha (g x - a_x), where a_x = bx + W0b^T rho(h1) is the current the
 * network drives into the held visible node and g = G_L,j / G_unit its leak (1 when ideal).
 * Equivalently v = -alpha dE/dx at the relaxed hidden state.
 */
export function energyGdVelocity(alpha: number, x: Float64Array, xo: number, ax: Float64Array, leak: Float64Array | null, out: Float64Array, oo: number): void {
  const nx = ax.length;
  if (leak) for (let j = 0; j < nx; j++) out[oo + j] = -alpha * (leak[j] * x[xo + j] - ax[j]);
  else for (let j = 0; j < nx; j++) out[oo + j] = -alpha * (x[xo + j] - ax[j]);
}
