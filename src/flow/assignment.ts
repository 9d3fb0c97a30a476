/**
 * Exact linear assignment (minimum-cost perfect matching on a dense n x n
 * cost matrix) and exact optimal-transport pairing for flow matching.
 *
 * OT between two uniform empirical measures with the same number of atoms
 * has a permutation as an optimal plan (Birkhoff–von Neumann), so exact
 * minibatch OT reduces to the linear assignment problem.
 *
 * Solver: Jonker & Volgenant (1987), "A shortest augmenting path algorithm
 * for dense and sparse linear assignment problems", Computing 38:325-340
 * (LAPJV). The same shortest-augmenting-path family is used by SciPy's
 * `linear_sum_assignment` (Crouse 2016, "On implementing 2D rectangular
 * assignment algorithms", IEEE TAES 52(4)). Phases:
 *   1. column reduction + reduction transfer (cheap initial dual/partial
 *      assignment),
 *   2. augmenting row reduction (auction-like, assigns most rows cheaply),
 *   3. Dijkstra shortest augmenting paths on reduced costs for the rest.
 * Phases 1-2 are heuristics that keep dual feasibility (every assigned row
 * is at a minimum of its reduced costs), so phase 3 alone guarantees
 * optimality; the heuristics only cut the number of Dijkstra runs.
 *
 * otPairing runs the WebAssembly port (assembly/lap.ts) when the kernels load: the same
 * float64 cost matrix bit for bit, the same phases 1-2, and a phase 3 whose Dijkstra keeps its
 * distances in a heap and relaxes only a provably sufficient tier of each row's cheapest
 * columns (same distances and prices, so the same optimum; about 4x faster at 1797 x 1797).
 * This TypeScript solver stays the reference (and the fallback; GRADEP_OT_WASM=0 forces it).
 */
import { kernelInstance } from '../solvers/wasm-engine.js';

/** Validate shape and finiteness: NaN/Infinity would break termination. */
function checkCost(cost: Float64Array, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`solveAssignment: invalid n=${n}`);
  if (cost.length !== n * n) {
    throw new RangeError(`solveAssignment: cost has length ${cost.length}, expected n*n=${n * n}`);
  }
  for (let k = 0; k < cost.length; k++) {
    if (!Number.isFinite(cost[k]!)) {
      throw new RangeError(`solveAssignment: non-finite cost at index ${k}`);
    }
  }
}

/** Solver state shared by the phases: the matching, column duals and workspace. */
interface Lap {
  n: number;
  c: Float64Array;
  x: Int32Array; // row -> col
  y: Int32Array; // col -> row
  v: Float64Array; // column duals (row duals are implicit)
  free: Int32Array; // list of unassigned rows
  numFree: number;
  matches: Int32Array;
  // Augmentation workspace, allocated once and reused for every free row.
  d: Float64Array;
  pred: Int32Array;
  collist: Int32Array;
  // Phase 2 step budget, shared by both passes.
  arrBudget: number;
  // Phase 2 scan result: smallest (u1 at j1) and second-smallest (u2 at j2) reduced cost.
  u1: number;
  j1: number;
  u2: number;
  j2: number;
  // Phase 3 result of the last shortest-path search: settled count and path length.
  low: number;
  min: number;
}

/** Allocate the solver state for an n x n cost matrix (n >= 2). */
function newLap(c: Float64Array, n: number, x: Int32Array): Lap {
  return {
    n,
    c,
    x,
    y: new Int32Array(n).fill(-1),
    v: new Float64Array(n),
    free: new Int32Array(n),
    numFree: 0,
    matches: new Int32Array(n),
    d: new Float64Array(n),
    pred: new Int32Array(n),
    collist: new Int32Array(n),
    arrBudget: 0,
    u1: 0,
    j1: 0,
    u2: 0,
    j2: 0,
    low: 0,
    min: 0,
  };
}

/**
 * Solve min_{perm} sum_i cost[i*n + perm[i]] exactly (LAPJV).
 * @param cost row-major n x n matrix (not modified)
 * @returns rowToCol, a permutation of 0..n-1
 */
export function solveAssignment(cost: Float64Array, n: number): Int32Array {
  checkCost(cost, n);
  const x = new Int32Array(n).fill(-1); // row -> col
  if (n === 0) return x;
  if (n === 1) {
    x[0] = 0;
    return x;
  }
  const s = newLap(cost, n, x);
  columnReduction(s);
  reductionTransfer(s);
  augmentingRowReduction(s);
  // Rebuild the free list from scratch: robust whether or not ARR hit its cap.
  s.numFree = 0;
  for (let i = 0; i < n; i++) if (x[i]! < 0) s.free[s.numFree++] = i;
  for (let f = 0; f < s.numFree; f++) augmentFreeRow(s, s.free[f]!);
  return x;
}

/**
 * Phase 1a: column reduction (JV87 §4) preceded by a row reduction.
 * Every later phase only looks at differences c[i][j] - c[i][k] within a
 * row, so subtracting a row constant r[i] = min_j c[i][j] leaves the problem
 * unchanged but makes the column minima v[j] = min_i (c[i][j] - r[i]) far
 * better duals when rows have very different scales (squared-Euclidean
 * costs carry a |a_i|^2 term, which would otherwise let a few short rows
 * win almost every column). Both sweeps are row-major for cache locality.
 */
function columnReduction(s: Lap): void {
  const { n, c, x, y, v, matches } = s;
  const r = s.d; // reuse workspace: row minima
  const argmin = s.pred; // reuse workspace: argmin row of each column
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let m = c[row]!;
    for (let j = 1; j < n; j++) {
      const h = c[row + j]!;
      if (h < m) m = h;
    }
    r[i] = m;
  }
  v.fill(Infinity);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    const ri = r[i]!;
    for (let j = 0; j < n; j++) {
      const h = c[row + j]! - ri;
      if (h < v[j]!) {
        v[j] = h;
        argmin[j] = i;
      }
    }
  }
  // Each column tentatively goes to its argmin row; a row claimed by several
  // columns keeps the cheapest one. (Downward j mirrors the JV87 listing.)
  for (let j = n - 1; j >= 0; j--) {
    const imin = argmin[j]!;
    if (++matches[imin]! === 1) {
      x[imin] = j;
      y[j] = imin;
    } else if (v[j]! < v[x[imin]!]!) {
      const j1 = x[imin]!;
      x[imin] = j;
      y[j] = imin;
      y[j1] = -1;
    }
  }
}

/**
 * Phase 1b: reduction transfer. For rows matched exactly once, move
 * slack from the row to its column: set v[j1] so the row is tight at j1 and
 * indifferent to its second-best column (largest implicit row dual), which
 * helps the later phases. Written shift-invariantly in raw costs.
 * Unmatched rows go to the free list.
 */
function reductionTransfer(s: Lap): void {
  const { n, c, x, v, free, matches } = s;
  let numFree = 0;
  for (let i = 0; i < n; i++) {
    if (matches[i] === 0) {
      free[numFree++] = i;
    } else if (matches[i] === 1) {
      const j1 = x[i]!;
      const row = i * n;
      let min = Infinity;
      for (let j = 0; j < n; j++) {
        if (j !== j1) {
          const h = c[row + j]! - v[j]!;
          if (h < min) min = h;
        }
      }
      v[j1] = c[row + j1]! - min;
    }
  }
  s.numFree = numFree;
}

/**
 * Phase 2: augmenting row reduction (two passes, as in JV87). A free
 * row takes its cheapest column, lowering that column's price to the gap to
 * its second-best, and evicts the previous owner. With floating-point
 * costs the price decrements can become tiny, so the total number of steps
 * is capped (8n steps, tuned on n~1800 Euclidean/uniform costs, where
 * longer ARR costs more than the Dijkstra runs it saves); leftovers simply
 * go to the exact Phase 3.
 */
function augmentingRowReduction(s: Lap): void {
  s.arrBudget = 8 * s.n + 64;
  for (let pass = 0; pass < 2 && s.numFree > 0 && s.arrBudget > 0; pass++) {
    arrPass(s);
    if (s.arrBudget < 0) break;
  }
}

/** One ARR pass over the current free list; rows left free are collected for the next pass. */
function arrPass(s: Lap): void {
  const { x, y, v, free } = s;
  let k = 0;
  const prvNumFree = s.numFree;
  let numFree = 0;
  while (k < prvNumFree) {
    if (--s.arrBudget < 0) break;
    const i = free[k++]!;
    twoCheapestColumns(s, i);
    const u1 = s.u1;
    const u2 = s.u2;
    let j1 = s.j1;
    let i0 = y[j1]!;
    if (u1 < u2) {
      // Lower the price of j1 so row i is indifferent between j1 and j2.
      v[j1] = v[j1]! - (u2 - u1);
    } else if (i0 >= 0) {
      // Tie: take the (equally cheap) second column instead, avoiding a
      // pointless eviction and the ping-pong it could cause.
      j1 = s.j2;
      i0 = y[j1]!;
    }
    x[i] = j1;
    y[j1] = i;
    if (i0 >= 0) {
      x[i0] = -1;
      if (u1 < u2) {
        // Strict price drop: reprocess the evicted row right away.
        free[--k] = i0;
      } else {
        // Tie: defer to the next pass (guarantees progress).
        free[numFree++] = i0;
      }
    }
  }
  s.numFree = numFree;
}

/** Smallest (u1 at j1) and second-smallest (u2 at j2) reduced cost of row i, into s. */
function twoCheapestColumns(s: Lap, i: number): void {
  const { n, c, v } = s;
  const row = i * n;
  let u1 = c[row]! - v[0]!;
  let j1 = 0;
  let u2 = Infinity;
  let j2 = -1;
  for (let j = 1; j < n; j++) {
    const h = c[row + j]! - v[j]!;
    if (h < u2) {
      if (h >= u1) {
        u2 = h;
        j2 = j;
      } else {
        u2 = u1;
        u1 = h;
        j2 = j1;
        j1 = j;
      }
    }
  }
  s.u1 = u1;
  s.j1 = j1;
  s.u2 = u2;
  s.j2 = j2;
}

/**
 * Phase 3 for one free row: shortest augmenting path (Dijkstra on reduced
 * costs c[i][j] - v[j] - u[i], u implicit; JV87 §3), then the price update
 * and the flip of the path.
 */
function augmentFreeRow(s: Lap, freeRow: number): void {
  const endOfPath = shortestAugmentingPath(s, freeRow);
  const { x, y, v, d, pred, collist } = s;
  const low = s.low;
  const min = s.min;
  // Update prices of settled columns so reduced costs stay nonnegative
  // and the new matching edges are tight.
  for (let k = 0; k < low; k++) {
    const j = collist[k]!;
    v[j] = v[j]! + d[j]! - min;
  }
  // Flip the alternating path back to the free row.
  let j = endOfPath;
  for (;;) {
    const i = pred[j]!;
    y[j] = i;
    const next = x[i]!;
    x[i] = j;
    if (i === freeRow) break;
    j = next;
  }
}

/**
 * Dijkstra from freeRow to the nearest unassigned column; returns that column
 * and leaves the settled count and path length in s.low and s.min.
 * Unlike the JV87 listing, which first gathers every column tied at the
 * minimum in a separate pass, we settle one column at a time and fuse "relax"
 * with "find next minimum" into a single sweep (as Crouse 2016 does), roughly
 * halving the O(n) passes per settled column. Ties prefer an unassigned
 * column, so degenerate inputs (e.g. all-equal costs) terminate at once.
 * collist: [0, low) settled columns, [low, n) not yet settled.
 */
function shortestAugmentingPath(s: Lap, freeRow: number): number {
  const { n, c, y, v, d, pred, collist } = s;
  const frow = freeRow * n;
  let best = Infinity;
  let bestK = 0;
  for (let j = 0; j < n; j++) {
    const h = c[frow + j]! - v[j]!;
    d[j] = h;
    pred[j] = freeRow;
    collist[j] = j;
    if (h < best || (h === best && y[j]! < 0)) {
      best = h;
      bestK = j;
    }
  }
  let low = 0;
  let min = 0;
  let endOfPath = -1;
  for (;;) {
    // Settle the closest unsettled column.
    const j1 = collist[bestK]!;
    collist[bestK] = collist[low]!;
    collist[low] = j1;
    min = best;
    if (y[j1]! < 0) {
      endOfPath = j1;
      break;
    }
    low++;
    // Relax through the row assigned to j1 and find the next minimum.
    const i = y[j1]!;
    const irow = i * n;
    const h = c[irow + j1]! - v[j1]! - min;
    best = Infinity;
    bestK = low;
    for (let k = low; k < n; k++) {
      const j = collist[k]!;
      let dj = d[j]!;
      const v2 = c[irow + j]! - v[j]! - h;
      if (v2 < dj) {
        // Distances never drop below the settled minimum (Dijkstra with
        // nonnegative reduced costs); clamp away rounding noise.
        dj = v2 > min ? v2 : min;
        d[j] = dj;
        pred[j] = i;
      }
      if (dj < best || (dj === best && y[j]! < 0)) {
        best = dj;
        bestK = k;
      }
    }
  }
  s.low = low;
  s.min = min;
  return endOfPath;
}

/** Inputs and output of squaredDistanceMatrix, shared by its block helpers. */
interface DistCtx {
  a: Float64Array;
  b: Float64Array;
  na: Float64Array; // |a_i|^2
  nb: Float64Array; // |b_j|^2
  out: Float64Array;
  n: number;
  d: number;
}

/**
 * Dense squared Euclidean distances D[i*n + j] = |a_i - b_j|^2 for row-major
 * n x d point sets. Uses |a|^2 + |b|^2 - 2 a.b, i.e. a matrix product done
 * in 4x2 register blocks (each loaded coordinate feeds 2-4 multiply-adds),
 * about 25% faster than 4x1 in V8. Cancellation can give tiny negatives,
 * which are clamped to 0.
 */
export function squaredDistanceMatrix(
  a: Float64Array,
  b: Float64Array,
  n: number,
  d: number,
): Float64Array {
  if (a.length !== n * d || b.length !== n * d) {
    throw new RangeError(`squaredDistanceMatrix: expected arrays of length n*d=${n * d}`);
  }
  const na = new Float64Array(n);
  const nb = new Float64Array(n);
  squaredNorms(a, b, n, d, na, nb);
  const out = new Float64Array(n * n);
  const ctx: DistCtx = { a, b, na, nb, out, n, d };
  const n4 = n - (n % 4);
  const n2 = n - (n % 2);
  for (let i = 0; i < n4; i += 4) {
    distanceRows4(ctx, i, n2);
    for (let j = n2; j < n; j++) {
      for (let t = 0; t < 4; t++) distanceCell(ctx, i + t, j);
    }
  }
  for (let i = n4; i < n; i++) {
    for (let j = 0; j < n; j++) distanceCell(ctx, i, j);
  }
  return out;
}

/** Row norms na[i] = |a_i|^2 and nb[i] = |b_i|^2. */
function squaredNorms(
  a: Float64Array,
  b: Float64Array,
  n: number,
  d: number,
  na: Float64Array,
  nb: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    let sa = 0;
    let sb = 0;
    const o = i * d;
    for (let k = 0; k < d; k++) {
      const p = a[o + k]!;
      const q = b[o + k]!;
      sa += p * p;
      sb += q * q;
    }
    na[i] = sa;
    nb[i] = sb;
  }
}

/** Scalar fallback for the ragged edges of the blocked loop: one entry (i, j). */
function distanceCell(ctx: DistCtx, i: number, j: number): void {
  const { a, b, d } = ctx;
  const oa = i * d;
  const ob = j * d;
  let s = 0;
  for (let k = 0; k < d; k++) s += a[oa + k]! * b[ob + k]!;
  const e = ctx.na[i]! + ctx.nb[j]! - 2 * s;
  ctx.out[i * ctx.n + j] = e > 0 ? e : 0;
}

/** Rows i..i+3, columns 0..n2-1, in 4x2 register blocks. */
function distanceRows4(ctx: DistCtx, i: number, n2: number): void {
  const { a, b, nb, out, n, d } = ctx;
  const o0 = i * d;
  const o1 = o0 + d;
  const o2 = o1 + d;
  const o3 = o2 + d;
  const a0 = ctx.na[i]!;
  const a1 = ctx.na[i + 1]!;
  const a2 = ctx.na[i + 2]!;
  const a3 = ctx.na[i + 3]!;
  const r0 = i * n;
  const r1 = r0 + n;
  const r2 = r1 + n;
  const r3 = r2 + n;
  for (let j = 0; j < n2; j += 2) {
    const p0 = j * d;
    const p1 = p0 + d;
    let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
    for (let k = 0; k < d; k++) {
      const q0 = b[p0 + k]!;
      const q1 = b[p1 + k]!;
      const x0 = a[o0 + k]!;
      const x1 = a[o1 + k]!;
      const x2 = a[o2 + k]!;
      const x3 = a[o3 + k]!;
      s00 += x0 * q0;
      s01 += x0 * q1;
      s10 += x1 * q0;
      s11 += x1 * q1;
      s20 += x2 * q0;
      s21 += x2 * q1;
      s30 += x3 * q0;
      s31 += x3 * q1;
    }
    const b0 = nb[j]!;
    const b1 = nb[j + 1]!;
    let e: number;
    e = a0 + b0 - 2 * s00; out[r0 + j] = e > 0 ? e : 0;
    e = a0 + b1 - 2 * s01; out[r0 + j + 1] = e > 0 ? e : 0;
    e = a1 + b0 - 2 * s10; out[r1 + j] = e > 0 ? e : 0;
    e = a1 + b1 - 2 * s11; out[r1 + j + 1] = e > 0 ? e : 0;
    e = a2 + b0 - 2 * s20; out[r2 + j] = e > 0 ? e : 0;
    e = a2 + b1 - 2 * s21; out[r2 + j + 1] = e > 0 ? e : 0;
    e = a3 + b0 - 2 * s30; out[r3 + j] = e > 0 ? e : 0;
    e = a3 + b1 - 2 * s31; out[r3 + j + 1] = e > 0 ? e : 0;
  }
}

/**
 * Exact OT pairing between two equal-size uniform empirical measures under
 * squared Euclidean cost: returns perm with x0[i] paired to x1[perm[i]],
 * minimising sum_i |x0_i - x1_perm[i]|^2 (the OT-CFM minibatch coupling).
 * WebAssembly when the kernels load (otPairingWasm), else the TypeScript reference.
 */
export function otPairing(x0: Float64Array, x1: Float64Array, n: number, d: number): Int32Array {
  return otPairingWasm(x0, x1, n, d) ?? otPairingReference(x0, x1, n, d);
}

/** otPairing with the TypeScript solver (the reference the WebAssembly path is tested against). */
export function otPairingReference(x0: Float64Array, x1: Float64Array, n: number, d: number): Int32Array {
  return solveAssignment(squaredDistanceMatrix(x0, x1, n, d), n);
}

/** Candidate tier sizes of the WebAssembly phase 3 (assembly/lap.ts LIST_K1, LIST_K2). */
export const OT_TIERS: readonly [number, number] = [32, 192];

interface LapKernels {
  otCost(a: number, b: number, n: number, dim: number, na: number, nb: number, bt: number, out: number): void;
  lapSolve(c: number, n: number, x: number, ws: number, k1: number, k2: number): void;
  lapWorkspaceBytes(n: number, k2: number): number;
  firstNonFinite(c: number, nn: number): number;
}

/** This thread's kernel instance (one per worker: the prefetch worker has its own), or null. */
let lapKernels: { k: LapKernels; memory: WebAssembly.Memory } | null | undefined;

function kernels(): { k: LapKernels; memory: WebAssembly.Memory } | null {
  if (lapKernels === undefined) {
    const inst = process.env.GRADEP_OT_WASM === '0' ? null : kernelInstance(1);
    lapKernels = inst ? { k: inst.exports as unknown as LapKernels, memory: inst.memory } : null;
  }
  return lapKernels;
}

/** Byte addresses of consecutive 64-byte-aligned regions from 64 KiB (below: the module's own), growing the memory to fit. */
function regions(mem: WebAssembly.Memory, sizes: number[]): number[] {
  const out: number[] = [];
  let at = 65536;
  for (const b of sizes) {
    out.push(at);
    at += Math.ceil(b / 64) * 64;
  }
  const have = mem.buffer.byteLength;
  if (at > have) mem.grow(Math.ceil((at - have) / 65536));
  return out;
}

/** Exact OT pairing in WebAssembly (cost matrix and solver); null when the kernels cannot load here. */
export function otPairingWasm(x0: Float64Array, x1: Float64Array, n: number, d: number): Int32Array | null {
  if (x0.length !== n * d || x1.length !== n * d) {
    throw new RangeError(`otPairing: expected arrays of length n*d=${n * d}`);
  }
  const K = kernels();
  if (!K || n < 2) return K ? solveAssignment(squaredDistanceMatrix(x0, x1, n, d), n) : null;
  const [k1, k2] = OT_TIERS;
  const [a, b, na, nb, bt, c, x, ws] = regions(K.memory, [8 * n * d, 8 * n * d, 8 * n, 8 * n, 16 * ((n + 1) >> 1) * d, 8 * n * n, 4 * n, K.k.lapWorkspaceBytes(n, k2)]);
  const buf = K.memory.buffer;
  new Float64Array(buf, a, n * d).set(x0);
  new Float64Array(buf, b, n * d).set(x1);
  K.k.otCost(a, b, n, d, na, nb, bt, c);
  const bad = K.k.firstNonFinite(c, n * n);
  if (bad >= 0) throw new RangeError(`solveAssignment: non-finite cost at index ${bad}`);
  K.k.lapSolve(c, n, x, ws, k1, k2);
  return new Int32Array(K.memory.buffer, x, n).slice();
}

/**
 * solveAssignment in WebAssembly for a given cost matrix, with candidate tiers k1 < k2 (tests
 * use small tiers to exercise the pruned phase 3 on small n); null when the kernels cannot load.
 */
export function solveAssignmentWasm(cost: Float64Array, n: number, tiers: readonly [number, number] = OT_TIERS): Int32Array | null {
  checkCost(cost, n);
  const K = kernels();
  if (!K) return null;
  if (n < 2) return solveAssignment(cost, n);
  const [c, x, ws] = regions(K.memory, [8 * n * n, 4 * n, K.k.lapWorkspaceBytes(n, tiers[1])]);
  new Float64Array(K.memory.buffer, c, n * n).set(cost);
  K.k.lapSolve(c, n, x, ws, tiers[0], tiers[1]);
  return new Int32Array(K.memory.buffer, x, n).slice();
}
