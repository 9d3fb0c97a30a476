/**
 * The network's shape and weights as plain data: layer sizes, the parameter record and the
 * state layout. Every other layer (chip, model, engines, learning) builds on these.
 *
 * State of one sample: s = [x (nx) | h1 (n1) | h2 (n2)], stored batch-major: sample b at
 * offset b*N, N = nx + n1 + n2. Weights are out x in, row-major: W0[i*nx + j] couples
 * x_j to h1_i, W1[k*n1 + i] couples h1_i to h2_k.
 */
export interface Dims {
  nx: number;
  n1: number;
  n2: number;
}

export const PAPER_DIMS: Dims = { nx: 64, n1: 128, n2: 128 };

export interface Params {
  W0: Float64Array; // n1 x nx
  b0: Float64Array; // n1
  W1: Float64Array; // n2 x n1
  b1: Float64Array; // n2
  bx: Float64Array; // nx
}

export const PARAM_NAMES = ['W0', 'b0', 'W1', 'b1', 'bx'] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

export function stateSize(d: Dims): number {
  return d.nx + d.n1 + d.n2;
}

export function paramCount(d: Dims): number {
  return d.n1 * d.nx + d.n1 + d.n2 * d.n1 + d.n2 + d.nx;
}

export function zeroParams(d: Dims): Params {
  return {
    W0: new Float64Array(d.n1 * d.nx),
    b0: new Float64Array(d.n1),
    W1: new Float64Array(d.n2 * d.n1),
    b1: new Float64Array(d.n2),
    bx: new Float64Array(d.nx),
  };
}

export function cloneParams(p: Params): Params {
  return { W0: p.W0.slice(), b0: p.b0.slice(), W1: p.W1.slice(), b1: p.b1.slice(), bx: p.bx.slice() };
}

export function dimsOf(p: Params): Dims {
  const nx = p.bx.length;
  const n1 = p.b0.length;
  const n2 = p.b1.length;
  if (p.W0.length !== n1 * nx || p.W1.length !== n2 * n1) throw new Error('inconsistent parameter shapes');
  return { nx, n1, n2 };
}

