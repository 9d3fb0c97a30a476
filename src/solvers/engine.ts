/**
 * Relaxation engines: where and how a batch of samples relaxes. The local engine runs on
 * the calling thread; the worker engine splits the batch (samples are independent) over
 * worker_threads that share the weights and states through SharedArrayBuffers.
 * Results are bit-identical between the two: every sample is computed the same way.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type Dims, type Params, type PhaseInputs, PARAM_NAMES, stateSize } from '../dynamics/network.js';
import { packagePath } from '../util/paths.js';
import {
  DEFAULT_EQUILIBRIUM,
  type EquilibriumOptions,
  mergeStats,
  type PaperOptions,
  relaxEquilibrium,
  relaxPaper,
  type RelaxMethod,
  type RelaxStats,
} from './relax.js';

export interface RelaxSpec {
  method: RelaxMethod;
  paper: PaperOptions;
  equilibrium: EquilibriumOptions;
}

export const PAPER_RELAX: RelaxSpec = { method: 'paper', paper: { eps: 0.1, T: 300 }, equilibrium: DEFAULT_EQUILIBRIUM };

export interface RelaxEngine {
  /** Relax every sample of `s` (B x N, batch-major) in place under phase `ph`. */
  relax(p: Params, d: Dims, s: Float64Array, ph: PhaseInputs, spec: RelaxSpec): Promise<RelaxStats>;
  readonly threads: number;
  close(): Promise<void>;
}

export function relaxRange(p: Params, d: Dims, s: Float64Array, ph: PhaseInputs, spec: RelaxSpec, from: number, to: number): RelaxStats {
  return spec.method === 'paper'
    ? relaxPaper(p, d, s, ph, spec.paper, from, to)
    : relaxEquilibrium(p, d, s, ph, spec.equilibrium, from, to);
}

export class LocalEngine implements RelaxEngine {
  readonly threads = 1;
  async relax(p: Params, d: Dims, s: Float64Array, ph: PhaseInputs, spec: RelaxSpec): Promise<RelaxStats> {
    const B = ph.xt.length / d.nx;
    return relaxRange(p, d, s, ph, spec, 0, B);
  }
  async close(): Promise<void> {}
}

/** Message to a relax worker; buffers are SharedArrayBuffers. */
export interface RelaxJob {
  dims: Dims;
  params: SharedArrayBuffer;
  state: SharedArrayBuffer;
  xt: SharedArrayBuffer;
  xtarget: SharedArrayBuffer;
  lambda: number;
  betaKappa: number;
  B: number;
  from: number;
  to: number;
  spec: RelaxSpec;
}

class Shared {
  buf: SharedArrayBuffer;
  view: Float64Array;
  constructor(n: number) {
    this.buf = new SharedArrayBuffer(Math.max(1, n) * 8);
    this.view = new Float64Array(this.buf);
  }
  ensure(n: number): Float64Array {
    if (this.view.length < n) {
      this.buf = new SharedArrayBuffer(n * 8);
      this.view = new Float64Array(this.buf);
    }
    return this.view;
  }
}

export class WorkerEngine implements RelaxEngine {
  private readonly workers: Worker[] = [];
  private readonly params = new Shared(1);
  private readonly state = new Shared(1);
  private readonly xt = new Shared(1);
  private readonly xtarget = new Shared(1);

  constructor(readonly threads = Math.max(1, Math.min(availableParallelism(), 8))) {
    const script = packagePath('dist', 'solvers', 'relax-worker.js');
    for (let i = 0; i < threads; i++) {
      const w = new Worker(script);
      w.unref();
      this.workers.push(w);
    }
  }

  async relax(p: Params, d: Dims, s: Float64Array, ph: PhaseInputs, spec: RelaxSpec): Promise<RelaxStats> {
    const B = ph.xt.length / d.nx;
    const N = stateSize(d);
    // Small batches are not worth the hand-off.
    if (B < 4 * this.threads) return relaxRange(p, d, s, ph, spec, 0, B);
    const pv = this.params.ensure(p.W0.length + p.b0.length + p.W1.length + p.b1.length + p.bx.length);
    let o = 0;
    for (const k of PARAM_NAMES) {
      pv.set(p[k], o);
      o += p[k].length;
    }
    this.state.ensure(B * N).set(s);
    this.xt.ensure(B * d.nx).set(ph.xt);
    if (ph.xtarget) this.xtarget.ensure(B * d.nx).set(ph.xtarget);
    const parts = await Promise.all(
      this.workers.map((w, i) => {
        const from = Math.floor((B * i) / this.threads);
        const to = Math.floor((B * (i + 1)) / this.threads);
        const job: RelaxJob = {
          dims: d,
          params: this.params.buf,
          state: this.state.buf,
          xt: this.xt.buf,
          xtarget: this.xtarget.buf,
          lambda: ph.lambda,
          betaKappa: ph.betaKappa,
          B,
          from,
          to,
          spec,
        };
        return new Promise<RelaxStats>((resolve, reject) => {
          const onMsg = (m: { ok: boolean; stats?: RelaxStats; error?: string }) => {
            w.off('error', onErr);
            if (m.ok) resolve(m.stats as RelaxStats);
            else reject(new Error(`relax worker: ${m.error}`));
          };
          const onErr = (e: Error) => {
            w.off('message', onMsg);
            reject(e);
          };
          w.once('message', onMsg);
          w.once('error', onErr);
          w.ref();
          w.postMessage(job);
        }).finally(() => w.unref());
      }),
    );
    s.set(this.state.view.subarray(0, B * N));
    return mergeStats(parts);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

/** The engine for a batch of this size: workers when there is enough work to share. */
export function createEngine(threads?: number): RelaxEngine {
  const n = threads ?? Math.min(availableParallelism(), 8);
  return n <= 1 ? new LocalEngine() : new WorkerEngine(n);
}
