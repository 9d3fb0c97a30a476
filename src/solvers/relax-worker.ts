/** Worker side of WorkerEngine: relaxes its range of samples on the shared buffers. */
import { parentPort } from 'node:worker_threads';
import { type Params, stateSize } from '../circuit/params.js';
import type { Phase } from '../circuit/phase.js';
import { relaxRange, type RelaxJob, type TransientJob } from './engine.js';
import { CircuitModel } from '../dynamics/circuit.js';
import { relaxTransient } from './transient.js';

function transient(job: TransientJob) {
  const d = job.chip.d;
  const N = stateSize(d);
  const model = new CircuitModel(job.chip, job.readTime);
  const s = new Float64Array(job.state, 0, job.B * N);
  const avg = new Float64Array(job.avg, 0, job.B * N);
  const xt = new Float64Array(job.xt, 0, job.B * d.nx);
  const xtarget = job.hasTarget ? new Float64Array(job.xtarget, 0, job.B * d.nx) : null;
  return relaxTransient(model, s, { lambda: job.lambda, xt, xtarget, betaKappa: job.betaKappa, clampX: job.clampX }, job.opts, job.from, job.to, avg);
}

parentPort?.on('message', (job: RelaxJob | TransientJob) => {
  try {
    if (job.kind === 'transient') {
      parentPort?.postMessage({ ok: true, stats: transient(job) });
      return;
    }
    const d = job.dims;
    const pv = new Float64Array(job.params);
    let o = 0;
    const take = (n: number) => {
      const a = pv.subarray(o, o + n);
      o += n;
      return a;
    };
    const p: Params = {
      W0: take(d.n1 * d.nx),
      b0: take(d.n1),
      W1: take(d.n2 * d.n1),
      b1: take(d.n2),
      bx: take(d.nx),
    };
    const s = new Float64Array(job.state, 0, job.B * stateSize(d));
    const ph: Phase = {
      lambda: job.lambda,
      betaKappa: job.betaKappa,
      xt: new Float64Array(job.xt, 0, job.B * d.nx),
      xtarget: job.betaKappa !== 0 ? new Float64Array(job.xtarget, 0, job.B * d.nx) : null,
      clampX: job.clampX,
    };
    const stats = relaxRange(p, d, s, ph, job.spec, job.from, job.to);
    parentPort?.postMessage({ ok: true, stats });
  } catch (e) {
    parentPort?.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
