/**
 * 95% intervals for replicate results (chips, sample seeds): what every scientific number gradep
 * publishes carries. With the few replicates a sweep point affords (3-8 chips) a percentile
 * bootstrap over chips under-covers badly (about 80% for n = 4), so the interval of a mean over
 * replicates is Student's t (exact for normal replicates); the bootstrap is kept for statistics of
 * many samples (FD over generated samples), where it is accurate.
 */
import { Rng } from '../util/rng.js';

/** Two-sided 95% quantiles t_{0.975, df} of Student's t for df = 1..30 (standard tables). */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101,
  2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** t_{0.975, df}; df > 30 by the Cornish-Fisher expansion around z = 1.95996 (error < 1e-3). */
export function t975(df: number): number {
  if (!(df >= 1)) throw new Error(`t975: df = ${df}, allowed >= 1`);
  const k = Math.floor(df);
  if (k <= 30) return T975[k - 1];
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}

export interface Interval {
  /** Number of replicates. */
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for n = 1. */
  std: number;
  /** 95% interval; null for n < 2 (no spread to estimate). */
  lo: number | null;
  hi: number | null;
}

/** Mean of replicates with its 95% Student-t interval. */
export function meanInterval(values: readonly number[]): Interval {
  const n = values.length;
  if (n === 0) throw new Error('meanInterval: no values');
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { n, mean, std: 0, lo: null, hi: null };
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const h = (t975(n - 1) * std) / Math.sqrt(n);
  return { n, mean, std, lo: mean - h, hi: mean + h };
}

export interface Difference {
  /** mean(a) - mean(b). */
  diff: number;
  /** Welch 95% interval of the difference; null when either side has fewer than 2 values. */
  lo: number | null;
  hi: number | null;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number | null;
  /** True only when the interval excludes zero: the one way gradep calls a difference a difference. */
  differs: boolean;
}

/** Difference of two replicate means with Welch's 95% interval (unequal variances). */
export function differenceInterval(a: readonly number[], b: readonly number[]): Difference {
  const A = meanInterval(a);
  const B = meanInterval(b);
  const diff = A.mean - B.mean;
  if (A.n < 2 || B.n < 2) return { diff, lo: null, hi: null, df: null, differs: false };
  const va = A.std ** 2 / A.n;
  const vb = B.std ** 2 / B.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { diff, lo: diff, hi: diff, df: A.n + B.n - 2, differs: diff !== 0 };
  const df = (va + vb) ** 2 / (va ** 2 / (A.n - 1) + vb ** 2 / (B.n - 1));
  const h = t975(Math.max(1, df)) * se;
  return { diff, lo: diff - h, hi: diff + h, df, differs: diff - h > 0 || diff + h < 0 };
}

/**
 * Percentile-bootstrap 95% interval of statistic(indices) over n items resampled with replacement
 * (Efron & Tibshirani 1993, ch. 13), draws from Rng(seed, 'bootstrap', label). For statistics of
 * many samples (FD of generated digits): accurate when n is large, not for a handful of chips.
 */
export function bootstrapInterval(
  n: number, statistic: (idx: Int32Array) => number, reps = 1000, seed = 0, label = 'default',
): { estimate: number; lo: number; hi: number; reps: number } {
  if (!(Number.isInteger(n) && n >= 2)) throw new Error(`bootstrapInterval: n = ${n}, allowed an integer >= 2`);
  if (!(Number.isInteger(reps) && reps >= 20)) throw new Error(`bootstrapInterval: reps = ${reps}, allowed an integer >= 20`);
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const estimate = statistic(all);
  const rng = new Rng(seed, 'bootstrap', label);
  const idx = new Int32Array(n);
  const stats = new Float64Array(reps);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    stats[r] = statistic(idx);
  }
  stats.sort();
  const at = (q: number): number => stats[Math.min(reps - 1, Math.max(0, Math.round(q * (reps - 1))))];
  return { estimate, lo: at(0.025), hi: at(0.975), reps };
}

/** "m [lo, hi] (n = k)" with a fixed number of decimals: the form reports print an interval in. */
export function formatInterval(iv: Interval, digits = 3): string {
  const f = (x: number): string => x.toFixed(digits);
  return iv.lo === null || iv.hi === null ? `${f(iv.mean)} (n = ${iv.n})` : `${f(iv.mean)} [${f(iv.lo)}, ${f(iv.hi)}] (n = ${iv.n})`;
}
