/**
 * Line resistance (IR drop) of one crossbar used in one direction (docs/circuit-model.md
 * "Line resistance"). Geometry: a logical matrix of ns sensed x nd driven lines; each logical
 * driven line d is a pair of physical lines, p = 2d driven at +V_d (carrying the G+ devices)
 * and p = 2d + 1 at -V_d (inverting driver; the G- devices), so the sensed line s collects
 * sum_d (G+ - G-) V_d. Driven line p is fed at its end s = 0 by an ideal source; sensed line s
 * is held at virtual ground by its amplifier at the end past p = P - 1 (P = 2 nd). Every cell
 * adds one wire segment of resistance r to both of its lines, including the segment from the
 * source or amplifier to the first cell. Wire dissipation is not counted in the power model.
 *
 * The network is linear, so it has a transfer matrix T (sensed current per drive voltage);
 * the effective weight is W[s][d] = (T[s][2d] - T[s][2d+1]) / G_unit.
 */

/** a (rows x cols, row-major) transposed into a new cols x rows array. */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
  return t;
}

/** Physical conductance of cell (driven line p, sensed line s) from the logical pair arrays [s * nd + d]. */
function cellG(gp: Float64Array, gm: Float64Array, nd: number, p: number, s: number): number {
  const d = p >> 1;
  return (p & 1) === 0 ? gp[s * nd + d] : gm[s * nd + d];
}

/**
 * First order in r: with the ideal currents G V flowing through the wires, the driven node of
 * cell (q, s) sits r V_q alpha_qs below its source and the sensed node r sum_p' G_p's V_p'
 * (P - max(q, p')) above ground, so
 *   T[s][q] = G_qs (1 - alpha_qs - beta_qs),
 *   alpha_qs = r sum_s' G_qs' (min(s, s') + 1),  beta_qs = r sum_p G_ps (P - max(p, q)).
 * O(cells) with prefix sums.
 */
function firstOrder(gp: Float64Array, gm: Float64Array, ns: number, nd: number, r: number, gu: number): Float64Array {
  const P = 2 * nd;
  // Cell conductances read once, in physical order both ways (cell [p * ns + s] for the driven
  // lines' sums, cellT [s * P + p] for the sensed lines'); alpha is kept sensed-major for the
  // second pass. cellG's values and the same sums: this runs for every array direction of every
  // programmed chip.
  const cell = new Float64Array(P * ns);
  const cellT = new Float64Array(P * ns);
  for (let s = 0; s < ns; s++) {
    for (let d = 0; d < nd; d++) {
      const a = gp[s * nd + d];
      const b = gm[s * nd + d];
      cell[2 * d * ns + s] = a;
      cell[(2 * d + 1) * ns + s] = b;
      cellT[s * P + 2 * d] = a;
      cellT[s * P + 2 * d + 1] = b;
    }
  }
  const alphaT = new Float64Array(P * ns);
  for (let p = 0; p < P; p++) {
    const o = p * ns;
    let tot = 0;
    for (let s = 0; s < ns; s++) tot += cell[o + s];
    let weighted = 0;
    let cum = 0;
    for (let s = 0; s < ns; s++) {
      const g = cell[o + s];
      weighted += g * (s + 1);
      cum += g;
      alphaT[s * P + p] = r * (weighted + (s + 1) * (tot - cum));
    }
  }
  const W = new Float64Array(ns * nd);
  const suffix = new Float64Array(P + 1);
  for (let s = 0; s < ns; s++) {
    const o = s * P;
    // suffix[q] = sum_{p >= q} G_ps (P - p); the prefix sum_{p < q} G_ps runs forward.
    suffix[P] = 0;
    for (let p = P - 1; p >= 0; p--) suffix[p] = suffix[p + 1] + cellT[o + p] * (P - p);
    let prefix = 0;
    for (let q = 0; q < P; q++) {
      const g = cellT[o + q];
      prefix += g;
      const beta = r * ((P - q) * prefix + suffix[q + 1]);
      const t = g * (1 - alphaT[o + q] - beta);
      W[s * nd + (q >> 1)] += (q & 1) === 0 ? t / gu : -t / gu;
    }
  }
  return W;
}

/** The network's nodal matrix (scaled by r: wires have conductance 1, devices g = G r) and its line preconditioner. */
class LineNetwork {
  readonly n: number;
  readonly g: Float64Array;
  /** Thomas factors of each line's tridiagonal block: driven lines (length ns) then sensed lines (length P). */
  private readonly cp: Float64Array;
  private readonly dinv: Float64Array;

  constructor(
    gp: Float64Array,
    gm: Float64Array,
    readonly ns: number,
    readonly nd: number,
    r: number,
  ) {
    const P = 2 * nd;
    this.n = 2 * P * ns;
    this.g = new Float64Array(P * ns);
    for (let p = 0; p < P; p++) for (let s = 0; s < ns; s++) this.g[p * ns + s] = cellG(gp, gm, nd, p, s) * r;
    this.cp = new Float64Array(this.n);
    this.dinv = new Float64Array(this.n);
    for (let p = 0; p < P; p++) this.factor(ns, (s) => this.diagA(p, s), p * ns, 1);
    for (let s = 0; s < ns; s++) this.factor(P, (p) => this.diagC(p, s), P * ns + s, ns);
  }

  /** Diagonal of driven node (p, s): wire to s - 1 (or the source), wire to s + 1 (if any), device. */
  diagA(p: number, s: number): number {
    return 1 + (s < this.ns - 1 ? 1 : 0) + this.g[p * this.ns + s];
  }

  /** Diagonal of sensed node (p, s): wire to p - 1 (if any), wire to p + 1 (or the amplifier), device. */
  diagC(p: number, s: number): number {
    return (p > 0 ? 1 : 0) + 1 + this.g[p * this.ns + s];
  }

  /** Thomas factorisation of a tridiagonal block with off-diagonals -1, entries at base + k * stride. */
  private factor(len: number, diag: (k: number) => number, base: number, stride: number): void {
    let c = 0;
    for (let k = 0; k < len; k++) {
      const idx = base + k * stride;
      const m = diag(k) + c; // b_k - a_k c'_{k-1} with a_k = -1
      this.dinv[idx] = 1 / m;
      c = -1 / m; // c'_k = c_k / m with c_k = -1
      this.cp[idx] = c;
    }
  }

  private solveBlock(len: number, base: number, stride: number, rhs: Float64Array, out: Float64Array): void {
    let prev = 0;
    for (let k = 0; k < len; k++) {
      const idx = base + k * stride;
      prev = (rhs[idx] + prev) * this.dinv[idx];
      out[idx] = prev;
    }
    for (let k = len - 2; k >= 0; k--) {
      const idx = base + k * stride;
      out[idx] -= this.cp[idx] * out[idx + stride];
    }
  }

  /** z = M^-1 v with M the block-diagonal of the line tridiagonals. */
  precondition(v: Float64Array, z: Float64Array): void {
    const P = 2 * this.nd;
    for (let p = 0; p < P; p++) this.solveBlock(this.ns, p * this.ns, 1, v, z);
    for (let s = 0; s < this.ns; s++) this.solveBlock(P, P * this.ns + s, this.ns, v, z);
  }

  /** y = A x. Unknowns: driven nodes a[p ns + s], then sensed nodes c[P ns + p ns + s]. */
  apply(x: Float64Array, y: Float64Array): void {
    const { ns, g } = this;
    const P = 2 * this.nd;
    const off = P * ns;
    for (let p = 0; p < P; p++) {
      for (let s = 0; s < ns; s++) {
        const i = p * ns + s;
        const a = x[i];
        const c = x[off + i];
        let ya = this.diagA(p, s) * a - g[i] * c;
        if (s > 0) ya -= x[i - 1];
        if (s < ns - 1) ya -= x[i + 1];
        let yc = this.diagC(p, s) * c - g[i] * a;
        if (p > 0) yc -= x[off + i - ns];
        if (p < P - 1) yc -= x[off + i + ns];
        y[i] = ya;
        y[off + i] = yc;
      }
    }
  }
}

/** Preconditioned conjugate gradients on the SPD nodal system A x = b to a relative residual of 1e-13. */
function pcg(net: LineNetwork, b: Float64Array, x: Float64Array): void {
  const n = net.n;
  const r = b.slice();
  const z = new Float64Array(n);
  const q = new Float64Array(n);
  x.fill(0);
  net.precondition(r, z);
  const p = z.slice();
  let rz = dot(r, z);
  const bn = Math.sqrt(dot(b, b));
  for (let it = 0; it < 10 * n && Math.sqrt(dot(r, r)) > 1e-13 * bn; it++) {
    net.apply(p, q);
    const a = rz / dot(p, q);
    for (let i = 0; i < n; i++) {
      x[i] += a * p[i];
      r[i] -= a * q[i];
    }
    net.precondition(r, z);
    const rz2 = dot(r, z);
    const beta = rz2 / rz;
    rz = rz2;
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * Exact: one solve of the resistive network per logical driven line d (+1 V on line 2d, -1 V
 * on 2d + 1, every other source at 0), the sensed currents I_s = c_{P-1,s} / r giving column d.
 * Cost: nd preconditioned-CG solves of 4 nd ns unknowns (seconds at the ReRAM preset's size).
 */
function exact(gp: Float64Array, gm: Float64Array, ns: number, nd: number, r: number, gu: number): Float64Array {
  const net = new LineNetwork(gp, gm, ns, nd, r);
  const P = 2 * nd;
  const b = new Float64Array(net.n);
  const x = new Float64Array(net.n);
  const W = new Float64Array(ns * nd);
  const off = P * ns;
  for (let d = 0; d < nd; d++) {
    // Unknowns relative to the ideal-wire solution (driven nodes at V_p, sensed nodes at 0), so
    // the tolerance applies to the small IR-drop voltages: A (a - V, c) = (-g V, g V) per cell.
    b.fill(0);
    for (const [p, V] of [[2 * d, 1], [2 * d + 1, -1]]) {
      for (let s = 0; s < ns; s++) {
        b[p * ns + s] = -net.g[p * ns + s] * V;
        b[off + p * ns + s] = net.g[p * ns + s] * V;
      }
    }
    pcg(net, b, x);
    for (let s = 0; s < ns; s++) W[s * nd + d] = x[P * ns + (P - 1) * ns + s] / r / gu;
  }
  return W;
}

/**
 * Effective weights W[s * nd + d] of a crossbar with logical pair conductances gp, gm (S, laid
 * out [s * nd + d]: sensed line s, driven line d) and wire resistance r (ohm per segment > 0).
 */
export function irDropWeights(gp: Float64Array, gm: Float64Array, ns: number, nd: number, r: number, model: 'first_order' | 'exact', gu: number): Float64Array {
  if (model !== 'exact') return firstOrder(gp, gm, ns, nd, r, gu);
  // The exact solve takes seconds at paper size and every CircuitModel of a programmed chip
  // asks for the same one: cache it by its inputs' contents (equal inputs give equal outputs).
  const key = `${contentHash(gp)}:${contentHash(gm)}:${ns}:${nd}:${r}:${gu}`;
  let w = exactCache.get(key);
  if (!w) {
    w = exact(gp, gm, ns, nd, r, gu);
    exactCache.set(key, w);
    if (exactCache.size > EXACT_CACHE_SIZE) exactCache.delete(exactCache.keys().next().value as string);
  }
  return w.slice();
}

/** Exact IR-drop solves kept (oldest dropped first): the four array directions of two chips. */
const EXACT_CACHE_SIZE = 8;
const exactCache = new Map<string, Float64Array>();

/** Two 32-bit FNV-1a hashes of an array's bytes and its length (a collision needs both to agree). */
export function contentHash(a: Float64Array): string {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < u.length; i++) {
    h1 = Math.imul(h1 ^ u[i], 0x01000193);
    h2 = Math.imul(h2 ^ u[i], 0x5bd1e995) ^ (h2 >>> 15);
  }
  return `${a.length}.${(h1 >>> 0).toString(36)}.${(h2 >>> 0).toString(36)}`;
}
