/** The exact gradient of the ideal network, the reference "gradient" points are scored against, cached per run and on disk. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CircuitSpec } from '../../circuit/spec.js';
import type { FlowBatch } from '../../flow/batch.js';
import { type Dims, type Params, PARAM_NAMES, zeroParams } from '../../circuit/params.js';
import type { Checkpoint } from '../../learning/checkpoint.js';
import { exactFlowGradient } from '../../learning/exact-grad.js';
import { flowMse } from '../../learning/gradep.js';
import { freeStart } from '../../circuit/phase.js';
import { LocalEngine } from '../../solvers/engine.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { relaxSpecOf } from '../../build/build.js';

export interface ExactEntry {
  grads: Params;
  flowMse: number;
  residualMax: number;
}

/** Where entries are kept: in memory for the run (shared by concurrent points), and under outDir. */
export interface ExactCache {
  readonly exact: Map<string, Promise<ExactEntry>>;
  readonly outDir: string;
}

/**
 * The exact gradient of the IDEAL network (no chip: the circuit's lambda and alpha only) at
 * `p` on one batch, by implicit differentiation at free equilibria relaxed in float64 to
 * 1e-10. It does not depend on the chip, so it is computed once per (checkpoint contents,
 * lambda, alpha, relaxation, batch) and kept in DIR/exact-grad-cache/<hash>.json.
 */
export function exactGradient(ctx: ExactCache, circuit: CircuitSpec, d: Dims, ck: { ck: Checkpoint; sha256: string }, batch: FlowBatch, batchSeed: number, batchIndex: number): Promise<ExactEntry> {
  const lambda = circuit.spring.lambda;
  const alpha = circuit.readout.alpha;
  const relax = relaxSpecOf(circuit, 'equilibrium');
  relax.equilibrium = { ...relax.equilibrium, tol: Math.min(relax.equilibrium.tol, 1e-10) };
  const id = { checkpoint_sha256: ck.sha256, lambda, alpha, relax, batch: batch.B, pairing: 'ot', batch_seed: batchSeed, batch_index: batchIndex };
  const hash = createHash('sha256').update(JSON.stringify(id)).digest('hex').slice(0, 16);
  const cached = ctx.exact.get(hash);
  if (cached) return cached;
  const path = join(ctx.outDir, 'exact-grad-cache', `${hash}.json`);
  const job = (async (): Promise<ExactEntry> => {
    if (existsSync(path)) {
      try {
        const doc = JSON.parse(readFileSync(path, 'utf8')) as { grads: Record<string, number[]>; flow_mse: number; residual_max: number };
        const grads = zeroParams(d);
        for (const k of PARAM_NAMES) {
          if (doc.grads[k].length !== grads[k].length) throw new Error('shape');
          grads[k].set(doc.grads[k]);
        }
        return { grads, flowMse: doc.flow_mse, residualMax: doc.residual_max };
      } catch {
        // an unreadable cache entry is recomputed
      }
    }
    const B = batch.B;
    const s = freeStart(d, batch.xt, B);
    const st = await new LocalEngine().relax(ck.ck.params, d, s, { lambda, betaKappa: 0, xt: batch.xt, xtarget: null }, relax);
    const grads = exactFlowGradient(ck.ck.params, d, s, batch.xt, batch.ut, alpha, lambda);
    const entry = { grads, flowMse: flowMse(d, s, batch.xt, batch.ut, alpha, lambda), residualMax: st.residualMax };
    writeFileAtomic(path, JSON.stringify({ id, flow_mse: entry.flowMse, residual_max: entry.residualMax, grads: Object.fromEntries(PARAM_NAMES.map((k) => [k, Array.from(grads[k])])) }));
    return entry;
  })();
  ctx.exact.set(hash, job);
  return job;
}
