import { describe, expect, it } from 'vitest';
import { drawFlowBatch } from '../src/flow/batch.js';
import { eulerEvaluations, generate } from '../src/flow/sample.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { DEFAULT_EQUILIBRIUM } from '../src/circuit/analysis.js';
import { initParams } from '../src/learning/init.js';
import { PAPER_DIMS } from '../src/circuit/params.js';
import { Rng } from '../src/util/rng.js';
import { loadDigits } from '../src/data/optdigits.js';

describe('flow-matching batches', () => {
  const data = loadDigits('tes');
  it('x_t = (1-t) x0 + t x1 and u_t = x1 - x0 with t in [0, 1), reproducible per (seed, step)', () => {
    const a = drawFlowBatch(data.images, data.n, 64, 32, 'independent', 5, 3);
    const b = drawFlowBatch(data.images, data.n, 64, 32, 'independent', 5, 3);
    const c = drawFlowBatch(data.images, data.n, 64, 32, 'independent', 5, 4);
    expect(a.xt).toEqual(b.xt);
    expect(a.xt).not.toEqual(c.xt);
    for (let i = 0; i < 32; i++) {
      const t = a.t[i];
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(1);
      // x1 = x_t + (1-t) u_t must be a data point (pixel values on the 1/8 grid in [-1, 1])
      for (let j = 0; j < 64; j++) {
        const x1 = a.xt[i * 64 + j] + (1 - t) * a.ut[i * 64 + j];
        expect(Math.abs(x1 * 8 - Math.round(x1 * 8))).toBeLessThan(1e-9);
      }
    }
  });
  it('OT pairing lowers the total transport cost against independent pairing', () => {
    const cost = (p: 'ot' | 'independent') => {
      const b = drawFlowBatch(data.images, data.n, 64, 128, p, 9, 0);
      let s = 0;
      for (const v of b.ut) s += v * v;
      return s;
    };
    expect(cost('ot')).toBeLessThan(0.9 * cost('independent'));
  });
  it('the full batch uses every data point once', () => {
    const b = drawFlowBatch(data.images, data.n, 64, data.n, 'independent', 1, 0);
    expect(b.B).toBe(1797);
  });
  it('Rng streams are reproducible and independent', () => {
    const a = new Rng(1, 'noise', 0);
    const b = new Rng(1, 'noise', 0);
    const c = new Rng(1, 'data', 0);
    const xa = Array.from({ length: 5 }, () => a.normal());
    expect(Array.from({ length: 5 }, () => b.normal())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.normal())).not.toEqual(xa);
    // moments of the normal stream
    const r = new Rng(7, 'm');
    let s = 0;
    let s2 = 0;
    const n = 200000;
    for (let i = 0; i < n; i++) {
      const v = r.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.01);
  });
});

describe('generation', () => {
  it('evaluates v at t = 0, dt, ..., t1 inclusive and clips to [-1, 1]', async () => {
    expect(eulerEvaluations(1.0, 0.01)).toBe(101);
    expect(eulerEvaluations(1.2, 0.01)).toBe(121);
    const p = initParams(PAPER_DIMS, 0);
    const relax = { method: 'equilibrium' as const, paper: { eps: 0.1, T: 300 }, equilibrium: DEFAULT_EQUILIBRIUM };
    let steps = 0;
    for (const mode of ['spring', 'energy_gd'] as const) {
      const r = await generate(new LocalEngine(), p, PAPER_DIMS, { mode, lambda: 15, alpha: 2, relax, n: 3, t1: 0.05, dt: 0.01, seed: 1, onStep: () => steps++ });
      expect(r.evaluations).toBe(6);
      expect(r.samples.every((v) => v >= -1 && v <= 1)).toBe(true);
      const again = await generate(new LocalEngine(), p, PAPER_DIMS, { mode, lambda: 15, alpha: 2, relax, n: 3, t1: 0.05, dt: 0.01, seed: 1 });
      expect(again.samples).toEqual(r.samples);
    }
    expect(steps).toBe(12);
  });
});
