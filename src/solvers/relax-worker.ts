/** Worker side of WorkerEngine: relaxes its range of samples on the shared buffers. */
import { parentPort } from 'node:worker_threads';
import type { Params, PhaseInputs } from '../dynamics/network.js';
import { stateSize } from '../dynamics/network.js';
import { relaxRange, type RelaxJob } from './engine.js';

parentPort?.on('message', (job: RelaxJob) => {
  try {
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
    const ph: PhaseInputs = {
      lambda: job.lambda,
      betaKappa: job.betaKappa,
      xt: new Float64Array(job.xt, 0, job.B * d.nx),
      xtarget: job.betaKappa !== 0 ? new Float64Array(job.xtarget, 0, job.B * d.nx) : null,
    };
    const stats = relaxRange(p, d, s, ph, job.spec, job.from, job.to);
    parentPort?.postMessage({ ok: true, stats });
  } catch (e) {
    parentPort?.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
