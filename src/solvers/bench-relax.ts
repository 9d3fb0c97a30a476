/**
 * Speed of the WasmEngine on the paper network (PAPER.md dims, paper initialisation, a
 * flow-matching batch of the digits): one 300-step paper relaxation and one equilibrium free
 * phase. Each measurement is repeated and the minimum kept (PERF-NOTES.md: other processes
 * on a 2-core machine make single runs worthless).
 */
import { availableParallelism } from 'node:os';
import { loadDigits } from '../data/optdigits.js';
import { type Dims, PAPER_DIMS } from '../dynamics/network.js';
import { drawFlowBatch } from '../flow/batch.js';
import { freeStart } from '../learning/gradep.js';
import { initParams } from '../learning/init.js';
import { PAPER_RELAX, type RelaxSpec } from './engine.js';
import { DEFAULT_EQUILIBRIUM } from './relax.js';
import { WasmEngine } from './wasm-engine.js';

/** Useful matrix flops per sample per step: the four products W0 x, W0^T r1, W1 r1, W1^T r2. */
export function flopsPerSampleStep(d: Dims): number {
  return 2 * (2 * d.n1 * d.nx + 2 * d.n2 * d.n1);
}

export interface BenchRelaxResult {
  paper_relax_seconds: number;
  relax_gflops: number;
  equilibrium_relax_seconds: number;
  equilibrium_iterations_mean: number;
  residual_max: number;
  threads: number;
}

/**
 * quick: one repetition and a 30-step paper run scaled to 300 (a smoke test, not a number).
 * threads: default all cores (at most 8). tol: equilibrium tolerance, default the project's
 * (DEFAULT_EQUILIBRIUM.tol, below the float32 floor: samples stop at the floor).
 */
export async function benchRelax(opts: { batch: number; quick?: boolean; threads?: number; tol?: number }): Promise<BenchRelaxResult> {
  const d = PAPER_DIMS;
  const B = opts.batch;
  const threads = opts.threads ?? Math.max(1, Math.min(availableParallelism(), 8));
  const reps = opts.quick ? 1 : 3;
  const T = opts.quick ? 30 : 300;
  const digits = loadDigits('tes');
  const batch = drawFlowBatch(digits.images, digits.n, d.nx, Math.min(B, digits.n), 'independent', 1, 0);
  // Larger batches than the data set repeat it (the kernels do not care which points they see).
  const xt = new Float64Array(B * d.nx);
  for (let i = 0; i < xt.length; i++) xt[i] = batch.xt[i % batch.xt.length];
  const p = initParams(d, 1);
  const ph = { lambda: 15, betaKappa: 0, xt, xtarget: null };
  const engine = await WasmEngine.create(threads);
  try {
    const paper: RelaxSpec = { ...PAPER_RELAX, paper: { eps: 0.1, T } };
    const eq: RelaxSpec = { ...PAPER_RELAX, method: 'equilibrium', equilibrium: { ...DEFAULT_EQUILIBRIUM, tol: opts.tol ?? DEFAULT_EQUILIBRIUM.tol } };
    // Warm-up: worker start, tier-up of the kernels, memory growth.
    await engine.relax(p, d, freeStart(d, xt, B), ph, { ...paper, paper: { eps: 0.1, T: 5 } });
    let paperS = Infinity;
    for (let r = 0; r < reps; r++) {
      const s = freeStart(d, xt, B);
      const t0 = performance.now();
      await engine.relax(p, d, s, ph, paper);
      paperS = Math.min(paperS, (performance.now() - t0) / 1000);
    }
    let eqS = Infinity;
    let itMean = 0;
    let resMax = 0;
    for (let r = 0; r < reps; r++) {
      const s = freeStart(d, xt, B);
      const t0 = performance.now();
      const st = await engine.relax(p, d, s, ph, eq);
      eqS = Math.min(eqS, (performance.now() - t0) / 1000);
      itMean = st.iterationsMean;
      resMax = st.residualMax;
    }
    // Scale a quick (shortened) paper run to the 300 steps it stands for.
    const paper300 = (paperS * 300) / T;
    return {
      paper_relax_seconds: paper300,
      relax_gflops: (flopsPerSampleStep(d) * B * 300) / paper300 / 1e9,
      equilibrium_relax_seconds: eqS,
      equilibrium_iterations_mean: itMean,
      residual_max: resMax,
      threads: engine.threads,
    };
  } finally {
    await engine.close();
  }
}
