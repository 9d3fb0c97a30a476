import { describe, expect, it } from 'vitest';
import { bootstrapInterval, differenceInterval, formatInterval, meanInterval, t975 } from '../src/metrics/intervals.js';
import { Rng } from '../src/util/rng.js';

describe('95% intervals of replicate results', () => {
  it('t quantiles match the tables, and the large-df expansion meets z', () => {
    expect(t975(1)).toBe(12.706);
    expect(t975(3)).toBe(3.182);
    expect(t975(10)).toBe(2.228);
    expect(t975(40)).toBeCloseTo(2.021, 3);
    expect(t975(120)).toBeCloseTo(1.98, 3);
    expect(t975(1e7)).toBeCloseTo(1.96, 3);
  });

  it('the t interval of a mean over 4 normal replicates covers the true mean 95% of the time', () => {
    const rng = new Rng(1, 'test', 'coverage');
    const trials = 4000;
    let hit = 0;
    for (let t = 0; t < trials; t++) {
      const v = [0, 0, 0, 0].map(() => 3 + 2 * rng.normal());
      const iv = meanInterval(v);
      if (iv.lo! <= 3 && 3 <= iv.hi!) hit++;
    }
    // Binomial sd of the coverage at 4000 trials is 0.0034.
    expect(Math.abs(hit / trials - 0.95)).toBeLessThan(0.012);
  });

  it('one replicate has no interval; the closed form on a hand example', () => {
    expect(meanInterval([2])).toEqual({ n: 1, mean: 2, std: 0, lo: null, hi: null });
    const iv = meanInterval([1, 2, 3]);
    expect(iv.mean).toBe(2);
    expect(iv.std).toBeCloseTo(1, 12);
    expect(iv.hi! - 2).toBeCloseTo(4.303 / Math.sqrt(3), 12);
    expect(formatInterval(iv, 2)).toBe('2.00 [-0.48, 4.48] (n = 3)');
  });

  it('Welch difference: covers the true difference 95% of the time and flags a real one', () => {
    const rng = new Rng(2, 'test', 'welch');
    let hit = 0;
    const trials = 3000;
    for (let t = 0; t < trials; t++) {
      const a = Array.from({ length: 5 }, () => 1 + rng.normal());
      const b = Array.from({ length: 8 }, () => 3 * rng.normal());
      const d = differenceInterval(a, b);
      if (d.lo! <= 1 && 1 <= d.hi!) hit++;
    }
    expect(Math.abs(hit / trials - 0.95)).toBeLessThan(0.015);
    expect(differenceInterval([10, 10.1, 9.9, 10.05], [0, 0.1, -0.1, 0.02]).differs).toBe(true);
    expect(differenceInterval([1, 2, 3], [1.5, 2.5, 1]).differs).toBe(false);
    expect(differenceInterval([1], [2, 3]).differs).toBe(false);
  });

  it('percentile bootstrap of a mean over 100 samples is close to the normal interval and seeded', () => {
    const rng = new Rng(3, 'test', 'boot');
    const x = Array.from({ length: 100 }, () => rng.normal());
    const mean = (idx: Int32Array): number => idx.reduce((a, i) => a + x[i], 0) / idx.length;
    const b = bootstrapInterval(100, mean, 2000, 7, 'x');
    const iv = meanInterval(x);
    expect(b.estimate).toBeCloseTo(iv.mean, 12);
    expect(Math.abs(b.hi - b.lo - (iv.hi! - iv.lo!))).toBeLessThan(0.15 * (iv.hi! - iv.lo!));
    expect(bootstrapInterval(100, mean, 2000, 7, 'x')).toEqual(b);
    expect(() => bootstrapInterval(1, mean)).toThrow(/n = 1/);
  });
});
