/**
 * The paper's initialisation (docs/model.md, the paper's settings): Xavier normal with gain 0.5
 * for W0 and W1 (std = gain * sqrt(2 / (fan_in + fan_out)), Glorot & Bengio 2010), biases as
 * PyTorch's nn.Linear default (uniform +-1/sqrt(fan_in)), bx = 0.
 */
import { type Dims, type Params, zeroParams } from '../circuit/params.js';
import { Rng } from '../util/rng.js';

export function initParams(d: Dims, seed: number, gain = 0.5): Params {
  const rng = new Rng(seed, 'init');
  const p = zeroParams(d);
  rng.fillNormal(p.W0, 0, gain * Math.sqrt(2 / (d.nx + d.n1)));
  const k0 = 1 / Math.sqrt(d.nx);
  rng.fillUniform(p.b0, -k0, k0);
  rng.fillNormal(p.W1, 0, gain * Math.sqrt(2 / (d.n1 + d.n2)));
  const k1 = 1 / Math.sqrt(d.n1);
  rng.fillUniform(p.b1, -k1, k1);
  return p;
}
