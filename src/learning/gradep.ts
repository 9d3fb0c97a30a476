/**
 * GradEP: spring-clamped, three-phase equilibrium propagation (arXiv 2604.08150; docs/model.md).
 *   free:   relax F = E + lambda/2 |x - x_t|^2 from x = x_t, h = 0       -> s*
 *   nudged: relax F +- beta C from s*, C = kappa/2 |x - x_target|^2     -> s+, s-
 *   grad_theta L ~= mean_b [dE/dtheta(s+) - dE/dtheta(s-)] / (2 beta)
 * with kappa = (alpha lambda)^2 and x_target = x_t + u_t / (alpha lambda), so that
 * C = 1/2 |alpha lambda (x - x_t) - u_t|^2 is the flow-matching error of the read-out
 * v = alpha lambda (x* - x_t).
 */
import { accumulateLocalGrad } from './local-grad.js';
import { type Dims, type Params, stateSize, zeroParams } from '../circuit/params.js';
import { freeStart, nudgeTargets, type Phase } from '../circuit/phase.js';
import type { RelaxEngine } from '../solvers/engine.js';
import type { RelaxSpec } from '../circuit/analysis.js';
import type { RelaxStats } from '../solvers/relax.js';
import type { GradientEstimate } from './estimate.js';

export interface GradEPConfig {
  lambda: number;
  alpha: number;
  beta: number;
  relax: RelaxSpec;
}


/** Flow-matching MSE of read-out v = alpha lambda (x - x_t) against u_t, mean over batch and pixels. */
export function flowMse(d: Dims, s: Float64Array, xt: Float64Array, ut: Float64Array, alpha: number, lambda: number): number {
  const N = stateSize(d);
  const B = xt.length / d.nx;
  let sq = 0;
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < d.nx; j++) {
      const v = alpha * lambda * (s[b * N + j] - xt[b * d.nx + j]);
      const e = v - ut[b * d.nx + j];
      sq += e * e;
    }
  }
  return sq / (B * d.nx);
}

/** One GradEP gradient estimate on a flow-matching batch. */
export async function gradepEstimate(
  engine: RelaxEngine,
  p: Params,
  d: Dims,
  xt: Float64Array,
  ut: Float64Array,
  cfg: GradEPConfig,
): Promise<GradientEstimate<RelaxStats>> {
  const B = xt.length / d.nx;
  const kappa = (cfg.alpha * cfg.lambda) ** 2;
  const sFree = freeStart(d, xt, B);
  const free = await engine.relax(p, d, sFree, { lambda: cfg.lambda, betaKappa: 0, xt, xtarget: null }, cfg.relax);
  const mse = flowMse(d, sFree, xt, ut, cfg.alpha, cfg.lambda);
  const xtarget = nudgeTargets(xt, ut, cfg.alpha, cfg.lambda);
  const nudged = (sign: 1 | -1): Phase => ({ lambda: cfg.lambda, betaKappa: sign * cfg.beta * kappa, xt, xtarget });
  const sPlus = sFree.slice();
  const plus = await engine.relax(p, d, sPlus, nudged(1), cfg.relax);
  // The paper dynamics start both nudged phases from s*. A converging solver may start the
  // -beta phase anywhere in the basin: s- = s* - beta s' + O(beta^2) and s+ = s* + beta s' +
  // O(beta^2), so 2 s* - s+ is within O(beta^2) of s- and saves most of its iterations.
  const sMinus = sFree.slice();
  if (cfg.relax.method === 'equilibrium') for (let i = 0; i < sMinus.length; i++) sMinus[i] = 2 * sFree[i] - sPlus[i];
  const minus = await engine.relax(p, d, sMinus, nudged(-1), cfg.relax);
  const grads = zeroParams(d);
  const r1 = new Float64Array(d.n1);
  const r2 = new Float64Array(d.n2);
  const w = 1 / (2 * cfg.beta * B);
  accumulateLocalGrad(d, sPlus, B, w, grads, r1, r2);
  accumulateLocalGrad(d, sMinus, B, -w, grads, r1, r2);
  return { grads, flowMse: mse, free, plus, minus, sFree, physical: null };
}
