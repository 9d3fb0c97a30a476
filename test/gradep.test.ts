import { describe, expect, it } from 'vitest';
import { type Dims, type Params, PAPER_DIMS, PARAM_NAMES } from '../src/circuit/params.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { type RelaxSpec, DEFAULT_EQUILIBRIUM } from '../src/circuit/analysis.js';
import { flowMse, gradepEstimate } from '../src/learning/gradep.js';
import { freeStart } from '../src/circuit/phase.js';
import { compareGrads, exactFlowGradient } from '../src/learning/exact-grad.js';
import { initParams } from '../src/learning/init.js';
import { randomParams, randomVectors, TINY } from './helpers/fixtures.js';

const tight: RelaxSpec = { method: 'equilibrium', paper: { eps: 0.1, T: 300 }, equilibrium: { ...DEFAULT_EQUILIBRIUM, tol: 1e-12, eta: 1 } };
// The tiny networks below are strongly nonlinear (several minima): follow the gradient flow
// itself (long, small-step paper dynamics) so every phase stays in the flow's basin.
const flow: RelaxSpec = { ...tight, method: 'paper', paper: { eps: 0.05, T: 8000 } };
const engine = new LocalEngine();

async function lossAt(p: Params, d: Dims, xt: Float64Array, ut: Float64Array, lambda: number, alpha: number): Promise<number> {
  const B = xt.length / d.nx;
  const s = freeStart(d, xt, B);
  // Long plain gradient flow: converges to 1e-13 here and is a smooth function of theta.
  await engine.relax(p, d, s, { lambda, betaKappa: 0, xt, xtarget: null }, flow);
  // L = mean_b 1/2 |v - u|^2 = (nx / 2) * per-pixel MSE.
  return (flowMse(d, s, xt, ut, alpha, lambda) * d.nx) / 2;
}

describe('GradEP gradient', () => {
  it('agrees with the exact implicit gradient on the paper network (beta = 1e-3)', async () => {
    const d = PAPER_DIMS;
    const p = initParams(d, 7);
    const B = 3;
    const xt = randomVectors(B * 64, 1);
    const ut = randomVectors(B * 64, 2);
    const r = await gradepEstimate(engine, p, d, xt, ut, { lambda: 15, alpha: 2, beta: 1e-3, relax: tight });
    const ex = exactFlowGradient(p, d, r.sFree, xt, ut, 2, 15);
    const c = compareGrads(r.grads, ex);
    expect(c.cosine).toBeGreaterThanOrEqual(0.999);
    expect(c.relError).toBeLessThanOrEqual(1e-2);
  });

  it('bias shrinks as beta^2 (symmetric three-phase estimator)', async () => {
    const d = TINY;
    const p = randomParams(d, 4, 1.2);
    const B = 4;
    const xt = randomVectors(B * d.nx, 5);
    const ut = randomVectors(B * d.nx, 6);
    const errs: number[] = [];
    for (const beta of [4e-3, 2e-3]) {
      const r = await gradepEstimate(engine, p, d, xt, ut, { lambda: 3, alpha: 1.5, beta, relax: flow });
      errs.push(compareGrads(r.grads, exactFlowGradient(p, d, r.sFree, xt, ut, 1.5, 3)).relError);
    }
    expect(errs[0] / errs[1]).toBeGreaterThan(3.2); // ~4 for O(beta^2)
    expect(errs[0] / errs[1]).toBeLessThan(4.8);
  });

  it('both agree with finite differences of the loss on a tiny network', async () => {
    const d = TINY;
    const p = randomParams(d, 8, 1.2);
    const B = 4;
    const lambda = 3;
    const alpha = 1.5;
    const xt = randomVectors(B * d.nx, 9);
    const ut = randomVectors(B * d.nx, 10);
    const r = await gradepEstimate(engine, p, d, xt, ut, { lambda, alpha, beta: 1e-4, relax: flow });
    const ex = exactFlowGradient(p, d, r.sFree, xt, ut, alpha, lambda);
    const fd: Params = { W0: new Float64Array(p.W0.length), b0: new Float64Array(p.b0.length), W1: new Float64Array(p.W1.length), b1: new Float64Array(p.b1.length), bx: new Float64Array(p.bx.length) };
    const h = 1e-5;
    for (const k of PARAM_NAMES) {
      for (let i = 0; i < p[k].length; i++) {
        const keep = p[k][i];
        p[k][i] = keep + h;
        const lp = await lossAt(p, d, xt, ut, lambda, alpha);
        p[k][i] = keep - h;
        const lm = await lossAt(p, d, xt, ut, lambda, alpha);
        p[k][i] = keep;
        fd[k][i] = (lp - lm) / (2 * h);
      }
    }
    const a = compareGrads(ex, fd);
    expect(a.cosine).toBeGreaterThan(0.99999);
    expect(a.relError).toBeLessThan(1e-5);
    const b = compareGrads(r.grads, fd);
    expect(b.cosine).toBeGreaterThan(0.9999);
    expect(b.relError).toBeLessThan(1e-3);
  });
});
