import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matrix, multiply, sqrtm, trace } from 'mathjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDigits } from '../src/data/optdigits.js';
import {
  accuracy, classify, EVALUATOR_FORMAT, features, loadEvaluator, saveEvaluator, trainEvaluator,
} from '../src/metrics/classifier.js';
import {
  blurImages, copyRate, evaluateSamples, fdSpread, frechetDistance, kthNeighbourSqDist, meanCov,
  normalisedEntropy, precisionRecall, referenceRows, symEig, wasserstein1,
} from '../src/metrics/quality.js';
import { GradepError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';

const f64 = (a: number[]) => Float64Array.from(a);

/** n draws from N(mu, L L^T) in d dims. */
function gaussian(rng: Rng, n: number, mu: number[], L: number[][]): Float64Array {
  const d = mu.length;
  const out = new Float64Array(n * d);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    rng.fillNormal(z);
    for (let a = 0; a < d; a++) {
      let s = mu[a];
      for (let b = 0; b < d; b++) s += L[a][b] * z[b];
      out[i * d + a] = s;
    }
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'gradep-metrics-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('linear algebra and Frechet distance (Heusel et al. 2017)', () => {
  it('symEig reconstructs a symmetric matrix: A = V diag(lambda) V^T, V orthonormal', () => {
    const rng = new Rng(1, 'test', 'eig');
    const d = 12;
    const A = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = i; j < d; j++) A[i * d + j] = A[j * d + i] = rng.normal();
    const { values, vectors: V } = symEig(A, d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let a = 0;
        let o = 0;
        for (let k = 0; k < d; k++) {
          a += V[i * d + k] * values[k] * V[j * d + k];
          o += V[k * d + i] * V[k * d + j];
        }
        expect(a).toBeCloseTo(A[i * d + j], 12);
        expect(o).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });

  it('FD of a Gaussian fit against itself is ~0 (relative 1e-6), also on the 64-d evaluator features', () => {
    const rng = new Rng(2, 'test', 'fd-self');
    const x = gaussian(rng, 400, [1, -2, 0.5, 3], [[1, 0, 0, 0], [0.5, 2, 0, 0], [0.1, -0.3, 0.7, 0], [0, 0.2, 0.2, 0.05]]);
    const { mu, cov } = meanCov(x, 400, 4);
    const tr = cov[0] + cov[5] + cov[10] + cov[15];
    expect(frechetDistance(mu, cov, mu, cov, 4)).toBeLessThan(1e-6 * tr);
    const w = loadEvaluator();
    const tes = loadDigits('tes');
    const F = meanCov(features(w, tes.images, tes.n), tes.n, w.hidden);
    let trF = 0;
    for (let i = 0; i < w.hidden; i++) trF += F.cov[i * w.hidden + i];
    const fd = frechetDistance(F.mu, F.cov, F.mu, F.cov, w.hidden);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(fd).toBeLessThan(1e-6 * trF);
  });

  it('FD equals the closed form for known Gaussians', () => {
    // Commuting (diagonal) covariances: |dmu|^2 + sum (sqrt(a_i) - sqrt(b_i))^2.
    const fdDiag = frechetDistance(f64([0, 0, 0]), f64([4, 0, 0, 0, 1, 0, 0, 0, 9]), f64([1, 2, 0]), f64([1, 0, 0, 0, 1, 0, 0, 0, 16]), 3);
    expect(fdDiag).toBeCloseTo(5 + 1 + 0 + 1, 12);
    // Non-commuting 2x2: Tr sqrt(C1 C2) = sqrt(Tr(C1 C2) + 2 sqrt(det C1 det C2)).
    const C1 = [2, 1, 1, 3];
    const C2 = [1, 0.5, 0.5, 2];
    const trC1C2 = C1[0] * C2[0] + C1[1] * C2[2] + C1[2] * C2[1] + C1[3] * C2[3];
    const det = (C: number[]) => C[0] * C[3] - C[1] * C[2];
    const trSqrt = Math.sqrt(trC1C2 + 2 * Math.sqrt(det(C1) * det(C2)));
    const closed = 0.5 ** 2 + 1 + 5 + 3 - 2 * trSqrt;
    expect(frechetDistance(f64([0, 0]), f64(C1), f64([0.5, -1]), f64(C2), 2)).toBeCloseTo(closed, 12);
    // ... and agrees with mathjs' general sqrtm (Denman-Beavers).
    const viaMathjs = trace(sqrtm(multiply(matrix([[2, 1], [1, 3]]), matrix([[1, 0.5], [0.5, 2]])))) as number;
    expect(trSqrt).toBeCloseTo(viaMathjs, 10);
    // Singular (rank-deficient) covariance: N(0, diag(1, 0)) vs N(0, diag(0, 1)) -> 2.
    expect(frechetDistance(f64([0, 0]), f64([1, 0, 0, 0]), f64([0, 0]), f64([0, 0, 0, 1]), 2)).toBeCloseTo(2, 12);
  });

  it('FD estimated from samples approaches the closed form', () => {
    const rng = new Rng(3, 'test', 'fd-sampled');
    const n = 20000;
    const a = gaussian(rng, n, [0, 0], [[Math.SQRT2, 0], [1 / Math.SQRT2, Math.sqrt(2.5)]]); // cov [[2,1],[1,3]]
    const b = gaussian(rng, n, [0.5, -1], [[1, 0], [0.5, Math.sqrt(1.75)]]); // cov [[1,.5],[.5,2]]
    const A = meanCov(a, n, 2);
    const B = meanCov(b, n, 2);
    const exact = frechetDistance(f64([0, 0]), f64([2, 1, 1, 3]), f64([0.5, -1]), f64([1, 0.5, 0.5, 2]), 2);
    expect(Math.abs(frechetDistance(A.mu, A.cov, B.mu, B.cov, 2) - exact)).toBeLessThan(0.06);
  });
});

describe('distribution and neighbour metrics', () => {
  it('W1 of known 1-D distributions', () => {
    expect(wasserstein1(f64([0]), f64([1]))).toBeCloseTo(1, 15);
    expect(wasserstein1(f64([0, 1]), f64([0.5]))).toBeCloseTo(0.5, 15);
    expect(wasserstein1(f64([0, 0, 1]), f64([1, 0]))).toBeCloseTo(1 / 6, 15);
    // a shift by c moves every unit of mass by c
    const u = f64(Array.from({ length: 101 }, (_, i) => i / 100));
    expect(wasserstein1(u, u.map((v) => v + 0.3))).toBeCloseTo(0.3, 12);
    expect(wasserstein1(u, Float64Array.from(u).reverse())).toBe(0);
    // uniform on {-1, 1} vs all at 0: every unit moves 1
    expect(wasserstein1(f64([-1, 1, -1, 1]), f64([0, 0, 0]))).toBeCloseTo(1, 15);
  });

  it('normalised entropy: uniform labels 1, a single class 0, two classes ln2/ln10', () => {
    expect(normalisedEntropy(Int32Array.from({ length: 100 }, (_, i) => i % 10))).toBeCloseTo(1, 14);
    expect(normalisedEntropy(new Int32Array(50).fill(3))).toBe(0);
    expect(normalisedEntropy(Int32Array.from([1, 2, 1, 2]))).toBeCloseTo(Math.log(2) / Math.log(10), 14);
  });

  it('k-NN radii and precision/recall on a tiny hand-made set (Kynkaanniemi et al. 2019)', () => {
    const real = f64([0, 1, 2, 3, 4]); // 1-D points; with k = 1 every ball has radius 1
    expect([...kthNeighbourSqDist(real, 5, 1, 1)]).toEqual([1, 1, 1, 1, 1]);
    expect([...kthNeighbourSqDist(real, 5, 1, 2)]).toEqual([4, 1, 1, 1, 4]);
    // Mode collapse: all samples near 0 -> precise but with tiny recall (their balls, radius 0.2, reach only 0).
    const collapsed = precisionRecall(real, 5, f64([0.2, 0.4, 0.6]), 3, 1, 1);
    expect(collapsed.precision).toBe(1);
    expect(collapsed.recall).toBeCloseTo(0.2, 15);
    // Half the samples off the manifold: precision 1/2; recall counts real points within any sample ball.
    const half = precisionRecall(real, 5, f64([0.5, 1.5, 50, 60]), 4, 1, 1);
    expect(half.precision).toBe(0.5);
    expect(half.recall).toBeCloseTo(3 / 5, 15); // balls r=1 at 0.5, 1.5 cover 0, 1, 2
    // Identical sets: 1 and 1.
    expect(precisionRecall(real, 5, real, 5, 1, 2)).toEqual({ precision: 1, recall: 1 });
    // 2-D: four points on the unit circle (k = 1 radius sqrt 2); one sample near them, one far.
    const ring = f64([1, 0, 0, 1, -1, 0, 0, -1]);
    expect(precisionRecall(ring, 4, f64([5, 5, 0.9, 0.1]), 2, 2, 1).precision).toBe(0.5);
  });

  it('copy rate: the training set itself is all copies, noise none', () => {
    const tes = loadDigits('tes');
    const m = 300;
    expect(copyRate(tes.images.subarray(0, m * 64), m, tes.images, tes.n)).toBe(1);
    const rng = new Rng(4, 'test', 'copy');
    const noise = new Float64Array(m * 64).map(() => Math.max(-1, Math.min(1, rng.normal())));
    expect(copyRate(noise, m, tes.images, tes.n)).toBe(0);
  });

  it('blurImages keeps constant images and spreads a point', () => {
    const c = blurImages(new Float64Array(64).fill(0.3), 1);
    for (const v of c) expect(v).toBeCloseTo(0.3, 14);
    const p = new Float64Array(64).fill(0);
    p[3 * 8 + 3] = 16;
    const b = blurImages(p, 1);
    expect(b[3 * 8 + 3]).toBeCloseTo(4, 14);
    expect(b[3 * 8 + 4]).toBeCloseTo(2, 14);
    expect(b[2 * 8 + 2]).toBeCloseTo(1, 14);
    expect(b[0]).toBe(0);
  });
});

describe('evaluator (MLP trained on optdigits.tra)', () => {
  it('committed weights load, are well-formed and score >= 97% on optdigits.tes', () => {
    const w = loadEvaluator();
    expect(w.format).toBe(EVALUATOR_FORMAT);
    expect(w.W1).toHaveLength(w.hidden * 64);
    const tes = loadDigits('tes');
    const acc = accuracy(w, tes.images, tes.labels, tes.n);
    expect(acc).toBeGreaterThanOrEqual(0.97);
    expect(acc).toBeCloseTo(w.accuracy_tes, 6);
    const tra = loadDigits('tra');
    expect(accuracy(w, tra.images, tra.labels, tra.n)).toBeCloseTo(w.accuracy_tra, 6);
  });

  it('classify gives normalised probabilities; features are tanh activations', () => {
    const w = loadEvaluator();
    const tes = loadDigits('tes');
    const c = classify(w, tes.images, 20);
    for (let i = 0; i < 20; i++) {
      let s = 0;
      for (let k = 0; k < 10; k++) s += c.probs[i * 10 + k];
      expect(s).toBeCloseTo(1, 12);
      expect(c.conf[i]).toBe(c.probs[i * 10 + c.labels[i]]);
    }
    const f = features(w, tes.images, 20);
    expect(f).toHaveLength(20 * w.hidden);
    expect(Math.max(...f.map(Math.abs))).toBeLessThanOrEqual(1);
  });

  it('training is deterministic in the seed (1 epoch)', () => {
    const a = trainEvaluator(5, { epochs: 1 });
    const b = trainEvaluator(5, { epochs: 1 });
    const c = trainEvaluator(6, { epochs: 1 });
    expect(a).toEqual(b);
    expect(a.W1).not.toEqual(c.W1);
    expect(a.accuracy_tes).toBeGreaterThan(0.8);
  });

  it('save/load round trip; missing or malformed files are one-line GradepErrors', () => {
    const w = trainEvaluator(0, { epochs: 1, hidden: 4 });
    const p = join(tmp, 'ev.json');
    saveEvaluator(p, w);
    expect(loadEvaluator(p)).toEqual(w);
    expect(() => loadEvaluator(join(tmp, 'nope.json'))).toThrow(GradepError);
    expect(() => loadEvaluator(join(tmp, 'nope.json'))).toThrow(/not found/);
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"format": "gradep-evaluator/1", "hidden": 4');
    expect(() => loadEvaluator(bad)).toThrow(/not valid JSON/);
    writeFileSync(bad, JSON.stringify({ ...w, W2: w.W2.slice(1) }));
    expect(() => loadEvaluator(bad)).toThrow(/W2 has 39 values, expected 40/);
    writeFileSync(bad, JSON.stringify({ ...w, format: 'other' }));
    expect(() => loadEvaluator(bad)).toThrow(GradepError);
  });
});

describe('evaluateSamples and reference rows', () => {
  // The full-size reference rows (three evaluations of 1797 images), computed once for the tests that read them.
  let full: ReturnType<typeof referenceRows> | undefined;
  const fullRows = () => (full ??= referenceRows(0));

  it('the reference set against itself: fd 0, coverage 10, precision = recall = 1, sharpness 0, copies 1', () => {
    const tes = loadDigits('tes');
    const m = evaluateSamples(tes.images, tes.n);
    expect(m.n).toBe(1797);
    expect(m.fd).toBeLessThan(1e-6);
    expect(m.coverage).toBe(10);
    expect(m.precision).toBe(1);
    expect(m.recall).toBe(1);
    expect(m.sharpness_w1).toBe(0);
    expect(m.copy_rate).toBe(1);
    expect(m.class_balance).toBeGreaterThan(0.99);
    expect(m.recognisability).toBeGreaterThan(0.8);
  });

  it('reference rows come at the samples\' own n: FD of real digits grows as n shrinks (like with like)', () => {
    const small = referenceRows(0, {}, 100);
    const full = fullRows();
    expect(small.real.n).toBe(100);
    expect(small.noise.n).toBe(100);
    expect(full.real.n).toBe(1797);
    // FD's finite-sample bias: 100 real digits sit far above 1797 of them (about 3 against 0.5).
    expect(small.real.fd).toBeGreaterThan(2);
    expect(full.real.fd).toBeLessThan(1);
  });

  it('noise is worse than real held-out digits on every metric; blur sits in between on fd and sharpness', () => {
    const { real, blurred, noise } = fullRows();
    expect(noise.fd).toBeGreaterThan(real.fd);
    expect(noise.recognisability).toBeLessThan(real.recognisability);
    expect(noise.coverage).toBeLessThan(real.coverage);
    expect(noise.precision).toBeLessThan(real.precision);
    expect(noise.recall).toBeLessThan(real.recall);
    expect(noise.sharpness_w1).toBeGreaterThan(real.sharpness_w1);
    expect(noise.class_balance).toBeLessThan(real.class_balance);
    expect(noise.copy_rate).toBe(0);
    expect(real.coverage).toBe(10);
    expect(blurred.fd).toBeGreaterThan(real.fd);
    expect(blurred.fd).toBeLessThan(noise.fd);
    expect(blurred.sharpness_w1).toBeGreaterThan(real.sharpness_w1);
    expect(blurred.sharpness_w1).toBeLessThan(noise.sharpness_w1);
    expect(blurred.recall).toBeLessThan(real.recall);
  });

  it('fdSpread reports mean and std over seeds; bad input is rejected', () => {
    const tes = loadDigits('tes');
    const n = 200;
    const s = fdSpread((seed) => {
      const idx = new Int32Array(tes.n).map((_, i) => i);
      new Rng(seed, 'test', 'subset').shuffle(idx);
      const out = new Float64Array(n * 64);
      for (let i = 0; i < n; i++) out.set(tes.images.subarray(idx[i] * 64, idx[i] * 64 + 64), i * 64);
      return out;
    }, n, 3);
    expect(s.values).toHaveLength(3);
    expect(s.std).toBeGreaterThan(0);
    expect(s.mean).toBeGreaterThan(0);
    const nan = new Float64Array(128);
    nan[70] = NaN;
    expect(() => evaluateSamples(nan, 2)).toThrow(/sample 1 pixel 6 is NaN/);
    expect(() => evaluateSamples(new Float64Array(64), 2)).toThrow(/need 128 values/);
  });
});
