/**
 * Exact linear assignment in WebAssembly (float64): the squared-Euclidean cost matrix of an
 * OT pairing and the LAPJV solver (Jonker & Volgenant 1987, Computing 38:325-340), an
 * operation-for-operation port of src/flow/assignment.ts (its doc has the phases and why).
 * Same float64 operations in the same order, no FMA (f64x2 mul then add), so the cost matrix
 * and the permutation are bit-identical to the TypeScript solver's; only the speed differs
 * (no bounds checks, no JIT tiers, SIMD on the cost matrix).
 *
 * No allocation: every array lives at a caller-given address (src/flow/assignment.ts lays
 * them out); i32 arrays of n entries, f64 arrays of n entries, the cost n x n row-major.
 */

@inline function f(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}
@inline function fs(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}
@inline function g(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
@inline function gs(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

/**
 * D[i n + j] = |a_i - b_j|^2 = (|a_i|^2 + |b_j|^2) - 2 a_i.b_j, clamped at 0, for row-major
 * n x dim point sets a, b (the TypeScript squaredDistanceMatrix: each dot product summed over
 * k in order from 0, so the result is bit-identical). bt: scratch of (n + 1) / 2 * 2 * dim
 * f64 (b interleaved in column pairs, two SIMD lanes); na, nb: n f64 each.
 */
export function otCost(a: usize, b: usize, n: i32, dim: i32, na: usize, nb: usize, bt: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    let sa = 0.0;
    let sb = 0.0;
    const o = i * dim;
    for (let k = 0; k < dim; k++) {
      const p = f(a, o + k);
      const q = f(b, o + k);
      sa += p * p;
      sb += q * q;
    }
    fs(na, i, sa);
    fs(nb, i, sb);
  }
  const np = (n + 1) >> 1;
  for (let jp = 0; jp < np; jp++) {
    const j0 = jp << 1;
    const dst = bt + (<usize>(jp * dim) << 4);
    for (let k = 0; k < dim; k++) {
      store<f64>(dst + (<usize>k << 4), f(b, j0 * dim + k));
      store<f64>(dst + (<usize>k << 4), j0 + 1 < n ? f(b, (j0 + 1) * dim + k) : 0.0, 8);
    }
  }
  let i = 0;
  for (; i + 4 <= n; i += 4) costRows4(a, n, dim, na, nb, bt, out, i);
  for (; i < n; i++) costRow1(a, n, dim, na, nb, bt, out, i);
}

/** One cell pair (i, j0), (i, j0 + 1) of the cost from the lane sums s. */
@inline function storePair(out: usize, n: i32, i: i32, j0: i32, ai: f64, nb: usize, s: v128): void {
  const e = f64x2.sub(f64x2.add(f64x2.splat(ai), v128.load(nb + (<usize>j0 << 3))), f64x2.mul(f64x2.splat(2.0), s));
  const c = f64x2.pmax(f64x2.splat(0.0), e);
  const p = out + (<usize>(i * n + j0) << 3);
  store<f64>(p, f64x2.extract_lane(c, 0));
  if (j0 + 1 < n) store<f64>(p, f64x2.extract_lane(c, 1), 8);
}

/** Rows i..i+3 of the cost, two columns per SIMD vector. */
function costRows4(a: usize, n: i32, dim: i32, na: usize, nb: usize, bt: usize, out: usize, i: i32): void {
  const a0 = a + (<usize>(i * dim) << 3);
  const a1 = a0 + (<usize>dim << 3);
  const a2 = a1 + (<usize>dim << 3);
  const a3 = a2 + (<usize>dim << 3);
  const np = (n + 1) >> 1;
  for (let jp = 0; jp < np; jp++) {
    let q = bt + (<usize>(jp * dim) << 4);
    let s0 = f64x2.splat(0.0);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    for (let k = 0; k < dim; k++) {
      const bv = v128.load(q);
      const o = <usize>k << 3;
      s0 = f64x2.add(s0, f64x2.mul(v128.load64_splat(a0 + o), bv));
      s1 = f64x2.add(s1, f64x2.mul(v128.load64_splat(a1 + o), bv));
      s2 = f64x2.add(s2, f64x2.mul(v128.load64_splat(a2 + o), bv));
      s3 = f64x2.add(s3, f64x2.mul(v128.load64_splat(a3 + o), bv));
      q += 16;
    }
    const j0 = jp << 1;
    storePair(out, n, i, j0, f(na, i), nb, s0);
    storePair(out, n, i + 1, j0, f(na, i + 1), nb, s1);
    storePair(out, n, i + 2, j0, f(na, i + 2), nb, s2);
    storePair(out, n, i + 3, j0, f(na, i + 3), nb, s3);
  }
}

/** One row of the cost (the rows left over by costRows4). */
function costRow1(a: usize, n: i32, dim: i32, na: usize, nb: usize, bt: usize, out: usize, i: i32): void {
  const a0 = a + (<usize>(i * dim) << 3);
  const np = (n + 1) >> 1;
  for (let jp = 0; jp < np; jp++) {
    let q = bt + (<usize>(jp * dim) << 4);
    let s0 = f64x2.splat(0.0);
    for (let k = 0; k < dim; k++) {
      s0 = f64x2.add(s0, f64x2.mul(v128.load64_splat(a0 + (<usize>k << 3)), v128.load(q)));
      q += 16;
    }
    storePair(out, n, i, jp << 1, f(na, i), nb, s0);
  }
}

/** Index of the first non-finite entry of the n x n cost, or -1. */
export function firstNonFinite(c: usize, nn: i32): i32 {
  for (let k = 0; k < nn; k++) if (!isFinite(f(c, k))) return k;
  return -1;
}

// Workspace of lapSolve: arrays of n entries, 8 bytes each (i32 arrays use half), in this
// order, then the candidate lists: columns (n x LIST_K2 i32), then their costs (n x LIST_K2 f64).
const W_Y = 0;
const W_V = 1;
const W_FREE = 2;
const W_MATCH = 3;
const W_D = 4;
const W_PRED = 5;
const W_HEAP = 6;
const W_POS = 7;
const W_THR = 8;
const W_BUILT = 9;
const W_SCRATCH = 10;
const W_SETTLED = 11;
const W_CNT = 12; // tier sizes of each row's list (two i32)
const W_THR2 = 13;
const W_LISTS = 14;
/** Candidate columns kept per row for the pruned relaxation (tuned on 1797 x 1797 OT costs: 32-96 alike). */
/**
 * Tier sizes of the candidate lists (set per call; lapSolve's defaults: 32 and 192, tuned on
 * 1797 x 1797 OT costs, where 16-64 and 128-256 time alike). n <= LIST_K2 sweeps full rows.
 */
let LIST_K1 = 32;
let LIST_K2 = 192;

/** Bytes of lapSolve's workspace for size n. */
export function lapWorkspaceBytes(n: i32, k2: i32): i32 {
  return W_LISTS * (n << 3) + n * k2 * 12;
}

/** Scalars the phases share live in globals (per instance). */
let numFree: i32 = 0;
/** Entries in the Dijkstra heap (the unsettled columns). */
let hsize: i32 = 0;
let arrBudget: i32 = 0;
let su1: f64 = 0;
let sj1: i32 = 0;
let su2: f64 = 0;
let sj2: i32 = 0;

@inline function wsArr(ws: usize, n: i32, k: i32): usize {
  return ws + <usize>k * (<usize>n << 3);
}

/**
 * Solve min_perm sum_i c[i n + perm[i]] exactly (n >= 2) into x (row -> column, n i32).
 * k1 < k2: candidate tier sizes; ws: lapWorkspaceBytes(n, k2) bytes.
 */
export function lapSolve(c: usize, n: i32, x: usize, ws: usize, k1: i32, k2: i32): void {
  LIST_K1 = k1;
  LIST_K2 = k2;
  const y = wsArr(ws, n, W_Y);
  const v = wsArr(ws, n, W_V);
  const free = wsArr(ws, n, W_FREE);
  const matches = wsArr(ws, n, W_MATCH);
  const d = wsArr(ws, n, W_D);
  const pred = wsArr(ws, n, W_PRED);
  const built = wsArr(ws, n, W_BUILT);
  for (let i = 0; i < n; i++) {
    gs(x, i, -1);
    gs(y, i, -1);
    fs(v, i, 0);
    gs(matches, i, 0);
    gs(built, i, 0);
  }
  columnReduction(c, n, x, y, v, matches, d, pred);
  reductionTransfer(c, n, x, v, free, matches);
  arrBudget = 8 * n + 64;
  for (let pass = 0; pass < 2 && numFree > 0 && arrBudget > 0; pass++) {
    arrPass(c, n, x, y, v, free);
    if (arrBudget < 0) break;
  }
  numFree = 0;
  for (let i = 0; i < n; i++) if (g(x, i) < 0) gs(free, numFree++, i);
  const nf = numFree;
  for (let k = 0; k < nf; k++) augmentFreeRow(c, n, x, ws, g(free, k));
}

/** Phase 1a: row minima, then column minima of the row-reduced cost and the tentative matching. */
function columnReduction(c: usize, n: i32, x: usize, y: usize, v: usize, matches: usize, r: usize, argmin: usize): void {
  for (let i = 0; i < n; i++) {
    const row = c + (<usize>(i * n) << 3);
    let m = f(row, 0);
    for (let j = 1; j < n; j++) {
      const h = f(row, j);
      if (h < m) m = h;
    }
    fs(r, i, m);
  }
  for (let j = 0; j < n; j++) fs(v, j, Infinity);
  for (let i = 0; i < n; i++) {
    const row = c + (<usize>(i * n) << 3);
    const ri = f(r, i);
    for (let j = 0; j < n; j++) {
      const h = f(row, j) - ri;
      if (h < f(v, j)) {
        fs(v, j, h);
        gs(argmin, j, i);
      }
    }
  }
  for (let j = n - 1; j >= 0; j--) {
    const imin = g(argmin, j);
    const mm = g(matches, imin) + 1;
    gs(matches, imin, mm);
    if (mm == 1) {
      gs(x, imin, j);
      gs(y, j, imin);
    } else if (f(v, j) < f(v, g(x, imin))) {
      const j1 = g(x, imin);
      gs(x, imin, j);
      gs(y, j, imin);
      gs(y, j1, -1);
    }
  }
}

/** Phase 1b: reduction transfer; unmatched rows go to the free list. */
function reductionTransfer(c: usize, n: i32, x: usize, v: usize, free: usize, matches: usize): void {
  let nf = 0;
  for (let i = 0; i < n; i++) {
    const mi = g(matches, i);
    if (mi == 0) {
      gs(free, nf++, i);
    } else if (mi == 1) {
      const j1 = g(x, i);
      const row = c + (<usize>(i * n) << 3);
      let min = Infinity;
      for (let j = 0; j < n; j++) {
        if (j != j1) {
          const h = f(row, j) - f(v, j);
          if (h < min) min = h;
        }
      }
      fs(v, j1, f(row, j1) - min);
    }
  }
  numFree = nf;
}

/** Phase 2: one augmenting row reduction pass over the free list. */
function arrPass(c: usize, n: i32, x: usize, y: usize, v: usize, free: usize): void {
  let k = 0;
  const prv = numFree;
  let nf = 0;
  while (k < prv) {
    if (--arrBudget < 0) break;
    const i = g(free, k++);
    twoCheapestColumns(c, n, v, i);
    const u1 = su1;
    const u2 = su2;
    let j1 = sj1;
    let i0 = g(y, j1);
    if (u1 < u2) {
      fs(v, j1, f(v, j1) - (u2 - u1));
    } else if (i0 >= 0) {
      j1 = sj2;
      i0 = g(y, j1);
    }
    gs(x, i, j1);
    gs(y, j1, i);
    if (i0 >= 0) {
      gs(x, i0, -1);
      if (u1 < u2) gs(free, --k, i0);
      else gs(free, nf++, i0);
    }
  }
  numFree = nf;
}

/** Smallest (su1 at sj1) and second-smallest (su2 at sj2) reduced cost of row i. */
function twoCheapestColumns(c: usize, n: i32, v: usize, i: i32): void {
  const row = c + (<usize>(i * n) << 3);
  let u1 = f(row, 0) - f(v, 0);
  let j1 = 0;
  let u2 = Infinity;
  let j2 = -1;
  for (let j = 1; j < n; j++) {
    const h = f(row, j) - f(v, j);
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
  su1 = u1;
  sj1 = j1;
  su2 = u2;
  sj2 = j2;
}

// ---- Phase 3: Dijkstra with pruned relaxation ----
// The TypeScript solver relaxes every unsettled column from every settled row (O(n) each).
// Here the tentative distances sit in a binary heap and a settled row i relaxes only a
// candidate tier of its columns when that provably suffices. Tier A holds the columns j whose
// key c[i][j] - v[j] (v when the list was built) is below thr1[i], tier B those below thr2[i];
// every column outside a tier has key >= its threshold. Phase 3 only ever lowers prices v
// (settled columns have d <= min), so c[i][j] - v[j] >= key now, and (rounding is monotone)
// the candidate distance c[i][j] - v[j] - h >= thr - h. When thr - h >= UB, the smallest
// tentative distance of a free column (an upper bound of the path length), no column outside
// the tier can be settled before the path ends, so skipping it changes nothing: the result is
// the exact solver's (the same distances and prices; only the order among exact ties may
// differ). Otherwise the next tier, or finally the whole row, is swept.

/** Heap order: smaller distance first, an unassigned column first among ties (as the scan's tie rule). */
@inline function before(d: usize, y: usize, a: i32, b: i32): bool {
  const da = f(d, a);
  const db = f(d, b);
  return da < db || (da == db && g(y, a) < 0 && g(y, b) >= 0);
}

function siftUp(heap: usize, pos: usize, d: usize, y: usize, k: i32): void {
  const j = g(heap, k);
  while (k > 0) {
    const p = (k - 1) >> 1;
    const q = g(heap, p);
    if (!before(d, y, j, q)) break;
    gs(heap, k, q);
    gs(pos, q, k);
    k = p;
  }
  gs(heap, k, j);
  gs(pos, j, k);
}

function siftDown(heap: usize, pos: usize, d: usize, y: usize, k: i32, hn: i32): void {
  const j = g(heap, k);
  for (;;) {
    let ch = 2 * k + 1;
    if (ch >= hn) break;
    if (ch + 1 < hn && before(d, y, g(heap, ch + 1), g(heap, ch))) ch++;
    const q = g(heap, ch);
    if (!before(d, y, q, j)) break;
    gs(heap, k, q);
    gs(pos, q, k);
    k = ch;
  }
  gs(heap, k, j);
  gs(pos, j, k);
}

/** k-th smallest of a[lo..hi] moved to a[k] (Hoare quickselect, middle pivot). */
function select(a: usize, lo: i32, hi: i32, k: i32): void {
  while (hi > lo) {
    const p = f(a, (lo + hi) >> 1);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (f(a, i) < p) i++;
      while (f(a, j) > p) j--;
      if (i <= j) {
        const t = f(a, i);
        fs(a, i, f(a, j));
        fs(a, j, t);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** Row i's candidate columns (LIST_K2 entries; i32) and their costs (f64), each list contiguous. */
@inline function listCols(ws: usize, n: i32, i: i32): usize {
  return wsArr(ws, n, W_LISTS) + (<usize>(i * LIST_K2) << 2);
}
@inline function listCosts(ws: usize, n: i32, i: i32): usize {
  return wsArr(ws, n, W_LISTS) + (<usize>(n * LIST_K2) << 2) + (<usize>(i * LIST_K2) << 3);
}

/**
 * Candidate tiers of row i from the current prices, in its list of LIST_K2 entries: tier A
 * (from the front, count at CNT[2i]) holds the columns with key < thr1, the (LIST_K1+1)-th
 * smallest key; tier B (from the back, count at CNT[2i+1]) those with thr1 <= key < thr2,
 * the (LIST_K2+1)-th smallest. Every column outside tier A has key >= thr1, outside both
 * key >= thr2.
 */
function buildList(c: usize, n: i32, v: usize, ws: usize, i: i32): void {
  const sc = wsArr(ws, n, W_SCRATCH);
  const row = c + (<usize>(i * n) << 3);
  gs(wsArr(ws, n, W_BUILT), i, 1);
  for (let j = 0; j < n; j++) fs(sc, j, f(row, j) - f(v, j));
  select(sc, 0, n - 1, LIST_K2);
  const thr2 = f(sc, LIST_K2);
  select(sc, 0, LIST_K2 - 1, LIST_K1);
  const thr1 = f(sc, LIST_K1);
  fs(wsArr(ws, n, W_THR2), i, thr2);
  fs(wsArr(ws, n, W_THR), i, thr1);
  const cols = listCols(ws, n, i);
  const costs = listCosts(ws, n, i);
  let na = 0;
  let nb = 0;
  for (let j = 0; j < n; j++) {
    const cij = f(row, j);
    const key = cij - f(v, j);
    if (key < thr1) {
      gs(cols, na, j);
      fs(costs, na++, cij);
    } else if (key < thr2) {
      nb++;
      gs(cols, LIST_K2 - nb, j);
      fs(costs, LIST_K2 - nb, cij);
    }
  }
  const cnt = wsArr(ws, n, W_CNT);
  gs(cnt, 2 * i, na);
  gs(cnt, 2 * i + 1, nb);
}

/** Phase 3 for one free row: shortest augmenting path, price update, flip of the path. */
function augmentFreeRow(c: usize, n: i32, x: usize, ws: usize, freeRow: i32): void {
  const y = wsArr(ws, n, W_Y);
  const v = wsArr(ws, n, W_V);
  const d = wsArr(ws, n, W_D);
  const pred = wsArr(ws, n, W_PRED);
  const heap = wsArr(ws, n, W_HEAP);
  const pos = wsArr(ws, n, W_POS);
  const settled = wsArr(ws, n, W_SETTLED);
  const frow = c + (<usize>(freeRow * n) << 3);
  let ub = Infinity;
  for (let j = 0; j < n; j++) {
    const h = f(frow, j) - f(v, j);
    fs(d, j, h);
    gs(pred, j, freeRow);
    gs(heap, j, j);
    gs(pos, j, j);
    if (g(y, j) < 0 && h < ub) ub = h;
  }
  let hn = n;
  for (let k = (hn >> 1) - 1; k >= 0; k--) siftDown(heap, pos, d, y, k, hn);
  hsize = hn;
  let low = 0;
  let min = 0.0;
  let end = -1;
  for (;;) {
    const j1 = g(heap, 0);
    gs(pos, j1, -1);
    hn = --hsize;
    if (hn > 0) {
      gs(heap, 0, g(heap, hn));
      siftDown(heap, pos, d, y, 0, hn);
    }
    min = f(d, j1);
    if (g(y, j1) < 0) {
      end = j1;
      break;
    }
    gs(settled, low++, j1);
    ub = relaxRow(c, n, ws, g(y, j1), j1, min, ub);
  }
  for (let k = 0; k < low; k++) {
    const j = g(settled, k);
    fs(v, j, f(v, j) + f(d, j) - min);
  }
  let j = end;
  for (;;) {
    const i = g(pred, j);
    gs(y, j, i);
    const next = g(x, i);
    gs(x, i, j);
    if (i == freeRow) break;
    j = next;
  }
}

/** Relax the unsettled columns through row i (assigned to the column j1 just settled at min); returns the new UB. */
function relaxRow(c: usize, n: i32, ws: usize, i: i32, j1: i32, min: f64, ub: f64): f64 {
  const v = wsArr(ws, n, W_V);
  const irow = c + (<usize>(i * n) << 3);
  const h = f(irow, j1) - f(v, j1) - min;
  if (n > LIST_K2) {
    if (g(wsArr(ws, n, W_BUILT), i) == 0) buildList(c, n, v, ws, i);
    const cols = listCols(ws, n, i);
    const costs = listCosts(ws, n, i);
    const cnt = wsArr(ws, n, W_CNT);
    ub = relaxSpan(ws, n, i, cols, costs, 0, g(cnt, 2 * i), h, min, ub);
    if (f(wsArr(ws, n, W_THR), i) - h >= ub) return ub;
    ub = relaxSpan(ws, n, i, cols, costs, LIST_K2 - g(cnt, 2 * i + 1), LIST_K2, h, min, ub);
    if (f(wsArr(ws, n, W_THR2), i) - h >= ub) return ub;
  }
  // Neither tier suffices: sweep the whole row (list columns again: a repeat relaxation is a no-op).
  const y = wsArr(ws, n, W_Y);
  const d = wsArr(ws, n, W_D);
  const pred = wsArr(ws, n, W_PRED);
  const heap = wsArr(ws, n, W_HEAP);
  const pos = wsArr(ws, n, W_POS);
  for (let j = 0; j < n; j++) {
    const p = g(pos, j);
    if (p < 0) continue;
    const v2 = f(irow, j) - f(v, j) - h;
    if (v2 < f(d, j)) {
      const dj = v2 > min ? v2 : min;
      fs(d, j, dj);
      gs(pred, j, i);
      siftUp(heap, pos, d, y, p);
      if (g(y, j) < 0 && dj < ub) ub = dj;
    }
  }
  return ub;
}

/** Relax list positions [k0, k1) of row i (offset h); returns the new UB. */
function relaxSpan(ws: usize, n: i32, i: i32, cols: usize, costs: usize, k0: i32, k1: i32, h: f64, min: f64, ub: f64): f64 {
  const y = wsArr(ws, n, W_Y);
  const v = wsArr(ws, n, W_V);
  const d = wsArr(ws, n, W_D);
  const pred = wsArr(ws, n, W_PRED);
  const heap = wsArr(ws, n, W_HEAP);
  const pos = wsArr(ws, n, W_POS);
  for (let k = k0; k < k1; k++) {
    const j = g(cols, k);
    const p = g(pos, j);
    if (p < 0) continue;
    const v2 = f(costs, k) - f(v, j) - h;
    if (v2 < f(d, j)) {
      const dj = v2 > min ? v2 : min;
      fs(d, j, dj);
      gs(pred, j, i);
      siftUp(heap, pos, d, y, p);
      if (g(y, j) < 0 && dj < ub) ub = dj;
    }
  }
  return ub;
}
