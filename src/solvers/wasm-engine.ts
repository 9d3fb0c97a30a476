/**
 * The fast relaxation engine: float32 WebAssembly SIMD kernels (assembly/relax.ts, built to
 * build/relax.wasm with relaxed FMA and build/relax-nofma.wasm without) run by worker_threads
 * on one shared WebAssembly.Memory, so every core works on the same batch.
 *
 * Semantics are those of the float64 reference in relax.ts:
 * - paper: exactly T steps of eps on every sample, then one evaluation for the residual;
 * - equilibrium: per-sample Anderson acceleration with the reference's safeguards (energy
 *   descent check with backtracking, plain-step fallback after maxIter). Slots of a tile are
 *   refilled from a shared sample queue as samples converge, so no core waits on a slow
 *   sample of its tile.
 * Float32 puts a floor under |grad F|_2: about 2-5e-6 on the paper initialisation, 4-6e-6 on
 * trained weights, 1.5e-5 with weights twice as strong (tol >= 1e-5 is reached for real).
 * A sample that reaches or stalls at the floor stops there instead of burning maxIter +
 * fallbackIter evaluations it cannot use (FLOOR_* below); with the float64 finish (default)
 * a sample left above tol is then finished by the float64 reference (finishFloat64), else it
 * is reported unconverged.
 * Iterations reported for a fallback sample are those actually taken.
 *
 * Every sample is computed independently of the others, with work handed out per tile or
 * per sample, so results are the same for any thread count.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { type Dims, type Params, stateSize } from '../circuit/params.js';
import type { Phase } from '../circuit/phase.js';
import type { TanhShape } from '../circuit/activation-shape.js';
import { packagePath } from '../util/paths.js';
import { callWorker, createEngine, type RelaxEngine, WorkerEngine } from './engine.js';
import { HESSIAN_FLOOR, type RelaxSpec, type TransientOptions } from '../circuit/analysis.js';
import { emptyStats, type RelaxStats, residuals } from './relax.js';
import { CHIP_VECTORS, CTX, MAX_PAGES, PAGE, type WasmJob, type WasmLayout, wasmLayout } from './wasm-layout.js';
import type { CircuitModel } from '../dynamics/circuit.js';
import type { TransientStats } from './transient.js';
import { expQ1, expQ2, expVar, isExponential } from './sde.js';
import { Rng } from '../util/rng.js';

export { CTX, type WasmJob, type WasmLayout, wasmLayout } from './wasm-layout.js';

/**
 * float32 rounding scale of |grad F| for a sample: 2^-24 sqrt(|s|^2 + |s - grad F|^2), the
 * size of the terms that cancel in grad F. Measured floors sit at 3-9x this scale. A best
 * residual within FLOOR_FACTOR x scale that stops improving is noise-limited; beyond it a
 * stall is a real convergence problem and gets the reference's treatment (maxIter, fallback).
 */
const FLOOR_FACTOR = 64;
/** A residual within FLOOR_STOP x scale is at the floor already: stop there at once. */
const FLOOR_STOP = 4;
/** Iterations without halving the best residual that count as a stall (acted on near the floor only). */
const STALL_ITERS = 8;
/**
 * F is summed in float32 from terms whose magnitudes add up to Fabs: its rounding is a few
 * 1e-7 Fabs, so the reference's 1e-9 relative allowance would reject round-off as ascent.
 */
const ENERGY_TOL32 = 64 * 2 ** -24;
/** Float64 iterations allowed to finish a sample from its float32 iterate (measured: 5-20 at the floor). */
const FINISH_ITERS = 60;

interface Compiled {
  module: WebAssembly.Module;
  fma: boolean;
}

let cached: { fma?: Compiled | null; nofma?: Compiled | null } = {};

function readWasm(name: string): Uint8Array<ArrayBuffer> | null {
  const f = packagePath('build', name);
  return existsSync(f) ? new Uint8Array(readFileSync(f)) : null;
}

/**
 * Relaxed SIMD is behind --experimental-wasm-relaxed-simd on Node 20 and cannot be passed in
 * a worker's execArgv (V8 flags are rejected there); the flag is process-wide, so enabling
 * it here before compiling covers the workers, which receive the compiled module.
 */
function compile(fma: boolean): Compiled | null {
  const key = fma ? 'fma' : 'nofma';
  if (cached[key] !== undefined) return cached[key] as Compiled | null;
  let out: Compiled | null = null;
  try {
    const bytes = readWasm(fma ? 'relax.wasm' : 'relax-nofma.wasm');
    if (bytes && typeof WebAssembly === 'object' && typeof SharedArrayBuffer === 'function') {
      let ok = WebAssembly.validate(bytes);
      if (!ok && fma) {
        try {
          setFlagsFromString('--experimental-wasm-relaxed-simd');
        } catch {
          /* flags frozen: stay without FMA */
        }
        ok = WebAssembly.validate(bytes);
      }
      if (ok) out = { module: new WebAssembly.Module(bytes), fma };
    }
  } catch {
    out = null;
  }
  cached = { ...cached, [key]: out };
  return out;
}

/** The kernels can run here: a wasm build exists, validates, and the worker script is built. */
export function wasmAvailable(): boolean {
  if (!existsSync(packagePath('dist', 'solvers', 'wasm-worker.js'))) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return false;
  }
  return compile(false) !== null || compile(true) !== null;
}

/**
 * An instance of the kernels on its own shared memory (initial `pages`, growable to
 * MAX_PAGES), for callers that run single-threaded kernels themselves (the exact OT pairing of
 * flow/assignment.ts). Prefers the build without relaxed SIMD: the float64 kernels use none,
 * and it needs no V8 flag. Null when no build loads here.
 */
export function kernelInstance(pages: number): { exports: WebAssembly.Exports; memory: WebAssembly.Memory } | null {
  const c = compile(false) ?? compile(true);
  if (!c) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: Math.max(1, pages), maximum: MAX_PAGES, shared: true });
    return { exports: new WebAssembly.Instance(c.module, { env: { memory } }).exports, memory };
  } catch {
    return null;
  }
}

export interface WasmEngineOptions {
  /** Use the relaxed-SIMD FMA build when it validates (default true; env GRADEP_WASM_FMA=0 turns it off). */
  fma?: boolean;
  /**
   * Mixed-precision finish of the equilibrium relaxation (default true; env
   * GRADEP_WASM_FINISH64=0 turns it off): samples that float32 leaves above tol (stalled at
   * its rounding floor, or out of Anderson iterations) skip the float32 plain-step fallback
   * and are finished by the float64 reference solver from their best float32 iterate, so
   * every sample reaches tol. Samples float32 converges are returned exactly as without it.
   */
  finish64?: boolean;
}

/** The chip's activation kind and tanh constants (src/circuit/activation-shape.ts) into the context block; returns the shape. */
function writeChipActivation(f: Float32Array, i32: Int32Array, ctx: number, sh: TanhShape | null): TanhShape | null {
  const v = (off: number, x: number) => f.fill(x, (ctx + off) >> 2, ((ctx + off) >> 2) + 4);
  i32[(ctx + CTX.ACT) >> 2] = sh ? 1 : 0;
  v(CTX.V_TA, sh ? sh.amplitude : 0);
  v(CTX.V_TIS, sh ? 1 / sh.scale : 0);
  v(CTX.V_TB, sh ? sh.bias : 0);
  return sh;
}

/** Constants of the kernels' activation (Cephes expf). */
function writeConstants(mem: ArrayBuffer | SharedArrayBuffer, ctx: number): void {
  const f = new Float32Array(mem, ctx, CTX.SIZE / 4);
  const i = new Int32Array(mem, ctx, CTX.SIZE / 4);
  const v = (off: number, x: number) => f.fill(x, off / 4, off / 4 + 4);
  v(CTX.V_ONE, 1);
  v(CTX.V_TWO, 2);
  v(CTX.V_TEN, 10);
  v(CTX.V_FIFTH, 0.2);
  v(CTX.V_HFLOOR, HESSIAN_FLOOR);
  v(CTX.V_ZERO, 0);
  // exp clamp: 2^n must stay a normal float (n in [-115, 127]; MAGIC's mantissa holds n + 127).
  v(CTX.V_EXPLO, -80);
  v(CTX.V_EXPHI, 88);
  v(CTX.V_LOG2E, 1.44269504088896341);
  v(CTX.V_NLN2HI, -0.693359375);
  v(CTX.V_NLN2LO, 2.12194440e-4);
  // Cephes expf polynomial, coefficients of r^5 .. r^0.
  v(CTX.V_E0, 1.9875691500e-4);
  v(CTX.V_E1, 1.3981999507e-3);
  v(CTX.V_E2, 8.3334519073e-3);
  v(CTX.V_E3, 4.1665795894e-2);
  v(CTX.V_E4, 1.6666665459e-1);
  v(CTX.V_E5, 5.0000001201e-1);
  v(CTX.V_MAGIC, 2 ** 23 + 127);
  i.fill(0x80000000 | 0, CTX.V_SIGN / 4, CTX.V_SIGN / 4 + 4);
}

/**
 * W packed in 8-output panels: panel p holds, for each input j, outputs 8p..8p+7 (zero-padded);
 * output o, input j lands at (o >> 3) nInPad 8 + 8 j + (o & 7). Zeroes the region first; the
 * caller then writes the real entries with panelAt (direct loops: this runs every transient).
 */
function clearPanels(dst: Float32Array, at: number, nOutPad: number, nInPad: number): void {
  dst.fill(0, at, at + nOutPad * nInPad);
}

function panelAt(at: number, nInPad: number, o: number, j: number): number {
  return at + ((o >> 3) * nInPad + j) * 8 + (o & 7);
}

/** Weights of the forward (f: W x, W1 rho(h1)) and backward (b: W^T rho) paths; an ideal network has f = b. */
interface PathWeights {
  W0f: Float64Array;
  W0b: Float64Array;
  W1f: Float64Array;
  W1b: Float64Array;
}

/**
 * PA1: outputs h1 (a1), inputs [x | rho(h2)]: W0f[i][j], then W1b^T[i][k] = W1b[k][i].
 * PA2: outputs [x (ax) | h2 (a2)], input rho(h1): W0b^T[j][i] = W0b[i][j], then W1f[k][i].
 */
function packWeights(f: Float32Array, L: WasmLayout, d: Dims, w: PathWeights): void {
  const { nx, n1, n2 } = L;
  const dx = d.nx;
  const d1 = d.n1;
  const d2 = d.n2;
  const a1 = L.pa1 / 4;
  const in1 = nx + n2;
  clearPanels(f, a1, n1, in1);
  for (let o = 0; o < d1; o++) {
    for (let j = 0; j < dx; j++) f[panelAt(a1, in1, o, j)] = w.W0f[o * dx + j];
    for (let k = 0; k < d2; k++) f[panelAt(a1, in1, o, nx + k)] = w.W1b[k * d1 + o];
  }
  const a2 = L.pa2 / 4;
  clearPanels(f, a2, nx + n2, n1);
  for (let i = 0; i < d1; i++) {
    for (let o = 0; o < dx; o++) f[panelAt(a2, n1, o, i)] = w.W0b[i * dx + o];
    for (let k = 0; k < d2; k++) f[panelAt(a2, n1, nx + k, i)] = w.W1f[k * d1 + i];
  }
}

/** Samples float32 left above tol: indices, float32 iterations and residuals; and the largest residual of the rest. */
interface Unconverged {
  idx: number[];
  its: number[];
  res: number[];
  convergedMax: number;
}

export class WasmEngine implements RelaxEngine {
  readonly threads: number;
  readonly fma: boolean;
  readonly finish64: boolean;
  private readonly memory: WebAssembly.Memory;
  private readonly workers: Worker[] = [];
  private ready: Promise<void>;

  constructor(threads = Math.max(1, Math.min(availableParallelism(), 8)), opts: WasmEngineOptions = {}) {
    this.threads = Math.max(1, threads | 0);
    const wantFma = (opts.fma ?? true) && process.env.GRADEP_WASM_FMA !== '0';
    const c = (wantFma ? compile(true) : null) ?? compile(false);
    if (!c) throw new Error('WasmEngine: no usable build/relax*.wasm (run npm run build:wasm)');
    this.fma = c.fma;
    this.finish64 = (opts.finish64 ?? true) && process.env.GRADEP_WASM_FINISH64 !== '0';
    this.memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
    const script = packagePath('dist', 'solvers', 'wasm-worker.js');
    const inits: Promise<void>[] = [];
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(script);
      this.workers.push(w);
      inits.push(this.call(w, { type: 'init', module: c.module, memory: this.memory }).then(() => undefined));
    }
    this.ready = Promise.all(inits).then(() => undefined);
    // Unhandled until the first relax awaits it; keep a failed init from crashing the process meanwhile.
    this.ready.catch(() => undefined);
  }

  static async create(threads?: number, opts?: WasmEngineOptions): Promise<WasmEngine> {
    const e = new WasmEngine(threads, opts);
    try {
      await e.ready;
    } catch (err) {
      await e.close();
      throw err;
    }
    return e;
  }

  private call(w: Worker, msg: unknown): Promise<unknown> {
    return callWorker<unknown>(w, msg, 'wasm worker', 'value');
  }

  /** The shared memory, grown to hold layout L (batch B). */
  private bufferFor(L: WasmLayout, B: number): ArrayBuffer | SharedArrayBuffer {
    const have = this.memory.buffer.byteLength;
    if (L.bytes > have) {
      const pages = Math.ceil((L.bytes - have) / PAGE);
      if (have / PAGE + pages > MAX_PAGES) throw new Error(`WasmEngine: batch ${B} needs more than ${MAX_PAGES} pages`);
      this.memory.grow(pages);
    }
    return this.memory.buffer;
  }

  /** Calls share one memory layout: run them one after another. */
  private queue: Promise<unknown> = Promise.resolve();

  relax(p: Params, d: Dims, s: Float64Array, ph: Phase, spec: RelaxSpec): Promise<RelaxStats> {
    const run = this.queue.then(() => this.relaxNow(p, d, s, ph, spec));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async relaxNow(p: Params, d: Dims, s: Float64Array, ph: Phase, spec: RelaxSpec): Promise<RelaxStats> {
    await this.ready;
    const B = ph.xt.length / d.nx;
    if (B === 0) return emptyStats();
    const eq = spec.equilibrium;
    const m = spec.method === 'equilibrium' ? Math.max(0, eq.memory | 0) : 0;
    const L = wasmLayout(d, B, m, this.threads);
    const buf = this.bufferFor(L, B);
    this.writeInputs(buf, L, p, d, s, ph, spec, B);
    const job: Omit<WasmJob, 'worker'> = {
      type: spec.method,
      layout: L,
      B,
      T: spec.paper.T,
      lambda: ph.lambda,
      betaKappa: ph.betaKappa,
      // The plain-step fallback stays on with the float64 finish: floor-limited samples skip it
      // (FLOOR_*), and samples stalled far from a solution need it (the finish alone left them
      // unconverged and derailed training after the demo's loss spike).
      eq: { tol: eq.tol, maxIter: eq.maxIter, memory: m, eta: eq.eta, fallbackIter: eq.fallbackIter, fallbackEps: eq.fallbackEps },
      floorFactor: FLOOR_FACTOR,
      floorStop: FLOOR_STOP,
      stallIters: STALL_ITERS,
      energyTol32: ENERGY_TOL32,
    };
    await Promise.all(this.workers.map((w, i) => this.call(w, { ...job, worker: i })));
    const stats = this.readOutputs(buf, L, d, s, B, spec, ph.clampX === true);
    if (spec.method !== 'equilibrium' || !this.finish64 || stats.unconverged === 0) return stats;
    return this.finishFloat64(p, d, s, ph, spec, stats, this.unconvergedSamples(buf, L, B));
  }

  /** Samples the float32 relaxation left above tol (flag bit 0), with their iterations and evaluations. */
  private unconvergedSamples(buf: ArrayBuffer | SharedArrayBuffer, L: WasmLayout, B: number): Unconverged {
    const i32 = new Int32Array(buf);
    const res = new Float64Array(buf, L.resb, L.Bpad);
    const out: Unconverged = { idx: [], its: [], res: [], convergedMax: 0 };
    for (let b = 0; b < B; b++) {
      if ((i32[(L.flags >> 2) + b] & 1) === 0) {
        out.convergedMax = Math.max(out.convergedMax, res[b]);
        continue;
      }
      out.idx.push(b);
      out.its.push(i32[(L.iters >> 2) + b]);
      out.res.push(res[b]);
    }
    return out;
  }

  /**
   * The mixed-precision finish of the samples float32 left above tol, on the float64 worker
   * engine (relaxEquilibrium, the reference) from their best float32 iterate: a sample at
   * float32's rounding floor needs 5-20 float64 iterations (measured on the paper
   * checkpoint), so the finish is capped at FINISH_ITERS with no fallback. A sample the
   * finish does not improve (float32 stalled far from a solution, where float64 Anderson
   * stagnates too) keeps its float32 result. Statistics are merged so a finished sample
   * counts its float32 and float64 iterations.
   */
  private async finishFloat64(p: Params, d: Dims, s: Float64Array, ph: Phase, spec: RelaxSpec, st: RelaxStats, u: Unconverged): Promise<RelaxStats> {
    this.f64Engine ??= new WorkerEngine(this.threads);
    const Nd = stateSize(d);
    const keep = new Float64Array(u.idx.length * Nd);
    u.idx.forEach((b, q) => keep.set(s.subarray(b * Nd, (b + 1) * Nd), q * Nd));
    const short: RelaxSpec = { ...spec, equilibrium: { ...spec.equilibrium, maxIter: Math.min(FINISH_ITERS, spec.equilibrium.maxIter), fallbackIter: 0 } };
    const a = await this.relaxSubset(p, d, s, ph, short, u.idx);
    const res = u.idx.map((b, q) => {
      if (a.res[q] <= u.res[q]) return a.res[q];
      s.set(keep.subarray(q * Nd, (q + 1) * Nd), b * Nd);
      return u.res[q];
    });
    const B = st.samples;
    const tol = spec.equilibrium.tol;
    return {
      samples: B,
      evaluations: st.evaluations + a.stats.evaluations,
      iterationsMax: Math.max(st.iterationsMax, Math.max(...u.its) + a.stats.iterationsMax),
      iterationsMean: st.iterationsMean + (a.stats.iterationsMean * u.idx.length) / B,
      residualMax: Math.max(u.convergedMax, ...res),
      residualMean: (st.residualMean * B - u.res.reduce((x, y) => x + y, 0) + res.reduce((x, y) => x + y, 0)) / B,
      unconverged: res.filter((x) => !(x <= tol)).length,
      fallbacks: st.fallbacks,
    };
  }

  /** Relax samples idx of s (in place) on the float64 engine; their float64 residuals after. */
  private async relaxSubset(p: Params, d: Dims, s: Float64Array, ph: Phase, spec: RelaxSpec, idx: number[]): Promise<{ stats: RelaxStats; res: Float64Array }> {
    const Nd = stateSize(d);
    const k = idx.length;
    const sub = new Float64Array(k * Nd);
    const xt = new Float64Array(k * d.nx);
    const xg = ph.xtarget ? new Float64Array(k * d.nx) : null;
    idx.forEach((b, q) => {
      sub.set(s.subarray(b * Nd, (b + 1) * Nd), q * Nd);
      xt.set(ph.xt.subarray(b * d.nx, (b + 1) * d.nx), q * d.nx);
      xg?.set((ph.xtarget as Float64Array).subarray(b * d.nx, (b + 1) * d.nx), q * d.nx);
    });
    const sph: Phase = { ...ph, xt, xtarget: xg };
    const stats = await (this.f64Engine as WorkerEngine).relax(p, d, sub, sph, spec);
    idx.forEach((b, q) => s.set(sub.subarray(q * Nd, (q + 1) * Nd), b * Nd));
    return { stats, res: residuals(p, d, sub, sph, 0, k) };
  }

  /** float64 params/state/targets -> padded float32 regions, and the phase constants. */
  private writeInputs(buf: ArrayBuffer | SharedArrayBuffer, L: WasmLayout, p: Params, d: Dims, s: Float64Array, ph: Phase, spec: RelaxSpec, B: number, w?: PathWeights): void {
    const { nx, n1, n2, N } = L;
    const f = new Float32Array(buf);
    const i32 = new Int32Array(buf);
    const c = L.ctx;
    writeConstants(buf, c);
    const ints: [number, number][] = [
      [CTX.NX, nx], [CTX.N1, n1], [CTX.N2, n2], [CTX.N, N], [CTX.PA1, L.pa1], [CTX.PA2, L.pa2],
      [CTX.BA1, L.ba1], [CTX.BA2, L.ba2], [CTX.CLAMPX, ph.clampX ? 1 : 0], [CTX.STRIDE, L.stride], [CTX.M, L.m],
      [CTX.PRECOND, spec.method === 'equilibrium' && spec.equilibrium.precondition === 'diag_hessian' ? 1 : 0],
    ];
    for (const [o, v] of ints) i32[(c + o) >> 2] = v;
    for (const [name, o] of Object.entries(L.slot)) i32[(c + CTX[name as keyof typeof CTX]) >> 2] = o;
    // Tikhonov factor: the Gram matrix is built from float32 dot products (relative error
    // ~1e-7), so the reference's 1e-10 would not regularise anything.
    new Float64Array(buf, c + CTX.REG, 1)[0] = 1e-7;
    const vf = (off: number, x: number) => f.fill(x, (c + off) / 4, (c + off) / 4 + 4);
    vf(CTX.V_LAMBDA, ph.lambda);
    vf(CTX.V_BK, ph.betaKappa);
    vf(CTX.V_NEGEPS, -spec.paper.eps);
    packWeights(f, L, d, w ?? { W0f: p.W0, W0b: p.W0, W1f: p.W1, W1b: p.W1 });
    const dx = d.nx;
    const d1 = d.n1;
    const d2 = d.n2;
    f.fill(0, L.ba1 / 4, L.ba1 / 4 + n1);
    f.set(p.b0, L.ba1 / 4);
    f.fill(0, L.ba2 / 4, L.ba2 / 4 + nx + n2);
    f.set(p.bx, L.ba2 / 4);
    f.set(p.b1, L.ba2 / 4 + nx);
    // State, anchors and targets, zero-padded (padded units stay exactly 0: zero weights,
    // rho(0) = 0; padded samples are all-zero and never read back).
    const Nd = stateSize(d);
    const sb = L.sb / 4;
    f.fill(0, sb, sb + L.Bpad * N);
    f.fill(0, L.xtb / 4, L.xtb / 4 + L.Bpad * nx);
    f.fill(0, L.xgb / 4, L.xgb / 4 + L.Bpad * nx);
    for (let b = 0; b < B; b++) {
      const src = b * Nd;
      const dst = sb + b * N;
      for (let j = 0; j < dx; j++) f[dst + j] = s[src + j];
      for (let k = 0; k < d1; k++) f[dst + nx + k] = s[src + dx + k];
      for (let k = 0; k < d2; k++) f[dst + nx + n1 + k] = s[src + dx + d1 + k];
      const xo = b * dx;
      const to = L.xtb / 4 + b * nx;
      for (let j = 0; j < dx; j++) f[to + j] = ph.xt[xo + j];
      if (ph.xtarget && ph.betaKappa !== 0) {
        const go = L.xgb / 4 + b * nx;
        for (let j = 0; j < dx; j++) f[go + j] = ph.xtarget[xo + j];
      }
    }
    Atomics.store(i32, (c + CTX.COUNTER) >> 2, 0);
  }

  private readOutputs(buf: ArrayBuffer | SharedArrayBuffer, L: WasmLayout, d: Dims, s: Float64Array, B: number, spec: RelaxSpec, clampX: boolean): RelaxStats {
    const { nx, n1, N } = L;
    const f = new Float32Array(buf);
    const i32 = new Int32Array(buf);
    const res = new Float64Array(buf, L.resb, L.Bpad);
    const Nd = stateSize(d);
    const stats = emptyStats();
    let itSum = 0;
    let resSum = 0;
    const tol = spec.method === 'equilibrium' ? spec.equilibrium.tol : Infinity;
    for (let b = 0; b < B; b++) {
      const src = L.sb / 4 + b * N;
      const dst = b * Nd;
      // A clamped x stays exactly the caller's float64 value (not its float32 rounding).
      if (!clampX) for (let j = 0; j < d.nx; j++) s[dst + j] = f[src + j];
      for (let k = 0; k < d.n1; k++) s[dst + d.nx + k] = f[src + nx + k];
      for (let k = 0; k < d.n2; k++) s[dst + d.nx + d.n1 + k] = f[src + nx + n1 + k];
      const it = i32[(L.iters >> 2) + b];
      const r = res[b];
      stats.evaluations += i32[(L.evals >> 2) + b];
      itSum += it;
      resSum += r;
      if (it > stats.iterationsMax) stats.iterationsMax = it;
      if (!(r <= stats.residualMax)) stats.residualMax = r;
      if (!(r <= tol)) stats.unconverged++;
      if (i32[(L.flags >> 2) + b] & 2) stats.fallbacks++;
    }
    stats.samples = B;
    stats.iterationsMean = itSum / B;
    stats.residualMean = resSum / B;
    return stats;
  }

  /** odex transients and traced runs stay float64: the worker engine runs them. */
  private f64Engine: WorkerEngine | null = null;

  /**
   * Physical transient of a chip (solvers/transient.ts semantics) in float32 SIMD for the fixed-step
   * solvers: the chip's mismatched conductances, activation elements, springs, nudges, leaks and
   * capacitances, Johnson-Nyquist noise, window averaging and the dissipated energy. Each sample
   * draws its noise from its own 4-lane generator seeded from Rng(seed, "thermal", ...stream,
   * sample), so results are reproducible and independent of threads and tiles, but the noise
   * path differs from the float64 engine's (same distribution). odex and traced runs go to the
   * float64 engine.
   */
  transient(model: CircuitModel, s: Float64Array, ph: Phase, o: TransientOptions, avg: Float64Array): Promise<TransientStats> {
    // Effects the float32 kernel does not implement run on the float64 engine too.
    if (o.solver === 'odex' || o.traceTimes || !model.kernelSupported) {
      this.f64Engine ??= new WorkerEngine(this.threads);
      return this.f64Engine.transient(model, s, ph, o, avg);
    }
    const run = this.queue.then(() => this.transientNow(model, s, ph, o, avg));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async transientNow(model: CircuitModel, s: Float64Array, ph: Phase, o: TransientOptions, avg: Float64Array): Promise<TransientStats> {
    await this.ready;
    const d = model.d;
    const B = ph.xt.length / d.nx;
    const n = Math.max(1, Math.round(o.duration / o.dt));
    const h = o.duration / n;
    const nw = o.window > 0 ? Math.min(n, Math.max(1, Math.round(o.window / h))) : 0;
    const heun = o.solver === 'heun' || o.solver === 'exp_heun';
    const exp = isExponential(o.solver);
    const noisy = o.solver !== 'euler' && model.noisy;
    const stats: TransientStats = { samples: B, steps: n * B, evaluations: n * (heun ? 2 : 1) * B, time: o.duration, energyMean: 0, settleTimeMax: null, settleTimeMean: null };
    if (B === 0) return stats;
    // Amplifier poles keep z, its Heun start and its noise in the slot's DF (3 N), Gz in DG.
    const L = wasmLayout(d, B, model.wa ? 3 : 0, this.threads);
    const buf = this.bufferFor(L, B);
    this.writeChipInputs(buf, L, model, s, ph, o, B, h);
    const job: Omit<WasmJob, 'worker'> = {
      type: 'chip',
      chip: { steps: n, window: nw, heun, noisy, exp },
      layout: L,
      B,
      T: 0,
      lambda: 0,
      betaKappa: ph.betaKappa,
      eq: { tol: 0, maxIter: 0, memory: 0, eta: 0, fallbackIter: 0, fallbackEps: 0 },
      floorFactor: 0,
      floorStop: 0,
      stallIters: 0,
      energyTol32: 0,
    };
    await Promise.all(this.workers.map((w, i) => this.call(w, { ...job, worker: i })));
    const f = new Float32Array(buf);
    const res = new Float64Array(buf, L.resb, L.Bpad);
    const Nd = stateSize(d);
    const { nx, n1, N } = L;
    let psum = 0;
    for (let b = 0; b < B; b++) {
      const src = L.sb / 4 + b * N;
      const av = L.avgb / 4 + b * N;
      const dst = b * Nd;
      const copy = (out: Float64Array, at: number) => {
        // A clamped x stays exactly the caller's float64 value (it is held by its source).
        if (!ph.clampX) for (let j = 0; j < d.nx; j++) out[dst + j] = f[at + j];
        else if (out !== s) for (let j = 0; j < d.nx; j++) out[dst + j] = s[dst + j];
        for (let k = 0; k < d.n1; k++) out[dst + d.nx + k] = f[at + nx + k];
        for (let k = 0; k < d.n2; k++) out[dst + d.nx + d.n1 + k] = f[at + nx + n1 + k];
      };
      copy(avg, av);
      copy(s, src);
      psum += res[b];
    }
    // Left-point rule, as the reference: E = sum_k P(y_k) h, P kept in units of G_unit V_unit^2.
    stats.energyMean = (psum / B) * model.gUnit * model.vUnit * model.vUnit * h;
    return stats;
  }

  /** Chip weights (forward/backward paths), biases (with the line offsets), per-unit vectors and generator seeds. */
  private writeChipInputs(buf: ArrayBuffer | SharedArrayBuffer, L: WasmLayout, model: CircuitModel, s: Float64Array, ph: Phase, o: TransientOptions, B: number, h: number): void {
    const d = model.d;
    const chip = model.chip;
    // With source noise placement the nudge element's noise joins sigma per phase.
    if (model.ph !== ph) model.setPhase(ph);
    const eq = { tol: 0, maxIter: 0, memory: 0, eta: 0, fallbackIter: 0, fallbackEps: 0, precondition: 'none' as const };
    // The shared writer fills constants, sizes, weights (the chip's forward and backward paths), state, anchors and targets.
    this.writeInputs(buf, L, chipBiases(model), d, s, { lambda: 0, betaKappa: ph.betaKappa, xt: ph.xt, xtarget: ph.xtarget, clampX: ph.clampX }, { method: 'paper', paper: { eps: 0, T: 0 }, equilibrium: eq }, B, model.w);
    const f = new Float32Array(buf);
    const i32 = new Int32Array(buf);
    const { N } = L;
    const vec: ChipVec = (name) => {
      const at = L.chipv / 4 + CHIP_VECTORS.indexOf(name) * N;
      f.fill(0, at, at + N);
      i32[(L.ctx + CTX[name]) >> 2] = 4 * at;
      return at;
    };
    const ix = chipIndex(L, d);
    const gu = model.gUnit;
    const s2 = model.readScale * model.readScale;
    const rates = new Float64Array(model.nState);
    model.linearRates(rates);
    const off = vec('OFF');
    const gain = vec('GAIN');
    const pr = vec('PR');
    // The activation element: the tanh kind's u0 joins each unit's offset.
    const sh = writeChipActivation(f, i32, L.ctx, chip.shape);
    for (let i = 0; i < d.n1 + d.n2; i++) {
      f[off + ix.h(i)] = chip.offset[i] + (sh ? sh.offset : 0);
      f[gain + ix.h(i)] = chip.gain[i];
      f[pr + ix.h(i)] = ((i < d.n1 ? model.s0row[i] + model.s1col[i] : model.s1row[i - d.n1]) * s2) / gu;
    }
    const kl = vec('KL');
    const hr = vec('HR');
    const pl = vec('PL');
    for (let n = 0; n < model.N; n++) {
      const q = ix.s(n);
      f[kl + q] = chip.GL[n] / gu;
      f[pl + q] = chip.GL[n] / gu;
      f[hr + q] = (h * gu) / chip.C[n];
    }
    if (isExponential(o.solver)) writeExpVectors(f, vec, ix, model, rates, h);
    const ks = vec('KS');
    const knb = vec('KNB');
    const ps = vec('PS');
    const px = vec('PX');
    const pn = vec('PN');
    for (let j = 0; j < d.nx; j++) {
      f[ks + j] = chip.gSpring[j] / gu;
      f[knb + j] = ph.betaKappa * chip.nudgeGain[j];
      f[ps + j] = chip.gSpring[j] / gu;
      f[px + j] = (model.s0col[j] * s2) / gu;
      f[pn + j] = Math.abs(ph.betaKappa) * chip.nudgeGain[j];
    }
    const flags = writeNoiseVectors(f, vec, ix, model, ph, o, rates, h) | writePeripheryVectors(f, vec, ix, model, h);
    // The sinh device I-V: every driven line's input u enters the products as sinh(k u) / k.
    const k = model.ivK;
    f.fill(k, (L.ctx + CTX.V_IVK) / 4, (L.ctx + CTX.V_IVK) / 4 + 4);
    f.fill(k === 0 ? 0 : 1 / (2 * k), (L.ctx + CTX.V_IVH) / 4, (L.ctx + CTX.V_IVH) / 4 + 4);
    i32[(L.ctx + CTX.CHIPF) >> 2] = flags | (k !== 0 ? 16 : 0);
    // One 4-lane xoshiro128** state per sample, from the sample's named stream.
    const u = new Uint32Array(buf, L.rngb, 16 * L.Bpad);
    u.fill(0);
    for (let b = 0; b < B; b++) {
      const r = new Rng(o.seed, 'thermal', ...o.stream, b);
      for (let k = 0; k < 16; k++) u[16 * b + k] = r.nextU32();
      for (let k = 12; k < 16; k++) u[16 * b + k] |= 1; // no lane may start all-zero
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
    await this.f64Engine?.close();
    this.f64Engine = null;
  }
}

/** Zeroes chip vector `name` (CHIP_VECTORS), points the context at it and returns its float index. */
type ChipVec = (name: (typeof CHIP_VECTORS)[number]) => number;

/** Padded kernel index of node n (x, then h1, then h2) and of hidden unit i (n1 then n2). */
interface ChipIndex {
  s(n: number): number;
  h(i: number): number;
}

function chipIndex(L: WasmLayout, d: Dims): ChipIndex {
  return {
    s: (n) => (n < d.nx ? n : n < d.nx + d.n1 ? L.nx + (n - d.nx) : L.nx + L.n1 + (n - d.nx - d.n1)),
    h: (i) => (i < d.n1 ? i : L.n1 + (i - d.n1)),
  };
}

/** The chip's biases plus its constant line currents (CircuitModel.lineOffset): both add to the drives. */
function chipBiases(model: CircuitModel): Params {
  const b = model.chip.bias;
  const lo = model.lineOffset;
  if (!lo) return b;
  const { nx, n1 } = model.d;
  return { ...b, bx: b.bx.map((v, j) => v + lo[j]), b0: b.b0.map((v, i) => v + lo[nx + i]), b1: b.b1.map((v, k) => v + lo[nx + n1 + k]) };
}

/**
 * Exponential schemes (solvers/sde.ts exp_euler / exp_heun): per node e^{-a h}, phi1 G_unit / C and
 * phi2 G_unit / C from the phase's linear rates a (model.linearRates: 0 on a clamped x, whose
 * force the kernel zeroes).
 */
function writeExpVectors(f: Float32Array, vec: ChipVec, ix: ChipIndex, model: CircuitModel, rates: Float64Array, h: number): void {
  const ea = vec('EA');
  const p1 = vec('P1');
  const p2 = vec('P2');
  for (let n = 0; n < model.N; n++) {
    const q = ix.s(n);
    const x = rates[n] * h;
    const k = (h * model.gUnit) / model.chip.C[n];
    f[ea + q] = Math.exp(-x);
    f[p1 + q] = expQ1(x) * k;
    f[p2 + q] = expQ2(x) * k;
  }
}

/**
 * One step's noise std per state (0 with the noise off and on a clamped x): sigma sqrt(h), or with
 * the exponential schemes the exact OU std sigma sqrt(h expVar(a h)). Multiplicative line noise
 * (model.multiplicative): a hidden node gets raw normals (SIG = 1), scaled in the kernel to
 * sqrt(SQ + (D SLN)^2). Returns the CHIPF bit it needs (4) or 0.
 */
function writeNoiseVectors(f: Float32Array, vec: ChipVec, ix: ChipIndex, model: CircuitModel, ph: Phase, o: TransientOptions, rates: Float64Array, h: number): number {
  const sig = vec('SIG');
  const sq = vec('SQ');
  const sln = vec('SLN');
  const sigz = vec('SIGZ');
  if (o.solver === 'euler') return 0;
  const exp = isExponential(o.solver);
  const nf = (n: number) => Math.sqrt(h * (exp ? expVar(rates[n] * h) : 1));
  const { nx } = model.d;
  const N = model.N;
  for (let n = 0; n < N; n++) {
    if (ph.clampX && n < nx) continue;
    if (model.multiplicative && n >= nx) {
      const k = nf(n);
      f[sig + ix.s(n)] = 1;
      f[sq + ix.h(n - nx)] = model.sig2[n] * k * k;
      f[sln + ix.h(n - nx)] = model.sLine[n - nx] * k;
    } else f[sig + ix.s(n)] = model.sigma[n] * nf(n);
  }
  if (model.wa) for (let n = 0; n < N; n++) f[sigz + ix.s(n)] = model.sigma[N + n] * nf(N + n);
  return model.multiplicative ? 4 : 0;
}

/**
 * The periphery's vectors: rho' path (DM = rho' gain x multiplier gain, DOFF) and the amplifier
 * poles (WZ = w_a h, EAZ, P1Z = phi1 w_a, P2Z = phi2 w_a). Returns the CHIPF bits (1, 2, 8) they need.
 */
function writePeripheryVectors(f: Float32Array, vec: ChipVec, ix: ChipIndex, model: CircuitModel, h: number): number {
  const { derivGain, derivOffset, multGain } = model.per;
  const dm = vec('DM');
  const doff = vec('DOFF');
  const wz = vec('WZ');
  const eaz = vec('EAZ');
  const p1z = vec('P1Z');
  const p2z = vec('P2Z');
  const nh = model.d.n1 + model.d.n2;
  let flags = 0;
  if (derivGain || multGain) {
    flags |= 1;
    for (let i = 0; i < nh; i++) f[dm + ix.h(i)] = (derivGain?.[i] ?? 1) * (multGain?.[i] ?? 1);
  }
  if (derivOffset) {
    flags |= 2;
    for (let i = 0; i < nh; i++) f[doff + ix.h(i)] = derivOffset[i];
  }
  if (!model.wa) return flags;
  for (let n = 0; n < model.N; n++) {
    const q = ix.s(n);
    const x = model.wa[n] * h;
    f[wz + q] = x;
    f[eaz + q] = Math.exp(-x);
    f[p1z + q] = expQ1(x) * x;
    f[p2z + q] = expQ2(x) * x;
  }
  return flags | 8;
}

/**
 * The fastest engine available: WasmEngine (workers started and kernels instantiated), or the
 * float64 engine of createEngine (WorkerEngine for 2+ threads) when wasm cannot load here.
 */
export async function createFastEngine(threads?: number): Promise<RelaxEngine> {
  const n = threads ?? Math.max(1, Math.min(availableParallelism(), 8));
  if (wasmAvailable()) {
    try {
      return await WasmEngine.create(n);
    } catch {
      /* fall through to float64 */
    }
  }
  return createEngine(n);
}
