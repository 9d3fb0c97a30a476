/**
 * Relaxation engines: where and how a batch of samples relaxes. The local engine runs on
 * the calling thread; the worker engine splits the batch (samples are independent) over
 * worker_threads that share the weights and states through SharedArrayBuffers.
 * Results are bit-identical between the two: every sample is computed the same way.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type Dims, type Params, PARAM_NAMES, stateSize } from '../circuit/params.js';
import type { Phase } from '../circuit/phase.js';
import { packagePath } from '../util/paths.js';
import type { Chip } from '../chip/chip.js';
import type { CircuitModel } from '../dynamics/circuit.js';
import { mergeTransientStats, relaxTransient, type TransientStats } from './transient.js';
import type { RelaxSpec, TransientOptions } from '../circuit/analysis.js';
import { mergeStats, relaxEquilibrium, relaxPaper, type RelaxStats } from './relax.js';


export interface RelaxEngine {
  /** Relax every sample of `s` (B x N, batch-major) in place under phase `ph`. */
  relax(p: Params, d: Dims, s: Float64Array, ph: Phase, spec: RelaxSpec): Promise<RelaxStats>;
  /** Physical transient of every sample on a chip; window-averaged states into `avg`. */
  transient(model: CircuitModel, s: Float64Array, ph: Phase, o: TransientOptions, avg: Float64Array): Promise<TransientStats>;
  readonly threads: number;
  close(): Promise<void>;
}

export function relaxRange(p: Params, d: Dims, s: Float64Array, ph: Phase, spec: RelaxSpec, from: number, to: number): RelaxStats {
  return spec.method === 'paper'
    ? relaxPaper(p, d, s, ph, spec.paper, from, to)
    : relaxEquilibrium(p, d, s, ph, spec.equilibrium, from, to);
}

export class LocalEngine implements RelaxEngine {
  readonly threads = 1;
  async relax(p: Params, d: Dims, s: Float64Array, ph: Phase, spec: RelaxSpec): Promise<RelaxStats> {
    const B = ph.xt.length / d.nx;
    return relaxRange(p, d, s, ph, spec, 0, B);
  }
  async transient(model: CircuitModel, s: Float64Array, ph: Phase, o: TransientOptions, avg: Float64Array): Promise<TransientStats> {
    return relaxTransient(model, s, ph, o, 0, ph.xt.length / model.d.nx, avg);
  }
  async close(): Promise<void> {}
}

/**
 * Post a message to a worker and wait for its one reply `{ ok, [field]: result, error }`.
 * The worker is referenced only while a call is in flight, so idle pools never keep the
 * process alive.
 */
export function callWorker<T>(w: Worker, msg: unknown, label: string, field = 'stats'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMsg = (m: { ok: boolean; error?: string } & Record<string, unknown>) => {
      w.off('error', onErr);
      if (m.ok) resolve(m[field] as T);
      else reject(new Error(`${label}: ${m.error}`));
    };
    const onErr = (e: Error) => {
      w.off('message', onMsg);
      reject(e);
    };
    w.once('message', onMsg);
    w.once('error', onErr);
    w.ref();
    w.postMessage(msg);
  }).finally(() => w.unref());
}

function call<T>(w: Worker, job: RelaxJob | TransientJob): Promise<T> {
  return callWorker<T>(w, job, 'relax worker');
}

/** Message to a worker for a chip transient; the chip travels by structured clone. */
export interface TransientJob {
  kind: 'transient';
  chip: Chip;
  readTime: number | undefined;
  state: SharedArrayBuffer;
  avg: SharedArrayBuffer;
  xt: SharedArrayBuffer;
  xtarget: SharedArrayBuffer;
  lambda: number;
  betaKappa: number;
  clampX: boolean;
  hasTarget: boolean;
  B: number;
  from: number;
  to: number;
  opts: TransientOptions;
}

/** Message to a relax worker; buffers are SharedArrayBuffers. */
export interface RelaxJob {
  kind: 'relax';
  dims: Dims;
  params: SharedArrayBuffer;
  state: SharedArrayBuffer;
  xt: SharedArrayBuffer;
  xtarget: SharedArrayBuffer;
  lambda: number;
  betaKappa: number;
  clampX: boolean;
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
  private readonly avg = new Shared(1);

  constructor(readonly threads = Math.max(1, Math.min(availableParallelism(), 8))) {
    const script = packagePath('dist', 'solvers', 'relax-worker.js');
    for (let i = 0; i < threads; i++) {
      const w = new Worker(script);
      w.unref();
      this.workers.push(w);
    }
  }

  async relax(p: Params, d: Dims, s: Float64Array, ph: Phase, spec: RelaxSpec): Promise<RelaxStats> {
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
          kind: 'relax',
          dims: d,
          params: this.params.buf,
          state: this.state.buf,
          xt: this.xt.buf,
          xtarget: this.xtarget.buf,
          lambda: ph.lambda,
          betaKappa: ph.betaKappa,
          clampX: Boolean(ph.clampX),
          B,
          from,
          to,
          spec,
        };
        return call<RelaxStats>(w, job);
      }),
    );
    s.set(this.state.view.subarray(0, B * N));
    return mergeStats(parts);
  }

  /**
   * Physical transient of a batch on a chip (see solvers/transient.ts), split over the
   * workers; `avg` receives the window-averaged states. Traces are recorded locally only.
   */
  async transient(model: CircuitModel, s: Float64Array, ph: Phase, o: TransientOptions, avg: Float64Array): Promise<TransientStats> {
    const d = model.d;
    const N = stateSize(d);
    const B = ph.xt.length / d.nx;
    if (B < 2 * this.threads || o.traceTimes) return relaxTransient(model, s, ph, o, 0, B, avg);
    this.state.ensure(B * N).set(s);
    this.avg.ensure(B * N);
    this.xt.ensure(B * d.nx).set(ph.xt);
    if (ph.xtarget) this.xtarget.ensure(B * d.nx).set(ph.xtarget);
    const parts = await Promise.all(
      this.workers.map((w, i) => {
        const job: TransientJob = {
          kind: 'transient',
          chip: model.chip,
          readTime: model.readTime,
          state: this.state.buf,
          avg: this.avg.buf,
          xt: this.xt.buf,
          xtarget: this.xtarget.buf,
          lambda: ph.lambda,
          betaKappa: ph.betaKappa,
          clampX: Boolean(ph.clampX),
          hasTarget: ph.xtarget !== null,
          B,
          from: Math.floor((B * i) / this.threads),
          to: Math.floor((B * (i + 1)) / this.threads),
          opts: o,
        };
        return call<TransientStats>(w, job);
      }),
    );
    s.set(this.state.view.subarray(0, B * N));
    avg.set(this.avg.view.subarray(0, B * N));
    return mergeTransientStats(parts);
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
