import { describe, expect, it } from 'vitest';
import { zeroParams, PAPER_DIMS } from '../src/circuit/params.js';
import { adamStep, clipGradNorm, emaUpdate, gradNorm, newAdamState } from '../src/learning/optimizer.js';
import { initParams } from '../src/learning/init.js';

const d = { nx: 2, n1: 1, n2: 1 };

describe('Adam, clipping, EMA', () => {
  it('Adam matches the update written out (PyTorch conventions)', () => {
    const p = zeroParams(d);
    p.bx[0] = 1;
    const st = newAdamState(p);
    const cfg = { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, clip: 0 };
    const g = zeroParams(d);
    g.bx[0] = 2;
    adamStep(p, g, st, cfg);
    // t=1: m = 0.2, v = 0.2; mhat = 2, vhat = 4 -> step 0.1 * 2 / (2 + 1e-8)
    expect(p.bx[0]).toBeCloseTo(1 - 0.1 * (2 / (2 + 1e-8)), 14);
    g.bx[0] = -1;
    adamStep(p, g, st, cfg);
    const m = 0.9 * 0.2 + 0.1 * -1;
    const v = 0.95 * 0.2 + 0.05 * 1;
    const mh = m / (1 - 0.9 ** 2);
    const vh = v / (1 - 0.95 ** 2);
    expect(p.bx[0]).toBeCloseTo(1 - 0.1 * (2 / (2 + 1e-8)) - (0.1 * mh) / (Math.sqrt(vh) + 1e-8), 12);
  });
  it('global norm clipping as clip_grad_norm_', () => {
    const g = zeroParams(d);
    g.bx[0] = 3;
    g.W0[0] = 4;
    const n = clipGradNorm(g, 1);
    expect(n).toBe(5);
    expect(gradNorm(g)).toBeCloseTo(5 / (5 + 1e-6), 12);
    const small = zeroParams(d);
    small.b0[0] = 0.5;
    clipGradNorm(small, 1);
    expect(small.b0[0]).toBe(0.5);
  });
  it('EMA moves by (1 - decay)', () => {
    const e = zeroParams(d);
    const p = zeroParams(d);
    p.b1[0] = 1;
    emaUpdate(e, p, 0.999);
    expect(e.b1[0]).toBeCloseTo(0.001, 15);
  });
  it('paper initialisation statistics (Xavier normal gain 0.5, PyTorch Linear biases, bx = 0)', () => {
    const p = initParams(PAPER_DIMS, 0);
    const std = (a: Float64Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
    expect(std(p.W0) / (0.5 * Math.sqrt(2 / 192))).toBeGreaterThan(0.95);
    expect(std(p.W0) / (0.5 * Math.sqrt(2 / 192))).toBeLessThan(1.05);
    expect(std(p.W1) / (0.5 * Math.sqrt(2 / 256))).toBeGreaterThan(0.97);
    expect(std(p.W1) / (0.5 * Math.sqrt(2 / 256))).toBeLessThan(1.03);
    expect(Math.max(...p.b0.map(Math.abs))).toBeLessThanOrEqual(1 / 8);
    expect(Math.max(...p.b1.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(p.bx.every((v) => v === 0)).toBe(true);
    // Same seed, same numbers; another seed, other numbers.
    expect(initParams(PAPER_DIMS, 0).W1).toEqual(p.W1);
    expect(initParams(PAPER_DIMS, 1).W1[0]).not.toBe(p.W1[0]);
  });
});
