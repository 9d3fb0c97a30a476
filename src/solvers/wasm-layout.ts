/**
 * Shared-memory layout of the WasmEngine and the job it posts to its workers. Kept apart
 * from wasm-engine.ts so the workers load nothing but this (and the kernels).
 */
import type { Dims } from '../circuit/params.js';
import table from './kernel-layout.json' with { type: 'json' };

type Entry = keyof typeof table.entries;

/**
 * Context block offsets (bytes) and its SIZE, from kernel-layout.json: the table
 * assembly/layout.ts (the kernels' copy) is generated from by scripts/gen-kernel-layout.mjs.
 */
export const CTX: Readonly<Record<Entry | 'SIZE', number>> = {
  ...(Object.fromEntries(Object.entries(table.entries).map(([name, e]) => [name, e.offset])) as Record<Entry, number>),
  SIZE: table.size,
};

/** Per-unit vectors of a chip transient, each N floats at chipv + 4 N k (CTX pointer of the same name). */
export const CHIP_VECTORS = ['OFF', 'GAIN', 'KL', 'KS', 'KNB', 'HR', 'SIG', 'PL', 'PS', 'PX', 'PN', 'PR', 'EA', 'P1', 'P2', 'DM', 'DOFF', 'SQ', 'SLN', 'WZ', 'EAZ', 'P1Z', 'P2Z', 'SIGZ'] as const;

/** The first 64 KiB stay free for the module's own (currently empty) static data. */
const BASE = 65536;
export const PAGE = 65536;
/** Module's declared maximum (asconfig.json maximumMemory), 1 GiB. */
export const MAX_PAGES = 16384;
/** Samples per tile: two register blocks of 4. */
export const TILE = 8;

export interface WasmLayout {
  nx: number; n1: number; n2: number; N: number;
  m: number; stride: number;
  ctx: number; pa1: number; pa2: number; ba1: number; ba2: number;
  sb: number; xtb: number; xgb: number;
  iters: number; evals: number; flags: number; resb: number;
  /** Chip transients: per-unit vectors (CHIP_VECTORS order, N floats each), per-sample generator states (16 u32) and window averages (N). */
  chipv: number; rngb: number; avgb: number;
  /** Per worker: tile (8 slots) and interleaved input buffer. */
  tiles: number[]; xbs: number[];
  Bpad: number; bytes: number;
  /** Slot offsets (bytes) in CTX order O_S..O_RES. */
  slot: Record<string, number>;
}

const up8 = (n: number) => Math.ceil(n / 8) * 8;
const al64 = (n: number) => Math.ceil(n / 64) * 64;

export function wasmLayout(d: Dims, B: number, m: number, threads: number): WasmLayout {
  const nx = up8(d.nx);
  const n1 = up8(d.n1);
  const n2 = up8(d.n2);
  const N = nx + n1 + n2;
  const Bpad = Math.max(TILE, Math.ceil(B / TILE) * TILE);
  // Slot: float32 vectors, then the f64 Anderson matrices.
  const slot: Record<string, number> = {};
  let o = 0;
  const f32 = (name: string, n: number) => {
    slot[name] = o;
    o = al64(o + 4 * n);
  };
  const f64 = (name: string, n: number) => {
    slot[name] = o;
    o = al64(o + 8 * Math.max(1, n));
  };
  f32('O_S', N); f32('O_XT', nx); f32('O_XG', nx); f32('O_G', N); f32('O_D', n1 + n2); f32('O_A', N);
  f32('O_R', n1 + n2); f32('O_H2', n1 + n2); f32('O_FP', N); f32('O_GMP', N); f32('O_BEST', N); f32('O_SPREV', N);
  f32('O_DF', Math.max(1, m) * N); f32('O_DG', Math.max(1, m) * N);
  f64('O_GRAM', m * m); f64('O_RHS', m); f64('O_SOLVE', m * m);
  // RES: f32 |g|^2, |s|^2, |s-g|^2, pad, f64 F, f64 sum of |terms of F|.
  f32('O_RES', 8);
  const stride = o;
  let p = BASE;
  const take = (bytes: number) => {
    const at = p;
    p = al64(p + bytes);
    return at;
  };
  const ctx = take(CTX.SIZE);
  const pa1 = take(4 * n1 * (nx + n2));
  const pa2 = take(4 * (nx + n2) * n1);
  const ba1 = take(4 * n1);
  const ba2 = take(4 * (nx + n2));
  const sb = take(4 * Bpad * N);
  const xtb = take(4 * Bpad * nx);
  const xgb = take(4 * Bpad * nx);
  const iters = take(4 * Bpad);
  const evals = take(4 * Bpad);
  const flags = take(4 * Bpad);
  const resb = take(8 * Bpad);
  const chipv = take(4 * N * CHIP_VECTORS.length);
  const rngb = take(64 * Bpad);
  const avgb = take(4 * Bpad * N);
  const tiles: number[] = [];
  const xbs: number[] = [];
  for (let w = 0; w < threads; w++) {
    tiles.push(take(TILE * stride));
    xbs.push(take(2 * 16 * N));
  }
  return { nx, n1, n2, N, m, stride, ctx, pa1, pa2, ba1, ba2, sb, xtb, xgb, iters, evals, flags, resb, chipv, rngb, avgb, tiles, xbs, Bpad, bytes: p, slot };
}

/** Job posted to a wasm worker (all pointers are byte offsets into the shared memory). */
export interface WasmJob {
  type: 'paper' | 'equilibrium' | 'chip';
  /** Chip transients: fixed steps, window length (steps), Heun (else Euler-Maruyama), noise on; exp: the exponential variant (exp_heun / exp_euler). */
  chip?: { steps: number; window: number; heun: boolean; noisy: boolean; exp?: boolean };
  layout: WasmLayout;
  worker: number;
  B: number;
  T: number;
  lambda: number;
  betaKappa: number;
  eq: { tol: number; maxIter: number; memory: number; eta: number; fallbackIter: number; fallbackEps: number };
  floorFactor: number;
  floorStop: number;
  stallIters: number;
  /** Relative float32 rounding allowance of the energy safeguard. */
  energyTol32: number;
}

