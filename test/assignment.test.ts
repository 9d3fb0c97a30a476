import { describe, it, expect } from 'vitest';
import { solveAssignment, squaredDistanceMatrix, otPairing, otPairingReference, otPairingWasm, solveAssignmentWasm, OT_TIERS } from '../src/flow/assignment.js';

/** Deterministic PRNG (mulberry32) so every run sees the same problems. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rng: () => number): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function totalCost(cost: Float64Array, n: number, perm: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += cost[i * n + perm[i]!]!;
  return s;
}

function isPermutation(p: Int32Array, n: number): boolean {
  if (p.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = p[i]!;
    if (!Number.isInteger(j) || j < 0 || j >= n || seen[j]) return false;
    seen[j] = 1;
  }
  return true;
}

/** Brute force over all n! permutations (Heap's algorithm). */
function bruteForceMin(cost: Float64Array, n: number): number {
  if (n === 0) return 0;
  const p = Array.from({ length: n }, (_, i) => i);
  const c = new Array<number>(n).fill(0);
  let best = totalCost(cost, n, p);
  let i = 0;
  while (i < n) {
    if (c[i]! < i) {
      const k = i % 2 === 0 ? 0 : c[i]!;
      const t = p[k]!;
      p[k] = p[i]!;
      p[i] = t;
      const s = totalCost(cost, n, p);
      if (s < best) best = s;
      c[i]!++;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
  return best;
}

/**
 * Independent O(n^3) Hungarian algorithm (Kuhn-Munkres with potentials,
 * e-maxx formulation, 1-indexed). Returns the optimal cost.
 */
function hungarianCost(cost: Float64Array, n: number): number {
  const INF = Infinity;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1); // p[j] = row matched to column j
  const way = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(n + 1).fill(INF);
    const used = new Uint8Array(n + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= n; j++) {
        if (!used[j]) {
          const cur = cost[(i0 - 1) * n + (j - 1)]! - u[i0]! - v[j]!;
          if (cur < minv[j]!) {
            minv[j] = cur;
            way[j] = j0;
          }
          if (minv[j]! < delta) {
            delta = minv[j]!;
            j1 = j;
          }
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  let s = 0;
  for (let j = 1; j <= n; j++) s += cost[(p[j]! - 1) * n + (j - 1)]!;
  return s;
}

type Gen = (rng: () => number, n: number) => Float64Array;

const generators: Record<string, Gen> = {
  uniform: (rng, n) => Float64Array.from({ length: n * n }, () => rng()),
  negative: (rng, n) => Float64Array.from({ length: n * n }, () => 200 * rng() - 100),
  intTies: (rng, n) => Float64Array.from({ length: n * n }, () => Math.floor(rng() * 3)),
  intNegTies: (rng, n) => Float64Array.from({ length: n * n }, () => Math.floor(rng() * 5) - 2),
  allEqual: (rng, n) => new Float64Array(n * n).fill(Math.floor(rng() * 7) - 3),
  allZero: (_rng, n) => new Float64Array(n * n),
  duplicateRows: (rng, n) => {
    const row = Array.from({ length: n }, () => Math.floor(rng() * 4));
    return Float64Array.from({ length: n * n }, (_, k) => row[k % n]!);
  },
  duplicateCols: (rng, n) => {
    const col = Array.from({ length: n }, () => rng() * 10 - 5);
    return Float64Array.from({ length: n * n }, (_, k) => col[Math.floor(k / n)]!);
  },
  rankOne: (rng, n) => {
    const a = Array.from({ length: n }, () => Math.floor(rng() * 4) - 1);
    const b = Array.from({ length: n }, () => Math.floor(rng() * 4) - 1);
    return Float64Array.from({ length: n * n }, (_, k) => a[Math.floor(k / n)]! * b[k % n]!);
  },
  sqEuclid: (rng, n) => {
    const d = 3;
    const a = Float64Array.from({ length: n * d }, () => gaussian(rng));
    const b = Float64Array.from({ length: n * d }, () => 2 * rng() - 1);
    return squaredDistanceMatrix(a, b, n, d);
  },
};

describe('solveAssignment', () => {
  it('handles n = 0 and n = 1', () => {
    expect(Array.from(solveAssignment(new Float64Array(0), 0))).toEqual([]);
    expect(Array.from(solveAssignment(Float64Array.of(-3.5), 1))).toEqual([0]);
  });

  it('rejects malformed input', () => {
    expect(() => solveAssignment(new Float64Array(5), 2)).toThrow(RangeError);
    expect(() => solveAssignment(Float64Array.of(0, NaN, 1, 2), 2)).toThrow(RangeError);
    expect(() => solveAssignment(Float64Array.of(0, Infinity, 1, 2), 2)).toThrow(RangeError);
  });

  for (const [name, gen] of Object.entries(generators)) {
    it(`matches brute force on small problems (${name}, n = 1..7)`, () => {
      const rng = mulberry32(0x9e3779b9 ^ name.length * 7919 ^ name.charCodeAt(0));
      for (let n = 1; n <= 7; n++) {
        const trials = n <= 5 ? 60 : 15;
        for (let t = 0; t < trials; t++) {
          const cost = gen(rng, n);
          const copy = cost.slice();
          const perm = solveAssignment(cost, n);
          expect(isPermutation(perm, n)).toBe(true);
          expect(cost).toEqual(copy); // input not mutated
          const best = bruteForceMin(cost, n);
          const got = totalCost(cost, n, perm);
          expect(Math.abs(got - best)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(best)));
        }
      }
    });
  }

  it('is deterministic', () => {
    const rng = mulberry32(42);
    const n = 60;
    const cost = generators.intTies!(rng, n);
    const a = solveAssignment(cost, n);
    const b = solveAssignment(cost, n);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('solves degenerate medium problems (all-zero, duplicate rows) to a permutation', () => {
    const n = 150;
    const zero = new Float64Array(n * n);
    const p0 = solveAssignment(zero, n);
    expect(isPermutation(p0, n)).toBe(true);
    const rng = mulberry32(7);
    const dup = generators.duplicateRows!(rng, n);
    const p1 = solveAssignment(dup, n);
    expect(isPermutation(p1, n)).toBe(true);
    expect(totalCost(dup, n, p1)).toBe(hungarianCost(dup, n));
  });

  it('matches an independent Hungarian solver at n = 200', () => {
    const n = 200;
    const cases: Array<[string, Gen]> = [
      ['uniform', generators.uniform!],
      ['negative', generators.negative!],
      ['intTies', generators.intTies!],
      [
        'sqEuclid64',
        (rng, m) => {
          const d = 64;
          const a = Float64Array.from({ length: m * d }, () => gaussian(rng));
          const b = Float64Array.from({ length: m * d }, () => 2 * rng() - 1);
          return squaredDistanceMatrix(a, b, m, d);
        },
      ],
    ];
    const rng = mulberry32(2024);
    for (const [, gen] of cases) {
      const cost = gen(rng, n);
      const perm = solveAssignment(cost, n);
      expect(isPermutation(perm, n)).toBe(true);
      const got = totalCost(cost, n, perm);
      const ref = hungarianCost(cost, n);
      expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ref)));
    }
  });
});

describe('squaredDistanceMatrix', () => {
  it('matches the direct formula and is nonnegative (all block edge cases)', () => {
    const rng = mulberry32(11);
    for (const [n, d] of [
      [1, 1],
      [2, 4],
      [5, 3],
      [6, 5],
      [8, 2],
      [11, 7],
    ] as const) {
      const a = Float64Array.from({ length: n * d }, () => gaussian(rng));
      const b = Float64Array.from({ length: n * d }, () => gaussian(rng));
      const D = squaredDistanceMatrix(a, b, n, d);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < d; k++) s += (a[i * d + k]! - b[j * d + k]!) ** 2;
          expect(D[i * n + j]).toBeGreaterThanOrEqual(0);
          expect(Math.abs(D[i * n + j]! - s)).toBeLessThanOrEqual(1e-12 * Math.max(1, s));
        }
      }
    }
    // identical points: exactly zero after clamping
    const p = Float64Array.of(1e8, -3, 0.1, 1e8, -3, 0.1);
    const Z = squaredDistanceMatrix(p, p, 2, 3);
    expect(Array.from(Z)).toEqual([0, 0, 0, 0]);
  });
});

describe('otPairing', () => {
  it('recovers a hidden permutation with zero cost', () => {
    const rng = mulberry32(99);
    const n = 64;
    const d = 8;
    const x0 = Float64Array.from({ length: n * d }, () => gaussian(rng));
    // Fisher-Yates shuffle: x1[sigma[i]] = x0[i]
    const sigma = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const t = sigma[i]!;
      sigma[i] = sigma[j]!;
      sigma[j] = t;
    }
    const x1 = new Float64Array(n * d);
    for (let i = 0; i < n; i++) x1.set(x0.subarray(i * d, (i + 1) * d), sigma[i]! * d);
    const perm = otPairing(x0, x1, n, d);
    expect(Array.from(perm)).toEqual(Array.from(sigma));
    const D = squaredDistanceMatrix(x0, x1, n, d);
    expect(totalCost(D, n, perm)).toBe(0);
  });

  it('is optimal vs brute force for small point clouds', () => {
    const rng = mulberry32(5);
    for (let t = 0; t < 40; t++) {
      const n = 2 + (t % 6);
      const d = 2;
      const x0 = Float64Array.from({ length: n * d }, () => gaussian(rng));
      const x1 = Float64Array.from({ length: n * d }, () => 2 * rng() - 1);
      const perm = otPairing(x0, x1, n, d);
      const D = squaredDistanceMatrix(x0, x1, n, d);
      expect(Math.abs(totalCost(D, n, perm) - bruteForceMin(D, n))).toBeLessThanOrEqual(1e-9);
    }
  });
});

/** The WebAssembly solver loads here (build/relax*.wasm present). */
const wasmLap = solveAssignmentWasm(Float64Array.of(0, 1, 1, 0), 2) !== null;

describe.skipIf(!wasmLap)('solveAssignmentWasm (WebAssembly LAPJV, pruned Dijkstra)', () => {
  const wasm = (cost: Float64Array, n: number, tiers?: readonly [number, number]) => solveAssignmentWasm(cost, n, tiers) as Int32Array;

  for (const [name, gen] of Object.entries(generators)) {
    it(`matches brute force with tiny candidate tiers (${name}, n = 2..7)`, () => {
      const rng = mulberry32(0x51ed27 ^ name.length * 131 ^ name.charCodeAt(1));
      for (let n = 2; n <= 7; n++) {
        for (let t = 0; t < (n <= 5 ? 30 : 8); t++) {
          const cost = gen(rng, n);
          const best = bruteForceMin(cost, n);
          // Tiers (1, 2) and (2, 3) prune on every n >= 3; the default tiers sweep full rows here.
          for (const tiers of [[1, 2], [2, 3], OT_TIERS] as const) {
            const perm = wasm(cost, n, tiers);
            expect(isPermutation(perm, n)).toBe(true);
            expect(Math.abs(totalCost(cost, n, perm) - best)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(best)));
          }
        }
      }
    });
  }

  it('gives the TypeScript solver\'s total cost on random problems of several sizes', () => {
    const rng = mulberry32(31337);
    const sq64: Gen = (r, m) => {
      const a = Float64Array.from({ length: m * 64 }, () => gaussian(r));
      const b = Float64Array.from({ length: m * 64 }, () => 2 * r() - 1);
      return squaredDistanceMatrix(a, b, m, 64);
    };
    const cases: Array<[number, Gen, readonly [number, number]]> = [
      [40, generators.uniform!, [4, 12]],
      [40, generators.intTies!, [4, 12]],
      [120, generators.negative!, [8, 32]],
      [120, generators.rankOne!, [8, 32]],
      [300, sq64, OT_TIERS],
      [300, generators.uniform!, OT_TIERS],
      [300, generators.allZero!, OT_TIERS],
      [500, sq64, [16, 64]],
    ];
    for (const [n, gen, tiers] of cases) {
      const cost = gen(rng, n);
      const perm = wasm(cost, n, tiers);
      expect(isPermutation(perm, n)).toBe(true);
      const ref = totalCost(cost, n, solveAssignment(cost, n));
      expect(Math.abs(totalCost(cost, n, perm) - ref)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ref)));
    }
  });

  it('matches an independent Hungarian solver at n = 200 with pruning', () => {
    const rng = mulberry32(77);
    const cost = generators.sqEuclid!(rng, 200);
    const perm = wasm(cost, 200, [8, 24]);
    expect(Math.abs(totalCost(cost, 200, perm) - hungarianCost(cost, 200))).toBeLessThanOrEqual(1e-9 * hungarianCost(cost, 200));
  });

  it('otPairing in WebAssembly pairs exactly as the TypeScript reference (digits-like OT, n = 400)', () => {
    const rng = mulberry32(4242);
    const n = 400;
    const d = 64;
    const x0 = Float64Array.from({ length: n * d }, () => gaussian(rng));
    const x1 = Float64Array.from({ length: n * d }, () => Math.round(16 * rng()) / 8 - 1);
    const a = otPairingWasm(x0, x1, n, d) as Int32Array;
    const b = otPairingReference(x0, x1, n, d);
    // Same cost matrix bit for bit and a unique optimum: the same permutation.
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(otPairing(x0, x1, n, d))).toEqual(Array.from(b));
  });

  it('rejects non-finite costs and points', () => {
    expect(() => solveAssignmentWasm(Float64Array.of(0, NaN, 1, 2), 2)).toThrow(RangeError);
    expect(() => otPairingWasm(Float64Array.of(1e200, 0, 0, 0), Float64Array.of(-1e200, 0, 0, 0), 2, 2)).toThrow(RangeError);
  });
});
