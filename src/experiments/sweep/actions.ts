/** Running one sweep point: train in situ / transfer / fine-tune then sample and score, or measure the gradient. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOnChip } from '../../flow/sample-chip.js';
import { drawFlowBatch } from '../../flow/batch.js';
import { loadDigits } from '../../data/optdigits.js';
import { type Params, PARAM_NAMES, zeroParams } from '../../circuit/params.js';
import { buildChip, buildSimulation, dimsOfCircuit } from '../../build/build.js';
import { compareGrads } from '../../learning/exact-grad.js';
import { convergence, type Convergence } from '../../metrics/convergence.js';
import { evaluateSamples } from '../../metrics/quality.js';
import type { RelaxEngine } from '../../solvers/engine.js';
import { insituEstimator } from '../../learning/insitu.js';
import { runTraining } from '../train.js';
import type { SweepContext } from './context.js';
import { exactGradient } from './exact-cache.js';
import type { SweepPoint } from './points.js';
import { generatePoint } from './generate.js';
import { type GradientStats, type SweepResult, writePointSamples } from './results.js';

function addInto(acc: Params, g: Params): void {
  for (const k of PARAM_NAMES) for (let i = 0; i < acc[k].length; i++) acc[k][i] += g[k][i];
}

/** A "gradient" point: the checkpoint programmed onto the chip, in-situ GradEP estimates against the exact ideal gradient. */
async function gradientPoint(pt: SweepPoint, ctx: SweepContext, engine: RelaxEngine): Promise<GradientStats> {
  const { spec } = ctx;
  const d = dimsOfCircuit(pt.circuit);
  const ck = ctx.checkpoint(d);
  // Exactly the estimator in-situ training uses (seed = chip seed, as the sweep's insitu points).
  const est = insituEstimator(buildSimulation(pt.circuit, 'transient'), pt.chip_seed, pt.chip_seed, engine);
  const data = loadDigits('tes');
  const sumEst = zeroParams(d);
  const sumExact = zeroParams(d);
  let cos = 0;
  let rel = 0;
  let mse = 0;
  let idealMse = 0;
  let resid = 0;
  for (let k = 0; k < spec.gradient_batches; k++) {
    const batch = drawFlowBatch(data.images, data.n, d.nx, spec.batch, 'ot', pt.chip_seed, k);
    const r = await est.estimate(ck.ck.params, batch.xt, batch.ut, k);
    const ex = await exactGradient(ctx, pt.circuit, d, ck, batch, pt.chip_seed, k);
    const c = compareGrads(r.grads, ex.grads);
    cos += c.cosine;
    rel += c.relError;
    mse += r.flowMse;
    idealMse += ex.flowMse;
    resid = Math.max(resid, ex.residualMax);
    addInto(sumEst, r.grads);
    addInto(sumExact, ex.grads);
  }
  const n = spec.gradient_batches;
  const m = compareGrads(sumEst, sumExact);
  return { cosine: cos / n, rel_error: rel / n, cosine_mean_grad: m.cosine, rel_error_mean_grad: m.relError, batches: n, flow_mse: mse / n, ideal_flow_mse: idealMse / n, exact_residual_max: resid };
}

export async function runPoint(pt: SweepPoint, ctx: SweepContext, engine: RelaxEngine): Promise<SweepResult> {
  if (pt.action === 'generate') return generatePoint(pt, ctx, engine);
  const { spec, outDir } = ctx;
  const t0 = performance.now();
  const common = { key: pt.key, index: pt.index, overrides: pt.overrides, chip_seed: pt.chip_seed };
  const d = dimsOfCircuit(pt.circuit);
  if (pt.action === 'gradient') {
    const gradient = await gradientPoint(pt, ctx, engine);
    return { ...common, action: 'gradient', metrics: null, final_flow_mse: null, time_per_sample_s: null, energy_per_sample_j: null, gradient, seconds: (performance.now() - t0) / 1000 };
  }
  let params: Params;
  let finalMse: number | null = null;
  let conv: Convergence | null = null;
  let stepEnergy: number | null = null;
  if (pt.action === 'insitu' || pt.action === 'finetune') {
    const runDir = join(outDir, 'points', pt.key);
    const fine = pt.action === 'finetune';
    const ck = await runTraining(
      {
        circuit: pt.circuit,
        circuitFile: spec.base,
        steps: fine ? spec.finetune_steps : spec.steps,
        batch: spec.batch,
        seed: pt.chip_seed,
        chipSeed: pt.chip_seed,
        pairing: 'ot',
        relax: 'transient',
        outDir: runDir,
        resume: existsSync(join(runDir, 'checkpoint.json')),
        checkpointEvery: 10,
        lr: fine ? spec.finetune_lr : undefined,
        init: fine ? ctx.checkpoint(d).ck.params : undefined,
      },
      engine,
    );
    params = ck.params;
    const rowsOfLog = readFileSync(join(runDir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { flow_mse: number; energy_j?: number });
    const log = rowsOfLog.slice(-10).map((r) => r.flow_mse);
    finalMse = log.reduce((a, b) => a + b, 0) / log.length;
    conv = convergence(rowsOfLog.map((r) => r.flow_mse));
    const energies = rowsOfLog.map((r) => r.energy_j).filter((e): e is number => typeof e === 'number' && Number.isFinite(e));
    stepEnergy = energies.length > 0 ? energies.reduce((a, b) => a + b, 0) / energies.length : null;
  } else {
    params = ctx.checkpoint(d).ck.params;
  }
  const g = await generateOnChip(engine, buildSimulation(pt.circuit, 'transient'), buildChip(pt.circuit, pt.chip_seed), params, { mode: 'energy_gd', n: spec.samples, t1: pt.t1, dt: 0.01, seed: pt.chip_seed });
  writePointSamples(outDir, pt.key, g.samples, spec.samples);
  return {
    ...common,
    action: pt.action,
    metrics: evaluateSamples(g.samples, spec.samples),
    final_flow_mse: finalMse,
    ...(conv ? { convergence: conv } : {}),
    time_per_sample_s: g.timePerSample,
    energy_per_sample_j: g.energyPerSample,
    energy_per_step_j: stepEnergy,
    seconds: (performance.now() - t0) / 1000,
  };
}
