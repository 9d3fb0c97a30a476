/**
 * Sample-quality metrics for sets of generated 8x8 digits (n x 64, values nominally in [-1, 1]),
 * measured against the generative model's training data optdigits.tes (1797 images).
 *
 * Feature space: the hidden tanh layer of the committed evaluator MLP (./classifier.ts), trained
 * on optdigits.tra only. Metrics:
 *  - fd: Frechet distance between Gaussian fits of features (Heusel et al. 2017, "GANs trained by
 *    a two time-scale update rule converge to a local Nash equilibrium", the FID formula with our
 *    own feature extractor in place of Inception-v3).
 *  - precision / recall: k-NN manifold estimates (Kynkaanniemi et al. 2019, "Improved precision and
 *    recall metric for assessing generative models"), k = 5. Precision: fraction of samples inside
 *    the real manifold (union of balls reaching each real point's k-th neighbour); recall: fraction
 *    of real points inside the sample manifold. They separate "bad digits" from "too few kinds".
 *    Known limit: widely scattered samples have huge k-NN balls, so recall of pure noise is far
 *    from 0 (0.66 here vs 0.91 for real digits; Naeem et al. 2020): read recall with precision.
 *  - recognisability, coverage, class_balance: from the evaluator's softmax (confidence >= 0.9).
 *  - copy_rate: memorisation check in pixel space. In 64-d pixel space even new real digits by
 *    other writers often fall inside some training digit's nearest-neighbour ball (0.45 for the
 *    real reference row), so judge a generator's copy rate against that row, not against 0.
 *  - sharpness_w1: 1-D Wasserstein-1 distance between pixel-value histograms; blurry or noisy
 *    samples put mass at intermediate grey levels where real digits are mostly -1 or near +1.
 */
import { loadDigits } from '../data/optdigits.js';
import { Rng } from '../util/rng.js';
import { classify, EvaluatorWeights, features, loadEvaluator } from './classifier.js';

// Local copies (not imports) so inner loops need no module-object property loads under vitest.
const N_PIXELS = 64;
const N_CLASSES = 10;

export interface QualityMetrics {
  /** Number of samples evaluated. */
  n: number;
  /** Frechet distance of evaluator features, samples vs reference (>= 0; lower is better). */
  fd: number;
  /** Classes (0..10) receiving >= 5% of samples with confidence >= 0.9 (higher is better). */
  coverage: number;
  /** Fraction of samples classified with confidence >= 0.9 (higher is better). */
  recognisability: number;
  /** Entropy of the predicted-label histogram / ln 10 (1 = uniform over classes). */
  class_balance: number;
  /** k-NN manifold precision in feature space (higher is better). */
  precision: number;
  /** k-NN manifold recall in feature space (higher is better). */
  recall: number;
  /** Fraction of samples closer to a reference image than its own nearest reference neighbour (lower is better). */
  copy_rate: number;
  /** W1 distance between pixel-value distributions, samples vs reference (lower is better). */
  sharpness_w1: number;
  /**
   * FD extrapolated to infinitely many samples (FD_inf of Chong & Forsyth 2020): comparable across
   * sample counts, unlike fd; null below FD_INF_MIN_N samples. Absent in results written before it existed.
   */
  fd_inf?: number | null;
  /** Share of samples the evaluator assigns to each class 0..9 (argmax, all samples; data: 0.1 each). Absent in older results. */
  class_freq?: number[];
}

/** The metrics that are always one number (what figures and tables plot per point). */
export type ScalarQualityKey = Exclude<keyof QualityMetrics, 'fd_inf' | 'class_freq'>;

export interface QualityOptions {
  /** Evaluator weights (default: the committed data/evaluator/evaluator.json). */
  weights?: EvaluatorWeights;
  /** Reference set (default: optdigits.tes, the generative model's training data). */
  reference?: { images: Float64Array; n: number };
  /** Neighbourhood size of precision/recall (default 5, as in Kynkaanniemi et al. 2019). */
  k?: number;
  /** Confidence threshold for recognisability and coverage (default 0.9). */
  confidence?: number;
  /** Share of all samples a class needs (confidently) to count as covered (default 0.05). */
  coverageFraction?: number;
}

// ---------------------------------------------------------------- linear algebra

/** Mean (d) and unbiased covariance (d x d, row-major) of n row vectors of length d. */
export function meanCov(x: Float64Array, n: number, d: number): { mu: Float64Array; cov: Float64Array } {
  if (n < 2) throw new Error(`meanCov: need at least 2 vectors, got ${n}`);
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) mu[a] += x[i * d + a];
  for (let a = 0; a < d; a++) mu[a] /= n;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) c[a] = x[i * d + a] - mu[a];
    for (let a = 0; a < d; a++) {
      const ca = c[a];
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b] += ca * c[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b] / (n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { mu, cov };
}

/**
 * Eigen-decomposition of a symmetric d x d matrix by the cyclic Jacobi method (Golub & Van Loan,
 * Matrix Computations, 8.5): slow for large d but unconditionally stable and accurate to
 * rounding for the 64 x 64 covariances here, and deterministic. Returns eigenvalues and the
 * eigenvectors as columns of `vectors` (row-major d x d: vectors[i*d + k] = component i of vector k).
 */
export function symEig(A: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(A.subarray(0, d * d));
  const V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  let norm2 = 0;
  for (let i = 0; i < d * d; i++) norm2 += a[i] * a[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    if (off <= 1e-30 * norm2 || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        // Rotation angle that zeroes a[p][q] (Numerical Recipes, 11.1).
        const theta = (a[q * d + q] - a[p * d + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p];
          const vkq = V[k * d + q];
          V[k * d + p] = c * vkp - s * vkq;
          V[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: V };
}

/** Square root of a symmetric positive semi-definite matrix; tiny negative eigenvalues (rounding) clamp to 0. */
export function sqrtPsd(A: Float64Array, d: number): Float64Array {
  const { values, vectors: V } = symEig(A, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(values[k], 0));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vis = V[i * d + k] * s;
      for (let j = 0; j < d; j++) out[i * d + j] += vis * V[j * d + k];
    }
  }
  return out;
}

function matMul(A: Float64Array, B: Float64Array, d: number): Float64Array {
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = A[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) C[i * d + j] += aik * B[k * d + j];
    }
  }
  return C;
}

/**
 * Frechet (2-Wasserstein) distance between N(mu1, C1) and N(mu2, C2) (Dowson & Landau 1982;
 * used as FID by Heusel et al. 2017): |mu1 - mu2|^2 + Tr(C1 + C2 - 2 (C1 C2)^{1/2}).
 *
 * C1 C2 is not symmetric, so instead of a general sqrtm we use that it is similar to the
 * symmetric PSD matrix M = C1^{1/2} C2 C1^{1/2}; hence Tr (C1 C2)^{1/2} = sum_i sqrt(lambda_i(M)),
 * with symmetric eigen-decompositions only. Rounding can make the result a hair below 0: clamp.
 */
export function frechetDistance(mu1: Float64Array, C1: Float64Array, mu2: Float64Array, C2: Float64Array, d: number): number {
  let dm = 0;
  for (let a = 0; a < d; a++) dm += (mu1[a] - mu2[a]) ** 2;
  const S1 = sqrtPsd(C1, d);
  const M = matMul(matMul(S1, C2, d), S1, d);
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const v = 0.5 * (M[i * d + j] + M[j * d + i]);
      M[i * d + j] = v;
      M[j * d + i] = v;
    }
  }
  const { values } = symEig(M, d);
  let trSqrt = 0;
  for (let i = 0; i < d; i++) trSqrt += Math.sqrt(Math.max(values[i], 0));
  let tr = 0;
  for (let i = 0; i < d; i++) tr += C1[i * d + i] + C2[i * d + i];
  return Math.max(0, dm + tr - 2 * trSqrt);
}

// ---------------------------------------------------------------- nearest neighbours

function sqDist(x: Float64Array, i: number, y: Float64Array, j: number, d: number): number {
  let s = 0;
  const a = i * d;
  const b = j * d;
  for (let k = 0; k < d; k++) {
    const t = x[a + k] - y[b + k];
    s += t * t;
  }
  return s;
}

/**
 * Squared distance from each of n points to its k-th nearest OTHER point of the same set
 * (k is capped at n - 1; a single point gets radius 0).
 */
export function kthNeighbourSqDist(x: Float64Array, n: number, d: number, k: number): Float64Array {
  const kk = Math.min(k, n - 1);
  const out = new Float64Array(n);
  if (kk < 1) return out;
  // best[i*kk ..] holds the kk smallest squared distances of point i, ascending.
  const best = new Float64Array(n * kk).fill(Infinity);
  const insert = (i: number, v: number) => {
    const o = i * kk;
    if (v >= best[o + kk - 1]) return;
    let j = kk - 1;
    while (j > 0 && best[o + j - 1] > v) {
      best[o + j] = best[o + j - 1];
      j--;
    }
    best[o + j] = v;
  };
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = sqDist(x, i, x, j, d);
      insert(i, v);
      insert(j, v);
    }
  }
  for (let i = 0; i < n; i++) out[i] = best[i * kk + kk - 1];
  return out;
}

/**
 * Improved precision and recall (Kynkaanniemi et al. 2019): each set's manifold is the union of
 * balls centred on its points with radius = distance to the k-th nearest neighbour in the set.
 * precision = share of generated points inside the real manifold; recall = share of real points
 * inside the generated manifold. Boundaries count as inside (so identical sets give 1 and 1).
 */
export function precisionRecall(
  real: Float64Array, nReal: number, gen: Float64Array, nGen: number, d: number, k = 5,
  realRadii2: Float64Array = kthNeighbourSqDist(real, nReal, d, k),
): { precision: number; recall: number } {
  const genRadii2 = kthNeighbourSqDist(gen, nGen, d, k);
  const inReal = new Uint8Array(nGen);
  const inGen = new Uint8Array(nReal);
  for (let g = 0; g < nGen; g++) {
    for (let r = 0; r < nReal; r++) {
      if (inReal[g] && inGen[r]) continue;
      const v = sqDist(gen, g, real, r, d);
      if (v <= realRadii2[r]) inReal[g] = 1;
      if (v <= genRadii2[g]) inGen[r] = 1;
    }
  }
  let p = 0;
  let q = 0;
  for (let g = 0; g < nGen; g++) p += inReal[g];
  for (let r = 0; r < nReal; r++) q += inGen[r];
  return { precision: p / nGen, recall: q / nReal };
}

/** Squared distance from each training image to its nearest other training image. */
export function nearestOtherSqDist(train: Float64Array, n: number, d = N_PIXELS): Float64Array {
  return kthNeighbourSqDist(train, n, d, 1);
}

/**
 * Copy rate (memorisation): share of samples lying closer (Euclidean, pixel space) to some
 * training image t than t's own nearest neighbour in the training set is. A sample inside that
 * radius is nearer to t than any other real digit is, i.e. a near-copy rather than a new digit.
 * An exact copy always counts, even of a training image that has a duplicate.
 */
export function copyRate(samples: Float64Array, n: number, train: Float64Array, nTrain: number, trainNn2: Float64Array = nearestOtherSqDist(train, nTrain)): number {
  let copies = 0;
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < nTrain; t++) {
      const v = sqDist(samples, i, train, t, N_PIXELS);
      if (v < trainNn2[t] || v === 0) {
        copies++;
        break;
      }
    }
  }
  return copies / n;
}

// ---------------------------------------------------------------- distributions

/** Sorted copy of the values (ascending). */
export function sortedValues(x: Float64Array): Float64Array {
  return Float64Array.from(x).sort();
}

/**
 * Exact Wasserstein-1 distance between two 1-D empirical distributions given their SORTED values:
 * W1 = integral |F_a(x) - F_b(x)| dx over the merged breakpoints (Villani 2009; for 1-D the
 * optimal transport is the monotone one, so the CDF difference is all there is).
 */
export function wasserstein1Sorted(a: Float64Array, b: Float64Array): number {
  const na = a.length;
  const nb = b.length;
  if (na === 0 || nb === 0) throw new Error('wasserstein1: empty distribution');
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0], b[0]);
  let w = 0;
  while (i < na || j < nb) {
    const x = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];
    w += Math.abs(i / na - j / nb) * (x - prev);
    while (i < na && a[i] === x) i++;
    while (j < nb && b[j] === x) j++;
    prev = x;
  }
  return w;
}

/** Exact 1-D Wasserstein-1 distance between the empirical distributions of two value sets. */
export function wasserstein1(a: Float64Array, b: Float64Array): number {
  return wasserstein1Sorted(sortedValues(a), sortedValues(b));
}

/** Shannon entropy of the label histogram divided by ln(classes): 1 = uniform, 0 = one class. */
export function normalisedEntropy(labels: Int32Array, n = labels.length, classes = N_CLASSES): number {
  if (n === 0) return 0;
  const counts = new Float64Array(classes);
  for (let i = 0; i < n; i++) counts[labels[i]]++;
  let h = 0;
  for (let c = 0; c < classes; c++) {
    if (counts[c] === 0) continue;
    const p = counts[c] / n;
    h -= p * Math.log(p);
  }
  return h / Math.log(classes);
}

// ---------------------------------------------------------------- evaluation

interface ReferenceStats {
  n: number;
  images: Float64Array;
  feats: Float64Array;
  mu: Float64Array;
  cov: Float64Array;
  radii2: Float64Array;
  nn2: Float64Array;
  pixelsSorted: Float64Array;
}

// Reference statistics depend on (weights, reference images, k): computed once, reused.
const refCache = new WeakMap<EvaluatorWeights, WeakMap<Float64Array, Map<number, ReferenceStats>>>();

function referenceStats(w: EvaluatorWeights, images: Float64Array, n: number, k: number): ReferenceStats {
  let byImages = refCache.get(w);
  if (!byImages) refCache.set(w, (byImages = new WeakMap()));
  let byK = byImages.get(images);
  if (!byK) byImages.set(images, (byK = new Map()));
  const key = k * 1e7 + n;
  let st = byK.get(key);
  if (!st) {
    const H = w.hidden;
    const feats = features(w, images, n);
    const { mu, cov } = meanCov(feats, n, H);
    st = {
      n,
      images,
      feats,
      mu,
      cov,
      radii2: kthNeighbourSqDist(feats, n, H, k),
      nn2: nearestOtherSqDist(images, n),
      pixelsSorted: sortedValues(images.subarray(0, n * N_PIXELS)),
    };
    byK.set(key, st);
  }
  return st;
}

function checkSamples(samples: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 2) throw new Error(`evaluateSamples: need at least 2 samples, got n = ${n}`);
  if (samples.length < n * N_PIXELS) throw new Error(`evaluateSamples: need ${n * N_PIXELS} values for ${n} samples, got ${samples.length}`);
  for (let i = 0; i < n * N_PIXELS; i++) {
    if (!Number.isFinite(samples[i])) {
      throw new Error(`evaluateSamples: sample ${Math.floor(i / N_PIXELS)} pixel ${i % N_PIXELS} is ${samples[i]} (not finite)`);
    }
  }
}

/**
 * All quality metrics of n samples (n x 64) against the reference set (default optdigits.tes).
 * Samples are used as given (not clipped): out-of-range pixels cost in sharpness_w1 and fd.
 * Cost: O(n * n_ref * 64) for the neighbour searches, about a second for n ~ 2000.
 */
export function evaluateSamples(samples: Float64Array, n: number, opts: QualityOptions = {}): QualityMetrics {
  checkSamples(samples, n);
  const w = opts.weights ?? loadEvaluator();
  const k = opts.k ?? 5;
  const thr = opts.confidence ?? 0.9;
  const covFrac = opts.coverageFraction ?? 0.05;
  const ref = opts.reference ?? loadDigits('tes');
  const rs = referenceStats(w, ref.images, ref.n, k);
  const H = w.hidden;
  const x = samples.subarray(0, n * N_PIXELS);

  const feats = features(w, x, n);
  const { mu, cov } = meanCov(feats, n, H);
  const fd = frechetDistance(mu, cov, rs.mu, rs.cov, H);

  const cls = classify(w, x, n);
  const confident = new Float64Array(N_CLASSES);
  let nConf = 0;
  for (let i = 0; i < n; i++) {
    if (cls.conf[i] >= thr) {
      nConf++;
      confident[cls.labels[i]]++;
    }
  }
  let coverage = 0;
  for (let c = 0; c < N_CLASSES; c++) if (confident[c] >= covFrac * n) coverage++;

  const { precision, recall } = precisionRecall(rs.feats, rs.n, feats, n, H, k, rs.radii2);
  const freq = new Array<number>(N_CLASSES).fill(0);
  for (let i = 0; i < n; i++) freq[cls.labels[i]] += 1 / n;
  return {
    n,
    fd,
    coverage,
    recognisability: nConf / n,
    class_balance: normalisedEntropy(cls.labels, n),
    precision,
    recall,
    copy_rate: copyRate(x, n, rs.images, rs.n, rs.nn2),
    sharpness_w1: wasserstein1Sorted(sortedValues(x), rs.pixelsSorted),
    fd_inf: n >= FD_INF_MIN_N ? fdExtrapolated(feats, n, H, rs.mu, rs.cov).fd_inf : null,
    class_freq: freq.map((f) => Number(f.toFixed(6))),
  };
}

/**
 * Fewest samples for which evaluateSamples reports fd_inf. The 1/n law needs subsets well above the
 * 64 feature dimensions; measured on held-out real digits (true FD_inf ~ 0.43 from 3823 digits):
 * FD_inf has sd 0.15 at n = 500 and 0.06 at n = 1000, but sd 0.45 and a downward bias at n = 200.
 */
export const FD_INF_MIN_N = 500;

/**
 * FD_inf (Chong & Forsyth 2020, "Effectively unbiased FID and Inception Score and where to find
 * them", CVPR): FD's bias is ~ c / n, so FD measured on `points` random subsets with sizes evenly
 * spaced in 1/n from n/5 to n is fitted by least squares as FD(n) = fd_inf + slope / n and the
 * intercept taken. Subsets come from Rng(seed, 'fd_inf'). Returns the fit and its points.
 */
export function fdExtrapolated(
  feats: Float64Array, n: number, H: number, refMu: Float64Array, refCov: Float64Array, points = 15, seed = 0,
): { fd_inf: number; slope: number; ns: number[]; fds: number[] } {
  const nMin = Math.max(20, Math.floor(n / 5));
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rng = new Rng(seed, 'fd_inf');
  const ns: number[] = [];
  const fds: number[] = [];
  for (let p = 0; p < points; p++) {
    const inv = 1 / nMin + ((1 / n - 1 / nMin) * p) / (points - 1);
    const m = Math.min(n, Math.round(1 / inv));
    rng.shuffle(order);
    const sub = new Float64Array(m * H);
    for (let i = 0; i < m; i++) sub.set(feats.subarray(order[i] * H, (order[i] + 1) * H), i * H);
    const { mu, cov } = meanCov(sub, m, H);
    ns.push(m);
    fds.push(frechetDistance(mu, cov, refMu, refCov, H));
  }
  // Least-squares line in x = 1/n.
  const xs = ns.map((m) => 1 / m);
  const mx = xs.reduce((a, b) => a + b, 0) / points;
  const my = fds.reduce((a, b) => a + b, 0) / points;
  let sxy = 0;
  let sxx = 0;
  for (let p = 0; p < points; p++) {
    sxy += (xs[p] - mx) * (fds[p] - my);
    sxx += (xs[p] - mx) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { fd_inf: my - slope * mx, slope, ns, fds };
}

/** FD only (features, Gaussian fit, Frechet distance): cheap enough to repeat over seeds. */
export function frechetToReference(samples: Float64Array, n: number, opts: QualityOptions = {}): number {
  checkSamples(samples, n);
  const w = opts.weights ?? loadEvaluator();
  const ref = opts.reference ?? loadDigits('tes');
  const rs = referenceStats(w, ref.images, ref.n, opts.k ?? 5);
  const { mu, cov } = meanCov(features(w, samples, n), n, w.hidden);
  return frechetDistance(mu, cov, rs.mu, rs.cov, w.hidden);
}

/**
 * FD across sample seeds: makeSamples(seed) returns n samples; mean and sample std of FD over
 * seeds 0..seeds-1. FD is biased upward for finite n (Chong & Forsyth 2020), so compare FDs only
 * at equal n, and against the real-vs-real row of `referenceRows` at the same n.
 */
export function fdSpread(makeSamples: (seed: number) => Float64Array, n: number, seeds = 5, opts: QualityOptions = {}): { mean: number; std: number; values: number[] } {
  const values: number[] = [];
  for (let s = 0; s < seeds; s++) values.push(frechetToReference(makeSamples(s), n, opts));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std, values };
}

/**
 * Blur 8x8 images with the 3x3 binomial kernel [1 2 1]^T [1 2 1] / 16 (a small Gaussian);
 * at the border the kernel is renormalised over the pixels inside the image.
 */
export function blurImages(images: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * N_PIXELS);
  const k1 = [1, 2, 1];
  for (let i = 0; i < n; i++) {
    const o = i * N_PIXELS;
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 8; c++) {
        let s = 0;
        let wsum = 0;
        for (let dr = -1; dr <= 1; dr++) {
          const rr = r + dr;
          if (rr < 0 || rr > 7) continue;
          for (let dc = -1; dc <= 1; dc++) {
            const cc = c + dc;
            if (cc < 0 || cc > 7) continue;
            const wt = k1[dr + 1] * k1[dc + 1];
            s += wt * images[o + rr * 8 + cc];
            wsum += wt;
          }
        }
        out[o + r * 8 + c] = s / wsum;
      }
    }
  }
  return out;
}

/**
 * Reference rows that give the metrics a scale:
 *  - real: n images (default 1797) of optdigits.tra chosen by Rng(seed, 'reference', 'subset') - real digits
 *    by other writers, never seen by the generative model (the best a generator could hope for;
 *    note the evaluator itself was trained on tra, so recognisability here is slightly optimistic);
 *  - blurred: the same images through `blurImages` (what an over-smoothed generator gives);
 *  - noise: N(0, 1) pixels clipped to [-1, 1] from Rng(seed, 'reference', 'noise') (no digit at all).
 */
/** n held-out real digits (optdigits.tra, a seeded random subset): the "real" reference at a sample count. */
export function realSubset(n: number, seed = 0): Float64Array {
  const tra = loadDigits('tra');
  if (!(n >= 1 && n <= tra.n)) throw new Error(`realSubset: n = ${n}, allowed 1..${tra.n}`);
  const order = new Int32Array(tra.n);
  for (let i = 0; i < tra.n; i++) order[i] = i;
  new Rng(seed, 'reference', 'subset').shuffle(order);
  const real = new Float64Array(n * N_PIXELS);
  for (let i = 0; i < n; i++) real.set(tra.images.subarray(order[i] * N_PIXELS, (order[i] + 1) * N_PIXELS), i * N_PIXELS);
  return real;
}

export function referenceRows(seed = 0, opts: QualityOptions = {}, n = 1797): { real: QualityMetrics; blurred: QualityMetrics; noise: QualityMetrics } {
  const real = realSubset(n, seed);
  const noise = new Float64Array(n * N_PIXELS);
  const rng = new Rng(seed, 'reference', 'noise');
  for (let i = 0; i < noise.length; i++) noise[i] = Math.max(-1, Math.min(1, rng.normal()));
  return {
    real: evaluateSamples(real, n, opts),
    blurred: evaluateSamples(blurImages(real, n), n, opts),
    noise: evaluateSamples(noise, n, opts),
  };
}
