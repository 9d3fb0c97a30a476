import { describe, expect, it } from 'vitest';
import { loadDigits } from '../src/data/optdigits.js';
import { features, loadEvaluator } from '../src/metrics/classifier.js';
import { evaluateSamples, fdExtrapolated, FD_INF_MIN_N, frechetDistance, meanCov, realSubset } from '../src/metrics/quality.js';

describe('FD extrapolated to infinite n (Chong & Forsyth 2020) and class frequencies', () => {
  const w = loadEvaluator();
  const ref = loadDigits('tes');
  const { mu, cov } = meanCov(features(w, ref.images, ref.n), ref.n, w.hidden);
  const fdOf = (n: number, seed: number): { fd: number; inf: number; f: Float64Array } => {
    const f = features(w, realSubset(n, seed), n);
    const m = meanCov(f, n, w.hidden);
    return { fd: frechetDistance(m.mu, m.cov, mu, cov, w.hidden), inf: fdExtrapolated(f, n, w.hidden, mu, cov).fd_inf, f };
  };
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

  it('on held-out real digits, FD_inf at n = 500 lands near FD_inf of all 3823, which raw FD at 500 does not', () => {
    const big = fdOf(3823, 0);
    const rows = [10, 11, 12].map((s) => fdOf(500, s));
    console.log(`real digits: FD(3823) ${big.fd.toFixed(3)}, FD_inf(3823) ${big.inf.toFixed(3)}; FD(500) ${rows.map((r) => r.fd.toFixed(3)).join(' ')}; FD_inf(500) ${rows.map((r) => r.inf.toFixed(3)).join(' ')}`);
    const fd500 = mean(rows.map((r) => r.fd));
    // The finite-n bias is positive and most of it is removed.
    expect(fd500).toBeGreaterThan(big.inf + 0.25);
    expect(Math.abs(mean(rows.map((r) => r.inf)) - big.inf)).toBeLessThan(0.3 * (fd500 - big.inf));
    expect(big.inf).toBeLessThan(big.fd);
  });

  it('the fit is a least-squares line in 1/n over n/5..n, seeded', () => {
    const { f } = fdOf(500, 3);
    const a = fdExtrapolated(f, 500, w.hidden, mu, cov, 15, 4);
    expect(fdExtrapolated(f, 500, w.hidden, mu, cov, 15, 4)).toEqual(a);
    expect(a.ns[0]).toBe(100);
    expect(a.ns[14]).toBe(500);
    // Least squares: residuals sum to zero and are orthogonal to 1/n.
    const res = a.fds.map((y, i) => y - (a.fd_inf + a.slope / a.ns[i]));
    expect(Math.abs(res.reduce((s, r) => s + r, 0))).toBeLessThan(1e-9);
    expect(Math.abs(res.reduce((s, r, i) => s + r / a.ns[i], 0))).toBeLessThan(1e-11);
    expect(a.slope).toBeGreaterThan(0);
  });

  it('class frequencies sum to 1 and data are balanced; fd_inf is null below its minimum n', () => {
    const m = evaluateSamples(realSubset(FD_INF_MIN_N - 1, 1), FD_INF_MIN_N - 1);
    expect(m.fd_inf).toBeNull();
    expect(m.class_freq).toHaveLength(10);
    expect(m.class_freq!.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    for (const f of m.class_freq!) expect(Math.abs(f - 0.1)).toBeLessThan(0.035);
  });
});
