/**
 * Worker side of WasmEngine: instantiates the kernels on the shared memory, then takes work
 * from the shared counter (tiles for paper, samples for equilibrium) until none is left.
 * The per-sample control of Anderson (energy backtracking, fallback, stopping) lives here in JS; all
 * vector work is in the kernels.
 */
import { parentPort } from 'node:worker_threads';
import { CTX, TILE, type WasmJob, type WasmLayout } from './wasm-layout.js';

interface Kernels {
  evaluate(ctx: number, tile: number, xb: number, mask: number): void;
  paperRun(ctx: number, tile: number, xb: number, T: number): void;
  chipRun(ctx: number, tile: number, xb: number, nSteps: number, nWin: number, scheme: number, noisy: number): void;
  anderson(ctx: number, slot: number, eta: number, px: number, count: number, col: number, addCol: number): number;
  backtrack(ctx: number, slot: number, scale: number): void;
  plainStep(ctx: number, slot: number, e: number, cx: number): void;
  copy(dst: number, src: number, n: number): void;
}

let K: Kernels | null = null;
let memory: WebAssembly.Memory | null = null;

const EPS32 = 2 ** -24;

/** The views and per-worker addresses both methods work with. */
function views(job: WasmJob) {
  const L = job.layout;
  const buf = (memory as WebAssembly.Memory).buffer;
  return {
    L,
    k: K as Kernels,
    buf,
    i32: new Int32Array(buf),
    f32: new Float32Array(buf),
    res: new Float64Array(buf, L.resb, L.Bpad),
    tile: L.tiles[job.worker],
    xb: L.xbs[job.worker],
    S: L.slot,
    cnt: (L.ctx + CTX.COUNTER) >> 2,
  };
}

function runPaper(job: WasmJob): void {
  const { L, k, i32, f32, res, tile, xb, S, cnt } = views(job);
  const nTiles = L.Bpad / TILE;
  for (;;) {
    const t = Atomics.add(i32, cnt, 1);
    if (t >= nTiles) break;
    for (let q = 0; q < TILE; q++) loadSlot(k, L, tile + q * L.stride, t * TILE + q);
    k.paperRun(L.ctx, tile, xb, job.T);
    for (let q = 0; q < TILE; q++) {
      const b = t * TILE + q;
      if (b >= job.B) break;
      const slot = tile + q * L.stride;
      k.copy(L.sb + 4 * b * L.N, slot + S.O_S, 4 * L.N);
      res[b] = Math.sqrt(f32[(slot + S.O_RES) >> 2]);
      i32[(L.iters >> 2) + b] = job.T;
      i32[(L.evals >> 2) + b] = job.T + 1;
      i32[(L.flags >> 2) + b] = 0;
    }
  }
}

/** Chip transients, a tile at a time: states, window averages and the power sum per sample. */
function runChip(job: WasmJob): void {
  const { L, k, i32, f32, res, tile, xb, S, cnt, buf } = views(job);
  const c = job.chip as NonNullable<WasmJob['chip']>;
  const f64 = new Float64Array(buf);
  const nTiles = L.Bpad / TILE;
  for (;;) {
    const t = Atomics.add(i32, cnt, 1);
    if (t >= nTiles) break;
    for (let q = 0; q < TILE; q++) {
      const slot = tile + q * L.stride;
      const b = t * TILE + q;
      loadSlot(k, L, slot, b);
      k.copy(slot + S.O_SPREV, L.rngb + 64 * b, 64);
      f32.fill(0, (slot + S.O_GMP) >> 2, ((slot + S.O_GMP) >> 2) + L.N);
      f32.fill(0, (slot + S.O_BEST) >> 2, ((slot + S.O_BEST) >> 2) + L.N);
      f64[(slot + S.O_RES + 16) >> 3] = 0;
    }
    k.chipRun(L.ctx, tile, xb, c.steps, c.window, (c.heun ? 1 : 0) + (c.exp ? 2 : 0), c.noisy ? 1 : 0);
    for (let q = 0; q < TILE; q++) {
      const b = t * TILE + q;
      if (b >= job.B) break;
      const slot = tile + q * L.stride;
      k.copy(L.sb + 4 * b * L.N, slot + S.O_S, 4 * L.N);
      const src = (c.window > 0 ? slot + S.O_GMP : slot + S.O_S) >> 2;
      const dst = (L.avgb >> 2) + b * L.N;
      const w = c.window > 0 ? 1 / c.window : 1;
      for (let n = 0; n < L.N; n++) f32[dst + n] = f32[src + n] * w;
      res[b] = f64[(slot + S.O_RES + 16) >> 3];
    }
  }
}

function loadSlot(k: Kernels, L: WasmLayout, slot: number, b: number): void {
  k.copy(slot + L.slot.O_S, L.sb + 4 * b * L.N, 4 * L.N);
  k.copy(slot + L.slot.O_XT, L.xtb + 4 * b * L.nx, 4 * L.nx);
  k.copy(slot + L.slot.O_XG, L.xgb + 4 * b * L.nx, 4 * L.nx);
}

/** Per-slot Anderson control, the state machine of relaxEquilibrium's `anderson`. */
class SlotState {
  b = -1;
  it = 0;
  evals = 0;
  count = 0;
  col = 0;
  /** An accepted previous iterate exists (SPREV, FP, GMP and Fprev). */
  havePrev = false;
  Fprev = Infinity;
  FabsPrev = 0;
  /** Backtracking factor of the plain step after a rejected move. */
  scale = 1;
  bestRes = Infinity;
  /** Best residual when it last halved, and the iteration: stall detection near the floor. */
  markRes = Infinity;
  markIt = 0;
  /** 0: Anderson, 1: plain-step fallback. */
  mode = 0;
  fb = 0;
}

/** Equilibrium relaxation: TILE slots, each refilled with the next sample as soon as its own finishes. */
function runEquilibrium(job: WasmJob): void {
  new EquilibriumRun(job).run();
}

/** The state of one worker's equilibrium job: views, solver settings and the TILE slot controls. */
class EquilibriumRun {
  private readonly v: ReturnType<typeof views>;
  private readonly f64: Float64Array;
  private readonly px: number;
  private readonly cxFallback: number;
  private readonly slots = Array.from({ length: TILE }, () => new SlotState());

  constructor(private readonly job: WasmJob) {
    this.v = views(job);
    this.f64 = new Float64Array(this.v.buf);
    this.px = 1 / (1 + job.lambda + job.betaKappa);
    this.cxFallback = this.px * (1 + job.lambda);
  }

  /** Evaluate all live slots, then advance each one step, until no sample is left. */
  run(): void {
    const { L, k, f32, tile, xb, S } = this.v;
    const slots = this.slots;
    for (let q = 0; q < TILE; q++) this.refill(q);
    for (;;) {
      let mask = 0;
      for (let q = 0; q < TILE; q++) if (slots[q].b >= 0) mask |= 1 << q;
      if (mask === 0) break;
      k.evaluate(L.ctx, tile, xb, mask);
      for (let q = 0; q < TILE; q++) {
        const st = slots[q];
        if (st.b < 0) continue;
        const r = Math.sqrt(f32[(this.base(q) + S.O_RES) >> 2]);
        st.evals++;
        if (st.mode === 1) this.fallbackStep(st, q, r);
        else this.andersonStep(st, q, r);
      }
    }
  }

  /** Address of slot q. */
  private base(q: number): number {
    return this.v.tile + q * this.v.L.stride;
  }

  /** Load the next sample into slot q with a fresh control state, or mark the slot idle. */
  private refill(q: number): void {
    const { L, k, i32, cnt } = this.v;
    const st = this.slots[q];
    const b = Atomics.add(i32, cnt, 1);
    if (b >= this.job.B) {
      st.b = -1;
      return;
    }
    loadSlot(k, L, this.base(q), b);
    Object.assign(st, new SlotState());
    st.b = b;
  }

  /** Write slot q's state, residual, counts and flags back for its sample, then refill it. */
  private finish(q: number, r: number, fallback: boolean): void {
    const { L, k, i32, res, S } = this.v;
    const st = this.slots[q];
    const b = st.b;
    k.copy(L.sb + 4 * b * L.N, this.base(q) + S.O_S, 4 * L.N);
    res[b] = r;
    i32[(L.iters >> 2) + b] = st.it + st.fb;
    i32[(L.evals >> 2) + b] = st.evals;
    i32[(L.flags >> 2) + b] = (r <= this.job.eq.tol ? 0 : 1) | (fallback ? 2 : 0);
    this.refill(q);
  }

  /** float32 rounding scale of |grad F| for this sample's magnitudes (see FLOOR_FACTOR). */
  private floorScale(q: number): number {
    const o = (this.base(q) + this.v.S.O_RES) >> 2;
    return EPS32 * Math.sqrt(this.v.f32[o + 1] + this.v.f32[o + 2]);
  }

  /** Best residual is at float32 rounding level: a stall there is the floor, not a failure. */
  private nearFloor(q: number, r: number): boolean {
    return r <= this.job.floorFactor * this.floorScale(q);
  }

  /** Put the best iterate back into slot q's state. */
  private restoreBest(q: number): void {
    this.v.k.copy(this.base(q) + this.v.S.O_S, this.base(q) + this.v.S.O_BEST, 4 * this.v.L.N);
  }

  /** Switch slot q to plain-step fallback from its best iterate (or finish if there is none). */
  private toFallback(st: SlotState, q: number): void {
    this.restoreBest(q);
    if (this.job.eq.fallbackIter <= 0) {
      this.finish(q, st.bestRes, true);
      return;
    }
    st.mode = 1;
    st.markRes = st.bestRes;
    st.markIt = 0;
  }

  /** Fallback: plain preconditioned steps from the best iterate (the paper dynamics). */
  private fallbackStep(st: SlotState, q: number, r: number): void {
    const { tol, fallbackIter, fallbackEps } = this.job.eq;
    if (r < st.bestRes) {
      st.bestRes = r;
      if (r < 0.5 * st.markRes) {
        st.markRes = r;
        st.markIt = st.fb;
      }
    }
    if (r <= tol || st.fb >= fallbackIter || (st.fb - st.markIt >= 4 * this.job.stallIters && this.nearFloor(q, st.bestRes))) {
      this.finish(q, r, true);
      return;
    }
    this.v.k.plainStep(this.v.L.ctx, this.base(q), fallbackEps, this.cxFallback);
    st.fb++;
  }

  /** One Anderson iteration of slot q: energy safeguard, best/stop checks, then the mixed step. */
  private andersonStep(st: SlotState, q: number, r: number): void {
    const { L, k, S } = this.v;
    const job = this.job;
    const { tol, maxIter } = job.eq;
    const slot = this.base(q);
    const ro = slot + S.O_RES;
    const F = this.f64[(ro + 16) >> 3];
    const Fabs = this.f64[(ro + 24) >> 3];
    // Energy safeguard: the gradient flow never climbs F, so a move that does (beyond
    // round-off, here float32's) may jump basins: back off to a shortened plain step.
    if (st.havePrev && !(F <= st.Fprev + Math.max(1e-9 * (1 + Math.abs(st.Fprev)), job.energyTol32 * (1 + st.FabsPrev)))) {
      this.backtrack(st, q);
      return;
    }
    if (r < st.bestRes) {
      st.bestRes = r;
      k.copy(slot + S.O_BEST, slot + S.O_S, 4 * L.N);
      if (r < 0.5 * st.markRes) {
        st.markRes = r;
        st.markIt = st.it;
      }
    }
    // At tolerance, or (tol below float32 reach) already at the rounding floor itself.
    if (r <= tol || r <= job.floorStop * this.floorScale(q)) {
      this.finish(q, r, false);
      return;
    }
    if (st.it >= maxIter || st.it - st.markIt >= job.stallIters) {
      if (this.nearFloor(q, st.bestRes)) {
        // Float32 cannot do better; plain steps would only burn fallbackIter evaluations.
        this.restoreBest(q);
        this.finish(q, st.bestRes, false);
        return;
      }
      if (st.it >= maxIter) {
        this.toFallback(st, q);
        return;
      }
    }
    this.mix(st, slot, F, Fabs);
  }

  /** Rejected move: halve the plain step from the last accepted iterate (fallback once it is tiny). */
  private backtrack(st: SlotState, q: number): void {
    st.scale *= 0.5;
    st.count = 0;
    st.col = 0;
    if (st.scale < 1e-6) {
      this.toFallback(st, q);
      return;
    }
    this.v.k.backtrack(this.v.L.ctx, this.base(q), st.scale);
    st.it++;
  }

  /** Accept the current iterate (energy F) and take the Anderson step from it. */
  private mix(st: SlotState, slot: number, F: number, Fabs: number): void {
    const m = this.job.eq.memory;
    // History only from consecutive accepted iterates (a backtrack breaks the chain).
    const addCol = st.havePrev && m > 0 && st.scale === 1;
    const count = addCol ? Math.min(st.count + 1, m) : st.count;
    const ok = this.v.k.anderson(this.v.L.ctx, slot, this.job.eq.eta, this.px, count, st.col, addCol ? 1 : 0);
    if (addCol) {
      st.count = count;
      st.col = (st.col + 1) % m;
    }
    st.Fprev = F;
    st.FabsPrev = Fabs;
    st.havePrev = true;
    st.scale = 1;
    if (!ok) {
      st.count = 0;
      st.col = 0;
    }
    st.it++;
  }
}

interface InitMsg {
  type: 'init';
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
}

parentPort?.on('message', (msg: InitMsg | WasmJob) => {
  try {
    if (msg.type === 'init') {
      memory = msg.memory;
      const inst = new WebAssembly.Instance(msg.module, { env: { memory } });
      K = inst.exports as unknown as Kernels;
    } else if (msg.type === 'paper') runPaper(msg);
    else if (msg.type === 'chip') runChip(msg);
    else runEquilibrium(msg);
    parentPort?.postMessage({ ok: true });
  } catch (e) {
    parentPort?.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
