/**
 * Ideal relaxations of the network (float64, scalar TypeScript): the test oracle and the
 * portable path. Both share the force code of dynamics/network.ts.
 *
 * - `paper`: the reference discrete dynamics exactly (the paper's reference implementation):
 *   s <- s - eps * grad F(s), all units together, T steps. In continuous time this is the
 *   Euler discretisation of ds/dt = -grad F / tau with dt = eps * tau.
 * - `equilibrium`: Anderson acceleration (Walker & Ni 2011, type II, memory m) of the
 *   preconditioned gradient map g(s) = s - eta P grad F(s), P = diag(1/(1+lambda+beta*kappa)
 *   on x; on h 1/max(0.2, 1 - rho''(h) a), the inverse diagonal of the Hessian (`diag_hessian`),
 *   or 1). The x block with eta = 1 is the exact minimiser of F over x given h.
 *   Fixed points of g are exactly the stationary points of F. Samples are independent, so
 *   each sample converges on its own (and stops early).
 */
import { computeDrives, freeEnergyFromDrives, gradFromDrives, Scratch } from '../dynamics/network.js';
import { type EquilibriumOptions, HESSIAN_FLOOR, type PaperOptions } from '../circuit/analysis.js';
import { rhoSecond } from '../dynamics/activation.js';
import { type Dims, type Params, stateSize } from '../circuit/params.js';
import type { Phase } from '../circuit/phase.js';


/** Per-call statistics; all residuals are |grad F|_2 per sample. */
export interface RelaxStats {
  samples: number;
  /** Drive evaluations summed over samples (one = the four matrix products of one sample). */
  evaluations: number;
  iterationsMax: number;
  iterationsMean: number;
  residualMax: number;
  residualMean: number;
  /** Samples that ended above tolerance (equilibrium) — always 0 for paper. */
  unconverged: number;
  /** Samples that needed the fallback. */
  fallbacks: number;
}

export function emptyStats(): RelaxStats {
  return { samples: 0, evaluations: 0, iterationsMax: 0, iterationsMean: 0, residualMax: 0, residualMean: 0, unconverged: 0, fallbacks: 0 };
}

/** Merge per-range statistics (e.g. from workers). */
export function mergeStats(parts: RelaxStats[]): RelaxStats {
  const out = emptyStats();
  for (const p of parts) {
    if (p.samples === 0) continue;
    out.iterationsMean = (out.iterationsMean * out.samples + p.iterationsMean * p.samples) / (out.samples + p.samples);
    out.residualMean = (out.residualMean * out.samples + p.residualMean * p.samples) / (out.samples + p.samples);
    out.samples += p.samples;
    out.evaluations += p.evaluations;
    out.iterationsMax = Math.max(out.iterationsMax, p.iterationsMax);
    out.residualMax = Math.max(out.residualMax, p.residualMax);
    out.unconverged += p.unconverged;
    out.fallbacks += p.fallbacks;
  }
  return out;
}

/** Residual |grad F|_2 of each sample in [from, to). */
export function residuals(p: Params, d: Dims, s: Float64Array, ph: Phase, from: number, to: number): Float64Array {
  const N = stateSize(d);
  const sc = new Scratch(d);
  const g = new Float64Array(N);
  const out = new Float64Array(to - from);
  for (let b = from; b < to; b++) {
    computeDrives(p, d, s, b * N, sc);
    out[b - from] = Math.sqrt(gradFromDrives(d, s, b * N, ph, b, sc, g, 0));
  }
  return out;
}

/** Paper-exact relaxation of samples [from, to), in place. */
export function relaxPaper(p: Params, d: Dims, s: Float64Array, ph: Phase, opt: PaperOptions, from: number, to: number): RelaxStats {
  const N = stateSize(d);
  const sc = new Scratch(d);
  const g = new Float64Array(N);
  const eps = opt.eps;
  let resSum = 0;
  let resMax = 0;
  for (let b = from; b < to; b++) {
    const off = b * N;
    for (let t = 0; t < opt.T; t++) {
      computeDrives(p, d, s, off, sc);
      gradFromDrives(d, s, off, ph, b, sc, g, 0);
      for (let n = 0; n < N; n++) s[off + n] -= eps * g[n];
    }
    computeDrives(p, d, s, off, sc);
    const r = Math.sqrt(gradFromDrives(d, s, off, ph, b, sc, g, 0));
    resSum += r;
    if (!(r <= resMax)) resMax = r;
  }
  const n = to - from;
  return {
    samples: n,
    evaluations: n * (opt.T + 1),
    iterationsMax: opt.T,
    iterationsMean: opt.T,
    residualMax: resMax,
    residualMean: n > 0 ? resSum / n : 0,
    unconverged: 0,
    fallbacks: 0,
  };
}

/** Workspace of the Anderson solver for one sample at a time. */
class AndersonWork {
  readonly g: Float64Array; // grad F
  readonly gm: Float64Array; // map value g(s)
  readonly f: Float64Array; // g(s) - s
  readonly fPrev: Float64Array;
  readonly gmPrev: Float64Array;
  readonly dF: Float64Array; // m x N
  readonly dG: Float64Array; // m x N
  readonly gram: Float64Array; // m x m
  readonly A: Float64Array; // m x m solve copy
  readonly rhs: Float64Array;
  readonly best: Float64Array;
  readonly sPrev: Float64Array;
  readonly sc: Scratch;
  constructor(readonly N: number, readonly m: number, d: Dims) {
    this.g = new Float64Array(N);
    this.gm = new Float64Array(N);
    this.f = new Float64Array(N);
    this.fPrev = new Float64Array(N);
    this.gmPrev = new Float64Array(N);
    this.dF = new Float64Array(m * N);
    this.dG = new Float64Array(m * N);
    this.gram = new Float64Array(m * m);
    this.A = new Float64Array(m * m);
    this.rhs = new Float64Array(m);
    this.best = new Float64Array(N);
    this.sPrev = new Float64Array(N);
    this.sc = new Scratch(d);
  }
}

/** Solve the k x k system A y = r (A symmetric positive semi-definite, regularised) in place; y into r. */
function solveSmall(A: Float64Array, r: Float64Array, k: number, m: number): boolean {
  // Tikhonov regularisation relative to the diagonal keeps near-collinear histories stable.
  let tr = 0;
  for (let i = 0; i < k; i++) tr += A[i * m + i];
  const reg = 1e-10 * (tr / k) + 1e-300;
  for (let i = 0; i < k; i++) A[i * m + i] += reg;
  // Gaussian elimination with partial pivoting.
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let i = c + 1; i < k; i++) if (Math.abs(A[i * m + c]) > Math.abs(A[piv * m + c])) piv = i;
    if (A[piv * m + c] === 0) return false;
    if (piv !== c) {
      for (let j = 0; j < k; j++) {
        const t = A[c * m + j];
        A[c * m + j] = A[piv * m + j];
        A[piv * m + j] = t;
      }
      const t = r[c];
      r[c] = r[piv];
      r[piv] = t;
    }
    const inv = 1 / A[c * m + c];
    for (let i = c + 1; i < k; i++) {
      const fct = A[i * m + c] * inv;
      if (fct === 0) continue;
      for (let j = c; j < k; j++) A[i * m + j] -= fct * A[c * m + j];
      r[i] -= fct * r[c];
    }
  }
  for (let c = k - 1; c >= 0; c--) {
    let v = r[c];
    for (let j = c + 1; j < k; j++) v -= A[c * m + j] * r[j];
    r[c] = v / A[c * m + c];
  }
  for (let i = 0; i < k; i++) if (!Number.isFinite(r[i])) return false;
  return true;
}

/**
 * Converge samples [from, to) to a stationary point of F, in place, starting from the
 * state given. Safeguards: a non-finite or exploding residual restarts Anderson from the
 * best iterate with a halved step; after maxIter the best iterate continues with plain
 * preconditioned gradient steps (the paper dynamics, always stable for eps(1+lambda) < 2).
 */
export function relaxEquilibrium(
  p: Params,
  d: Dims,
  s: Float64Array,
  ph: Phase,
  opt: EquilibriumOptions,
  from: number,
  to: number,
): RelaxStats {
  const N = stateSize(d);
  const m = Math.max(0, opt.memory | 0);
  const w = new AndersonWork(N, Math.max(1, m), d);
  const stats = emptyStats();
  let itSum = 0;
  let resSum = 0;
  for (let b = from; b < to; b++) {
    const r = anderson(p, d, s, b, ph, opt, m, w);
    stats.evaluations += r.evals;
    itSum += r.iters;
    resSum += r.res;
    if (r.iters > stats.iterationsMax) stats.iterationsMax = r.iters;
    if (!(r.res <= stats.residualMax)) stats.residualMax = r.res;
    if (!(r.res <= opt.tol)) stats.unconverged++;
    if (r.fallback) stats.fallbacks++;
  }
  const n = to - from;
  stats.samples = n;
  stats.iterationsMean = n > 0 ? itSum / n : 0;
  stats.residualMean = n > 0 ? resSum / n : 0;
  return stats;
}

/** Anderson-accelerated preconditioned gradient descent of sample b, with the energy safeguard and the fallback. */
function anderson(
  p: Params,
  d: Dims,
  s: Float64Array,
  b: number,
  ph: Phase,
  opt: EquilibriumOptions,
  m: number,
  w: AndersonWork,
): { iters: number; evals: number; res: number; fallback: boolean } {
  const { N, g, gm, f, fPrev, gmPrev, best, sPrev, sc } = w;
  const off = b * N;
  const px = 1 / (1 + ph.lambda + ph.betaKappa);
  let count = 0; // history columns in use
  let slot = 0; // next ring-buffer slot
  let havePrev = false; // an accepted previous iterate exists (sPrev, Fprev, fPrev)
  let Fprev = Infinity;
  let scale = 1; // backtracking factor of the plain step after a rejected move
  let bestRes = Infinity;
  let evals = 0;
  let it = 0;
  for (; it <= opt.maxIter; it++) {
    computeDrives(p, d, s, off, sc);
    evals++;
    const res = Math.sqrt(gradFromDrives(d, s, off, ph, b, sc, g, 0));
    const F = freeEnergyFromDrives(p, d, s, off, ph, b, sc);
    // Energy safeguard: the gradient flow never climbs F, so a move that does (beyond
    // round-off) may be jumping to another basin. Reject it and take a backtracked plain
    // step from the last accepted point instead; this keeps the solve on the flow's fixed point.
    if (havePrev && !(F <= Fprev + 1e-9 * (1 + Math.abs(Fprev)))) {
      scale *= 0.5;
      count = 0;
      slot = 0;
      if (scale < 1e-6) break; // no descent possible from sPrev: leave it to the fallback
      for (let n = 0; n < N; n++) s[off + n] = sPrev[n] + scale * fPrev[n];
      continue;
    }
    if (res < bestRes) {
      bestRes = res;
      for (let n = 0; n < N; n++) best[n] = s[off + n];
    }
    if (res <= opt.tol) return { iters: it, evals, res, fallback: false };
    if (it === opt.maxIter) break;
    plainStep(w, s, off, opt.eta, px, d, opt.precondition === 'diag_hessian');
    // Anderson history uses consecutive accepted iterates only (a backtrack reset it).
    if (havePrev && m > 0 && scale === 1) {
      if (count < m) count++;
      addHistoryColumn(w, m, slot, count);
      slot = (slot + 1) % m;
    }
    for (let n = 0; n < N; n++) sPrev[n] = s[off + n];
    fPrev.set(f);
    gmPrev.set(gm);
    Fprev = F;
    havePrev = true;
    scale = 1;
    const ok = count > 0 && andersonMix(w, m, count, s, off);
    if (!ok) {
      for (let n = 0; n < N; n++) s[off + n] = gm[n];
      count = 0;
      slot = 0;
    }
  }
  return fallbackDescent(p, d, s, b, ph, opt, w, px, it, evals, bestRes);
}

/**
 * The preconditioned gradient step f = -eta P g and the map value gm = s + f, from the drives
 * of s in w.sc. With `diag`, a hidden unit's P is 1/max(HESSIAN_FLOOR, d^2F/dh^2), where
 * d^2F/dh^2 = 1 - rho''(h) a (a, the unit's drive, does not depend on h).
 */
function plainStep(w: AndersonWork, s: Float64Array, off: number, eta: number, px: number, d: Dims, diag: boolean): void {
  const { N, g, f, gm, sc } = w;
  const nx = d.nx;
  const n1 = nx + d.n1;
  for (let n = 0; n < N; n++) {
    let p = n < nx ? px : 1;
    if (diag && n >= nx) {
      const a = n < n1 ? sc.a1[n - nx] : sc.a2[n - n1];
      p = 1 / Math.max(HESSIAN_FLOOR, 1 - rhoSecond(s[off + n]) * a);
    }
    const step = -eta * p * g[n];
    f[n] = step;
    gm[n] = s[off + n] + step;
  }
}

/** Store the differences to the previous iterate in history column `slot`; refresh its row/column of the Gram matrix. */
function addHistoryColumn(w: AndersonWork, m: number, slot: number, count: number): void {
  const { N, f, gm, fPrev, gmPrev, dF, dG, gram } = w;
  const col = slot * N;
  for (let n = 0; n < N; n++) {
    dF[col + n] = f[n] - fPrev[n];
    dG[col + n] = gm[n] - gmPrev[n];
  }
  // Refresh row/column `slot` of the Gram matrix dF^T dF.
  for (let c = 0; c < count; c++) {
    let acc = 0;
    const cc = c * N;
    for (let n = 0; n < N; n++) acc += dF[col + n] * dF[cc + n];
    gram[slot * m + c] = acc;
    gram[c * m + slot] = acc;
  }
}

/** Anderson mixing over `count` history columns into s; false (s untouched) if the least-squares solve fails. */
function andersonMix(w: AndersonWork, m: number, count: number, s: Float64Array, off: number): boolean {
  const { N, f, gm, dF, dG, gram, A, rhs } = w;
  for (let c = 0; c < count; c++) {
    let acc = 0;
    const cc = c * N;
    for (let n = 0; n < N; n++) acc += dF[cc + n] * f[n];
    rhs[c] = acc;
    for (let c2 = 0; c2 < count; c2++) A[c * m + c2] = gram[c * m + c2];
  }
  const ok = solveSmall(A, rhs, count, m);
  if (ok) {
    for (let n = 0; n < N; n++) {
      let v = gm[n];
      for (let c = 0; c < count; c++) v -= rhs[c] * dG[c * N + n];
      s[off + n] = v;
    }
  }
  return ok;
}

/** Fallback: plain preconditioned gradient steps (the paper dynamics) from the best iterate. */
function fallbackDescent(
  p: Params,
  d: Dims,
  s: Float64Array,
  b: number,
  ph: Phase,
  opt: EquilibriumOptions,
  w: AndersonWork,
  px: number,
  it: number,
  evals: number,
  bestRes: number,
): { iters: number; evals: number; res: number; fallback: boolean } {
  const { N, g, best, sc } = w;
  const off = b * N;
  const nx = d.nx;
  for (let n = 0; n < N; n++) s[off + n] = best[n];
  let res = bestRes;
  const e = opt.fallbackEps;
  for (let k = 0; k < opt.fallbackIter; k++) {
    computeDrives(p, d, s, off, sc);
    evals++;
    res = Math.sqrt(gradFromDrives(d, s, off, ph, b, sc, g, 0));
    if (res <= opt.tol) break;
    for (let n = 0; n < N; n++) s[off + n] -= e * (n < nx ? px * (1 + ph.lambda) : 1) * g[n];
  }
  return { iters: it + opt.fallbackIter, evals, res, fallback: true };
}
