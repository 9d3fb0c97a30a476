/**
 * The GradEP weight measurement dE/dtheta summed over a batch of states (the outer products of
 * the local update), shared by the ideal estimator (gradep.ts) and the in-situ one (insitu.ts).
 * The weight sums run in WebAssembly (assembly/outer.ts, register-blocked float64) when it is
 * available, else in accumulateEnergyParamGrad's TypeScript loop; both subtract the same
 * products in the same sample order, so the result is bit-identical either way.
 */
import { type Dims, type Params, stateSize } from '../circuit/params.js';
import { accumulateEnergyParamGrad, hiddenRho, type NeuronActivation } from '../dynamics/network.js';
import { kernelInstance } from '../solvers/wasm-engine.js';

interface OuterKernels {
  k: { outerSub(acc: number, k: number, v: number, B: number, rows: number, cols: number): void };
  memory: WebAssembly.Memory;
}

/** This thread's instance of the outer-product kernel, or null without wasm. */
let outer: OuterKernels | null | undefined;

function outerKernels(): OuterKernels | null {
  if (outer === undefined) {
    const inst = kernelInstance(1);
    outer = inst ? { k: inst.exports as unknown as OuterKernels['k'], memory: inst.memory } : null;
  }
  return outer;
}

/**
 * accumulateEnergyParamGrad(d, s, 0, B, w, g, r1, r2, act), bit for bit: acc gets
 * w dE/dtheta of samples 0..B-1 (r1, r2: scratch of n1 and n2).
 */
export function accumulateLocalGrad(d: Dims, s: Float64Array, B: number, w: number, g: Params, r1: Float64Array, r2: Float64Array, act: NeuronActivation | null = null): void {
  const o = outerKernels();
  if (o) outerAccumulate(o, d, s, B, w, g, r1, r2, act);
  else accumulateEnergyParamGrad(d, s, 0, B, w, g, r1, r2, act);
}

/**
 * The biases and the per-sample factors (w rho, taken exactly as accumulateEnergyParamGrad
 * takes them) here, the outer products by outerSub. The kernel's memory holds g's weights only
 * during this synchronous call.
 */
function outerAccumulate(o: OuterKernels, d: Dims, s: Float64Array, B: number, w: number, g: Params, r1: Float64Array, r2: Float64Array, act: NeuronActivation | null): void {
  const { nx, n1, n2 } = d;
  const N = stateSize(d);
  const sizes = [n1 * nx, n2 * n1, B * nx, B * n1, B * n1, B * n2];
  const at: number[] = [];
  let p = 65536;
  for (const n of sizes) {
    at.push(p);
    p += Math.ceil((8 * n) / 64) * 64;
  }
  const have = o.memory.buffer.byteLength;
  if (p > have) o.memory.grow(Math.ceil((p - have) / 65536));
  const buf = o.memory.buffer;
  const [W0, W1, X, K1, R1, K2] = sizes.map((n, q) => new Float64Array(buf, at[q], n));
  W0.set(g.W0);
  W1.set(g.W1);
  const tmp = new Float64Array(2);
  for (let b = 0; b < B; b++) {
    const off = b * N;
    hiddenRho(d, s, off, act, r1, r2, tmp);
    for (let j = 0; j < nx; j++) {
      g.bx[j] -= w * s[off + j];
      X[b * nx + j] = s[off + j];
    }
    for (let i = 0; i < n1; i++) {
      const ri = w * r1[i];
      g.b0[i] -= ri;
      K1[b * n1 + i] = ri;
      R1[b * n1 + i] = r1[i];
    }
    for (let k = 0; k < n2; k++) {
      const rk = w * r2[k];
      g.b1[k] -= rk;
      K2[b * n2 + k] = rk;
    }
  }
  o.k.outerSub(at[0], at[3], at[2], B, n1, nx);
  o.k.outerSub(at[1], at[5], at[4], B, n2, n1);
  g.W0.set(W0);
  g.W1.set(W1);
}
