/**
 * The exact gradient of the mean flow-matching loss L = mean_b 1/2 |v_b - u_b|^2 through the
 * free equilibrium, by implicit differentiation (the oracle GradEP is checked against).
 * At a stationary point grad_s F(s_star, theta) = 0, so d s_star / d beta = -H^{-1} grad_s C and
 *   dL/dtheta = d/dbeta [dE/dtheta(s_beta)] at beta = 0 = d_s(dE/dtheta) . (-H^{-1} grad_s C)
 * (Scellier & Bengio 2017, Theorem 1). H, the Hessian of F, is built densely per sample and
 * solved with mathjs lusolve: this is an oracle, not a hot loop.
 */
import { mathjs } from '../util/mathjs.js';
import { type Dims, type Params, stateSize, zeroParams } from '../circuit/params.js';
import { rhoAndDeriv, rhoSecond } from '../dynamics/activation.js';

/** Dense Hessian of the free-phase F (betaKappa = 0) of one sample at state s[off..]. Row-major N x N. */
export function freeHessian(p: Params, d: Dims, s: Float64Array, off: number, lambda: number): Float64Array {
  const { nx, n1, n2 } = d;
  const N = nx + n1 + n2;
  const H = new Float64Array(N * N);
  const t = new Float64Array(2);
  const r1 = new Float64Array(n1);
  const d1 = new Float64Array(n1);
  const r2 = new Float64Array(n2);
  const d2 = new Float64Array(n2);
  for (let i = 0; i < n1; i++) {
    rhoAndDeriv(s[off + nx + i], t, 0);
    r1[i] = t[0];
    d1[i] = t[1];
  }
  for (let k = 0; k < n2; k++) {
    rhoAndDeriv(s[off + nx + n1 + k], t, 0);
    r2[k] = t[0];
    d2[k] = t[1];
  }
  for (let j = 0; j < nx; j++) H[j * N + j] = 1 + lambda;
  for (let i = 0; i < n1; i++) {
    let a1 = p.b0[i];
    for (let j = 0; j < nx; j++) a1 += p.W0[i * nx + j] * s[off + j];
    for (let k = 0; k < n2; k++) a1 += p.W1[k * n1 + i] * r2[k];
    const r = nx + i;
    H[r * N + r] = 1 - rhoSecond(s[off + r]) * a1;
    for (let j = 0; j < nx; j++) {
      const v = -d1[i] * p.W0[i * nx + j];
      H[r * N + j] = v;
      H[j * N + r] = v;
    }
  }
  for (let k = 0; k < n2; k++) {
    let a2 = p.b1[k];
    for (let i = 0; i < n1; i++) a2 += p.W1[k * n1 + i] * r1[i];
    const r = nx + n1 + k;
    H[r * N + r] = 1 - rhoSecond(s[off + r]) * a2;
    for (let i = 0; i < n1; i++) {
      const v = -d1[i] * d2[k] * p.W1[k * n1 + i];
      H[r * N + nx + i] = v;
      H[(nx + i) * N + r] = v;
    }
  }
  return H;
}

/**
 * Exact dL/dtheta (batch mean) given the free equilibria sFree (B x N), x_t, u_t.
 * Also returns the smallest Hessian diagonal pivot sign check: callers should ensure s* is a minimum.
 */
export function exactFlowGradient(
  p: Params,
  d: Dims,
  sFree: Float64Array,
  xt: Float64Array,
  ut: Float64Array,
  alpha: number,
  lambda: number,
): Params {
  const { nx, n1, n2 } = d;
  const N = stateSize(d);
  const B = xt.length / nx;
  const g = zeroParams(d);
  const al = alpha * lambda;
  const t = new Float64Array(2);
  for (let b = 0; b < B; b++) {
    const off = b * N;
    const H = freeHessian(p, d, sFree, off, lambda);
    // grad_s C = kappa (x - x_target) = al * (al (x - xt) - u) on x, 0 on h.
    const rhs: number[][] = [];
    for (let n = 0; n < N; n++) {
      rhs.push([n < nx ? al * (al * (sFree[off + n] - xt[b * nx + n]) - ut[b * nx + n]) : 0]);
    }
    const Hm: number[][] = [];
    for (let r = 0; r < N; r++) Hm.push(Array.from(H.subarray(r * N, (r + 1) * N)));
    const z = mathjs().lusolve(Hm, rhs) as number[][];
    const ds = (n: number) => -z[n][0]; // d s_star / d beta
    const x = (j: number) => sFree[off + j];
    const r1 = new Float64Array(n1);
    const d1 = new Float64Array(n1);
    for (let i = 0; i < n1; i++) {
      rhoAndDeriv(sFree[off + nx + i], t, 0);
      r1[i] = t[0];
      d1[i] = t[1];
    }
    const w = 1 / B;
    for (let j = 0; j < nx; j++) g.bx[j] -= w * ds(j);
    for (let i = 0; i < n1; i++) {
      const dr1 = d1[i] * ds(nx + i);
      g.b0[i] -= w * dr1;
      for (let j = 0; j < nx; j++) g.W0[i * nx + j] -= w * (dr1 * x(j) + r1[i] * ds(j));
    }
    for (let k = 0; k < n2; k++) {
      rhoAndDeriv(sFree[off + nx + n1 + k], t, 0);
      const r2 = t[0];
      const dr2 = t[1] * ds(nx + n1 + k);
      g.b1[k] -= w * dr2;
      for (let i = 0; i < n1; i++) g.W1[k * n1 + i] -= w * (dr2 * r1[i] + r2 * d1[i] * ds(nx + i));
    }
  }
  return g;
}

/** Cosine similarity and relative error |a - b| / |b| between two parameter sets. */
export function compareGrads(a: Params, b: Params): { cosine: number; relError: number } {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  let dd = 0;
  for (const k of ['W0', 'b0', 'W1', 'b1', 'bx'] as const) {
    for (let i = 0; i < a[k].length; i++) {
      ab += a[k][i] * b[k][i];
      aa += a[k][i] * a[k][i];
      bb += b[k][i] * b[k][i];
      dd += (a[k][i] - b[k][i]) ** 2;
    }
  }
  return { cosine: ab / Math.sqrt(aa * bb), relError: Math.sqrt(dd / bb) };
}
