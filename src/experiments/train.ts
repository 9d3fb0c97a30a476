/**
 * The training runner: GradEP on flow matching, with periodic atomic checkpoints, a
 * JSONL log and exact resume. It never prints; it reports through `onEvent`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CircuitSpec } from '../circuit/spec.js';
import { type Dims, type Params, cloneParams } from '../dynamics/network.js';
import { BatchPrefetcher, type Pairing } from '../flow/batch.js';
import { loadDigits } from '../data/optdigits.js';
import { type Checkpoint, CHECKPOINT_FORMAT, dimsOfCircuit, loadCheckpoint, saveCheckpoint, type TrainHyper } from '../learning/checkpoint.js';
import { gradepEstimate } from '../learning/gradep.js';
import { initParams } from '../learning/init.js';
import { adamStep, clipGradNorm, emaUpdate, newAdamState } from '../learning/optimizer.js';
import type { RelaxEngine, RelaxSpec } from '../solvers/engine.js';
import { GradepError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { programWeights, realiseChip } from '../chip/chip.js';
import { CircuitModel, type InsituConfig, insituEstimate } from '../learning/insitu.js';
import { appendLine, writeFileAtomic } from '../util/atomic.js';
import { PACKAGE_ROOT } from '../util/paths.js';

/** The paper's optimisation recipe (PAPER.md table); CLI flags override. */
export const PAPER_RECIPE = {
  lr: 1e-3,
  adam_beta1: 0.9,
  adam_beta2: 0.95,
  adam_eps: 1e-8,
  clip: 1.0,
  ema_decay: 0.999,
  batch: 1797,
  steps: 2000,
  pairing: 'ot' as Pairing,
  init_gain: 0.5,
};

export interface TrainOptions {
  circuit: CircuitSpec;
  circuitFile: string;
  steps: number;
  batch: number;
  seed: number;
  pairing: Pairing;
  relax: 'paper' | 'equilibrium' | 'transient';
  /** Chip seed (mismatch draws) for transient (in-situ) training; default: the run seed. */
  chipSeed?: number;
  outDir: string;
  resume: boolean;
  checkpointEvery: number;
  lr?: number;
  /**
   * Start from these weights (fine-tuning) instead of the seeded initialisation; the Adam
   * state and the EMA start fresh (EMA = these weights). Ignored when resuming a checkpoint.
   */
  init?: Params;
}

export interface StepRow {
  step: number;
  flow_mse: number;
  grad_norm: number;
  free_iters: number;
  free_residual_max: number;
  plus_residual_max: number;
  minus_residual_max: number;
  unconverged: number;
  seconds: number;
  /** In-situ (transient) runs: physical relaxation time of the step (s) and dissipated energy (J) for the batch. */
  physical_time_s?: number;
  energy_j?: number;
}

export type TrainEvent =
  | { type: 'start'; fromStep: number; steps: number; batch: number; threads: number }
  | { type: 'step'; row: StepRow }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'done'; step: number; seconds: number };

export function relaxSpecOf(c: CircuitSpec, method: 'paper' | 'equilibrium' | 'transient' = c.relax.method): RelaxSpec {
  if (method === 'transient') throw new GradepError(`relax "transient" simulates a realised chip; this command needs "paper" or "equilibrium"`);
  return {
    method,
    paper: { eps: c.relax.epsilon, T: c.relax.T },
    equilibrium: {
      tol: c.relax.tol,
      maxIter: c.relax.max_iter,
      memory: c.relax.memory,
      eta: c.relax.eta,
      fallbackIter: 20 * c.relax.T,
      fallbackEps: c.relax.epsilon,
    },
  };
}

function hyperOf(o: TrainOptions): TrainHyper {
  const c = o.circuit;
  return {
    lambda: c.spring.lambda,
    alpha: c.readout.alpha,
    beta: c.nudge.beta,
    epsilon: c.relax.epsilon,
    T: c.relax.T,
    relax: o.relax,
    tol: c.relax.tol,
    max_iter: c.relax.max_iter,
    memory: c.relax.memory,
    eta: c.relax.eta,
    lr: o.lr ?? PAPER_RECIPE.lr,
    adam_beta1: PAPER_RECIPE.adam_beta1,
    adam_beta2: PAPER_RECIPE.adam_beta2,
    adam_eps: PAPER_RECIPE.adam_eps,
    clip: PAPER_RECIPE.clip,
    ema_decay: PAPER_RECIPE.ema_decay,
    batch: o.batch,
    pairing: o.pairing,
    init_gain: PAPER_RECIPE.init_gain,
  };
}

/** Keep only log lines of steps <= `step` (a resumed run rewrites what followed its checkpoint). */
function truncateLog(path: string, step: number): void {
  if (!existsSync(path)) return;
  const keep = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => {
      if (!l.trim()) return false;
      try {
        return (JSON.parse(l) as StepRow).step <= step;
      } catch {
        return false; // a line cut by a crash
      }
    });
  writeFileAtomic(path, keep.length ? keep.join('\n') + '\n' : '');
}

/**
 * The in-situ GradEP estimator of a realised chip, as training uses it: before each estimate
 * every device is rewritten from the digital weights with the write noise of stream
 * ("program", step) of `seed`, then the three phases run as transients with noise streams
 * ("train", step). Exported so sweeps measure exactly the gradient training would follow.
 */
export function insituEstimator(c: CircuitSpec, d: Dims, chipSeed: number, seed: number, engine: RelaxEngine) {
  const chip = realiseChip(c, d, chipSeed);
  const cfg = (step: number): InsituConfig => ({
    lambda: c.spring.lambda,
    alpha: c.readout.alpha,
    beta: c.nudge.beta,
    seed,
    stream: ['train', step],
    transient: { solver: c.transient.solver, dt: c.transient.dt, window: c.measure.window, rtol: c.transient.rtol, atol: c.transient.atol, settleTol: c.transient.settle_tol },
    tFree: c.transient.t_free,
    tNudge: c.transient.t_nudge,
  });
  return {
    chip,
    estimate(p: Params, xt: Float64Array, ut: Float64Array, step: number) {
      // Every device is rewritten from the digital weights with this step's write noise, so
      // the chip state is a function of (weights, step) and resumed runs are exact.
      programWeights(chip, p, new Rng(seed, 'program', step));
      return insituEstimate(engine, new CircuitModel(chip), xt, ut, cfg(step));
    },
  };
}

/** In-situ training: the realised chip, reprogrammed from the digital weights before every step. */
function insituSetup(o: TrainOptions, d: Dims, engine: RelaxEngine) {
  return insituEstimator(o.circuit, d, o.chipSeed ?? o.seed, o.seed, engine);
}

export async function runTraining(o: TrainOptions, engine: RelaxEngine, onEvent: (e: TrainEvent) => void = () => {}): Promise<Checkpoint> {
  const d: Dims = dimsOfCircuit(o.circuit);
  const data = loadDigits('tes'); // the generative model's training set; 'tra' never reaches training
  if (d.nx !== 64) throw new GradepError(`${o.circuitFile}: layers.visible: got ${d.nx}, allowed 64 for the 8x8 digits data`);
  if (!Number.isInteger(o.batch) || o.batch < 2 || o.batch > data.n) throw new GradepError(`--batch: got ${o.batch}, allowed an integer 2..${data.n}`);
  const ckPath = join(o.outDir, 'checkpoint.json');
  const logPath = join(o.outDir, 'log.jsonl');
  const hyper = hyperOf(o);
  let ck: Checkpoint;
  if (existsSync(ckPath)) {
    if (!o.resume) throw new GradepError(`${ckPath}: a checkpoint already exists; pass --resume to continue it or choose another --out`);
    ck = loadCheckpoint(ckPath);
    for (const k of ['batch', 'pairing', 'relax', 'lambda', 'alpha', 'beta', 'epsilon', 'T', 'lr'] as const) {
      if (ck.hyper[k] !== hyper[k]) throw new GradepError(`${ckPath}: hyper.${k} is ${JSON.stringify(ck.hyper[k])} but this run asks for ${JSON.stringify(hyper[k])}; resume with the same settings`);
    }
    if (ck.seeds.run !== o.seed) throw new GradepError(`${ckPath}: seeds.run is ${ck.seeds.run} but this run asks for --seed ${o.seed}`);
    truncateLog(logPath, ck.step);
  } else {
    if (o.resume && !existsSync(o.outDir)) throw new GradepError(`${o.outDir}: nothing to resume (no checkpoint.json)`);
    if (o.init && (o.init.W0.length !== d.n1 * d.nx || o.init.W1.length !== d.n2 * d.n1)) throw new GradepError(`${o.circuitFile}: layers: the initial weights do not fit a ${d.nx}-${d.n1}-${d.n2} network`);
    const params = o.init ? cloneParams(o.init) : initParams(d, o.seed, PAPER_RECIPE.init_gain);
    ck = {
      format: CHECKPOINT_FORMAT,
      created: new Date().toISOString(),
      step: 0,
      seeds: { run: o.seed },
      circuit: o.circuit,
      circuit_file: relative(PACKAGE_ROOT, o.circuitFile) || o.circuitFile,
      hyper,
      params,
      ema_params: cloneParams(params),
      optimizer: newAdamState(params),
      last: { flow_mse: null },
    };
    mkdirSync(o.outDir, { recursive: true });
    truncateLog(logPath, 0);
  }
  const insitu = o.relax === 'transient' ? insituSetup(o, d, engine) : null;
  const relax = insitu ? null : relaxSpecOf(o.circuit, o.relax);
  const adam = { lr: hyper.lr, beta1: hyper.adam_beta1, beta2: hyper.adam_beta2, eps: hyper.adam_eps, clip: hyper.clip };
  const t0 = performance.now();
  onEvent({ type: 'start', fromStep: ck.step, steps: o.steps, batch: o.batch, threads: engine.threads });
  const p: Params = ck.params;
  const prefetch = new BatchPrefetcher(data.images, data.n, d.nx, o.batch, o.pairing, o.seed);
  try {
    while (ck.step < o.steps) {
      const ts = performance.now();
      const batch = await prefetch.get(ck.step, o.steps);
      let row: StepRow;
      let grads: Params;
      if (insitu) {
        const r = await insitu.estimate(p, batch.xt, batch.ut, ck.step);
        grads = r.grads;
        row = {
          step: ck.step + 1,
          flow_mse: r.flowMse,
          grad_norm: 0,
          free_iters: r.free.steps / r.free.samples,
          free_residual_max: NaN,
          plus_residual_max: NaN,
          minus_residual_max: NaN,
          unconverged: 0,
          seconds: 0,
          physical_time_s: r.time,
          energy_j: r.energy,
        };
      } else {
        const r = await gradepEstimate(engine, p, d, batch.xt, batch.ut, { lambda: hyper.lambda, alpha: hyper.alpha, beta: hyper.beta, relax: relax as RelaxSpec });
        grads = r.grads;
        row = {
          step: ck.step + 1,
          flow_mse: r.flowMse,
          grad_norm: 0,
          free_iters: r.free.iterationsMean,
          free_residual_max: r.free.residualMax,
          plus_residual_max: r.plus.residualMax,
          minus_residual_max: r.minus.residualMax,
          unconverged: r.free.unconverged + r.plus.unconverged + r.minus.unconverged,
          seconds: 0,
        };
      }
      row.grad_norm = clipGradNorm(grads, adam.clip);
      adamStep(p, grads, ck.optimizer, adam);
      emaUpdate(ck.ema_params, p, hyper.ema_decay);
      ck.step += 1;
      ck.last = { flow_mse: row.flow_mse };
      row.seconds = (performance.now() - ts) / 1000;
      appendLine(logPath, JSON.stringify(row));
      onEvent({ type: 'step', row });
      if (ck.step % o.checkpointEvery === 0 || ck.step === o.steps) {
        saveCheckpoint(ckPath, ck);
        onEvent({ type: 'checkpoint', step: ck.step, path: ckPath });
      }
    }
  } finally {
    await prefetch.close();
  }
  if (!existsSync(ckPath)) saveCheckpoint(ckPath, ck);
  onEvent({ type: 'done', step: ck.step, seconds: (performance.now() - t0) / 1000 });
  return ck;
}
