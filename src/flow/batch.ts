/**
 * Flow-matching batches (docs/model.md): x0 ~ N(0, I), x1 = data, pairing by
 * exact optimal transport over the batch (squared Euclidean cost) or independent,
 * t ~ U(0, 1), x_t = (1 - t) x0 + t x1, u_t = x1 - x0 (sigma = 0; the model never sees t).
 * Each step draws from its own streams (seed, "data"|"noise"|"time", step), so a resumed
 * run draws exactly what an uninterrupted one would.
 */
import { otPairing } from './assignment.js';
import { Rng } from '../util/rng.js';

export type Pairing = 'ot' | 'independent';

export interface FlowBatch {
  B: number;
  xt: Float64Array;
  ut: Float64Array;
  t: Float64Array;
}

/**
 * Draw step `step`'s batch of size B from `data` (n x dim). B = n uses the whole set
 * (the paper's full batch); B < n draws B distinct rows.
 */
export function drawFlowBatch(data: Float64Array, n: number, dim: number, B: number, pairing: Pairing, seed: number, step: number): FlowBatch {
  if (B > n) throw new Error(`batch ${B} exceeds data size ${n}`);
  const x1 = new Float64Array(B * dim);
  if (B === n) x1.set(data.subarray(0, n * dim));
  else {
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    const r = new Rng(seed, 'data', step);
    // Partial Fisher-Yates: the first B entries are a uniform random subset.
    for (let i = 0; i < B; i++) {
      const j = i + r.int(n - i);
      const t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    for (let i = 0; i < B; i++) x1.set(data.subarray(idx[i] * dim, (idx[i] + 1) * dim), i * dim);
  }
  const x0 = new Float64Array(B * dim);
  new Rng(seed, 'noise', step).fillNormal(x0);
  const perm = pairing === 'ot' ? otPairing(x0, x1, B, dim) : null;
  const tr = new Rng(seed, 'time', step);
  const t = new Float64Array(B);
  const xt = new Float64Array(B * dim);
  const ut = new Float64Array(B * dim);
  for (let i = 0; i < B; i++) {
    const ti = tr.uniform();
    t[i] = ti;
    const j1 = (perm ? perm[i] : i) * dim;
    for (let k = 0; k < dim; k++) {
      const a = x0[i * dim + k];
      const c = x1[j1 + k];
      xt[i * dim + k] = (1 - ti) * a + ti * c;
      ut[i * dim + k] = c - a;
    }
  }
  return { B, xt, ut, t };
}

/**
 * Draws the next step's batch in a worker while the current step relaxes: the exact OT
 * assignment (about 0.3 s at 1797) then overlaps the serial parts of a step, when one core
 * would otherwise idle. Batches are pure functions of (seed, step), so prefetching changes
 * no number.
 */
export class BatchPrefetcher {
  private worker: import('node:worker_threads').Worker | null = null;
  private pending = new Map<number, Promise<FlowBatch>>();

  constructor(
    private readonly data: Float64Array,
    private readonly n: number,
    private readonly dim: number,
    private readonly B: number,
    private readonly pairing: Pairing,
    private readonly seed: number,
  ) {}

  private async start(): Promise<import('node:worker_threads').Worker> {
    if (!this.worker) {
      const { Worker } = await import('node:worker_threads');
      const { packagePath } = await import('../util/paths.js');
      this.worker = new Worker(packagePath('dist', 'flow', 'batch-worker.js'), { workerData: { data: this.data, n: this.n, dim: this.dim } });
      this.worker.unref();
    }
    return this.worker;
  }

  private request(step: number): Promise<FlowBatch> {
    let p = this.pending.get(step);
    if (!p) {
      p = this.start().then(
        (w) =>
          new Promise<FlowBatch>((resolve, reject) => {
            const onMsg = (m: { ok: boolean; step: number; batch?: FlowBatch; error?: string }) => {
              if (m.step !== step) return;
              w.off('message', onMsg);
              w.unref();
              if (m.ok) resolve(m.batch as FlowBatch);
              else reject(new Error(`batch worker: ${m.error}`));
            };
            w.on('message', onMsg);
            w.ref();
            w.postMessage({ B: this.B, pairing: this.pairing, seed: this.seed, step });
          }),
      );
      this.pending.set(step, p);
    }
    return p;
  }

  /** The batch of `step`, and the next one requested in the background. */
  async get(step: number, last: number): Promise<FlowBatch> {
    const b = await this.request(step);
    this.pending.delete(step);
    if (step + 1 < last) void this.request(step + 1);
    return b;
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
    this.worker = null;
  }
}
