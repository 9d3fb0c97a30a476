import { type Dims, type Params, stateSize } from '../../src/circuit/params.js';
import { initParams } from '../../src/learning/init.js';
import { Rng } from '../../src/util/rng.js';
import { loadDigits } from '../../src/data/optdigits.js';

export const TINY: Dims = { nx: 4, n1: 5, n2: 3 };

/** Random parameters of a given scale (W ~ N(0, scale^2 / fan_in)). */
export function randomParams(d: Dims, seed: number, scale = 1): Params {
  const p = initParams(d, seed);
  const r = new Rng(seed, 'fixture');
  for (let i = 0; i < p.W0.length; i++) p.W0[i] = (scale * r.normal()) / Math.sqrt(d.nx);
  for (let i = 0; i < p.W1.length; i++) p.W1[i] = (scale * r.normal()) / Math.sqrt(d.n1);
  for (const b of [p.b0, p.b1, p.bx]) for (let i = 0; i < b.length; i++) b[i] = 0.3 * r.normal();
  return p;
}

export function randomVectors(n: number, seed: number, std = 1): Float64Array {
  const a = new Float64Array(n);
  new Rng(seed, 'vectors').fillNormal(a, 0, std);
  return a;
}

export function randomState(d: Dims, B: number, seed: number): Float64Array {
  return randomVectors(B * stateSize(d), seed);
}

/** Flow-matching-like points: x_t between N(0, I) noise and digits, t spread over (0, 1). */
export function flowPoints(B: number, seed: number): Float64Array {
  const data = loadDigits('tes');
  const x0 = randomVectors(B * 64, seed);
  const xt = new Float64Array(B * 64);
  for (let b = 0; b < B; b++) {
    const t = (b + 0.5) / B;
    for (let j = 0; j < 64; j++) xt[b * 64 + j] = (1 - t) * x0[b * 64 + j] + t * data.images[((b * 37) % data.n) * 64 + j];
  }
  return xt;
}
