/** Worker side of BatchPrefetcher: draws flow-matching batches (OT pairing included) off the main thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { drawFlowBatch, type Pairing } from './batch.js';

const { data, n, dim } = workerData as { data: Float64Array; n: number; dim: number };

parentPort?.on('message', (m: { B: number; pairing: Pairing; seed: number; step: number }) => {
  try {
    const b = drawFlowBatch(data, n, dim, m.B, m.pairing, m.seed, m.step);
    parentPort?.postMessage({ ok: true, step: m.step, batch: b }, [b.xt.buffer as ArrayBuffer, b.ut.buffer as ArrayBuffer, b.t.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort?.postMessage({ ok: false, step: m.step, error: e instanceof Error ? e.message : String(e) });
  }
});
