/**
 * The training runner: GradEP on flow matching, with periodic atomic checkpoints, a
 * JSONL log and exact resume. It never prints; it reports through `onEvent`.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CircuitSpec } from '../circuit/spec.js';
import { type Params, cloneParams } from '../circuit/params.js';
import { BatchPrefetcher, type Pairing } from '../flow/batch.js';
import { loadDigits } from '../data/optdigits.js';
import { buildSimulation, type Simulation } from '../build/build.js';
import { type Checkpoint, CHECKPOINT_FORMAT, loadCheckpoint, saveCheckpoint, type TrainHyper } from '../learning/checkpoint.js';
import { checkResume, type RunIdentity } from './resume.js';
import { estimateColumns, type EstimateColumns, type GradientEstimate } from '../learning/estimate.js';
import { gradepEstimate } from '../learning/gradep.js';
import { initParams } from '../learning/init.js';
import { insituEstimator } from '../learning/insitu.js';
import { adamStep, clipGradNorm, emaUpdate, newAdamState } from '../learning/optimizer.js';
import type { FlowBatch } from '../flow/batch.js';
import type { RelaxEngine } from '../solvers/engine.js';
import { engineName } from '../solvers/fast-engine.js';
import { DivergedError, GradepError } from '../util/errors.js';
import { firstNonFinite } from '../util/json.js';
import { appendLine, writeFileAtomic } from '../util/atomic.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { pulsedTrainer } from '../chip/pulsed.js';
import { lastWriteStats } from '../chip/device-model.js';
import type { Chip } from '../chip/chip.js';

/** The paper's optimisation recipe (arXiv 2604.08150, digits experiment); CLI flags override. */
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
  /**
   * Resume even though the circuit, chip seed or engine differ from the checkpoint's (not
   * its layer sizes); the checkpoint takes the new ones and records the change in `overrides`.
   */
  overrideCircuit?: boolean;
  checkpointEvery: number;
  lr?: number;
  /**
   * Start from these weights (fine-tuning) instead of the seeded initialisation; the Adam
   * state and the EMA start fresh (EMA = these weights). Ignored when resuming a checkpoint.
   */
  init?: Params;
}

/** One line of a training log: the estimate's columns plus the step, gradient norm and wall time. */
export interface StepRow extends EstimateColumns {
  step: number;
  grad_norm: number;
  seconds: number;
  /** program.update = "pulsed": pulses applied to the devices this step; "write_verify": pulses of this step's programming. */
  pulses?: number;
}

export type TrainEvent =
  | { type: 'start'; fromStep: number; steps: number; batch: number; threads: number }
  | { type: 'step'; row: StepRow }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'done'; step: number; seconds: number };

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

/** A new run's checkpoint: seeded initialisation (or the given weights), fresh Adam state and EMA. */
function freshCheckpoint(o: TrainOptions, sim: Simulation, hyper: TrainHyper, id: RunIdentity): Checkpoint {
  const d = sim.dims;
  if (o.init && (o.init.W0.length !== d.n1 * d.nx || o.init.W1.length !== d.n2 * d.n1)) throw new GradepError(`${o.circuitFile}: layers: the initial weights do not fit a ${d.nx}-${d.n1}-${d.n2} network`);
  const params = o.init ? cloneParams(o.init) : initParams(d, o.seed, PAPER_RECIPE.init_gain);
  return {
    format: CHECKPOINT_FORMAT,
    created: new Date().toISOString(),
    step: 0,
    seeds: { run: o.seed, chip: id.chip },
    engine: id.engine,
    circuit: o.circuit,
    circuit_file: relative(PACKAGE_ROOT, o.circuitFile) || o.circuitFile,
    hyper,
    params,
    ema_params: cloneParams(params),
    optimizer: newAdamState(params),
    last: { flow_mse: null },
    overrides: [],
  };
}

/** The run's checkpoint: resumed (same settings required, log cut back to it) or new. */
function openRun(o: TrainOptions, sim: Simulation, hyper: TrainHyper, id: RunIdentity, ckPath: string, logPath: string): Checkpoint {
  if (existsSync(ckPath)) {
    if (!o.resume) throw new GradepError(`${ckPath}: a checkpoint already exists; pass --resume to continue it or choose another --out`);
    const ck = loadCheckpoint(ckPath);
    for (const k of ['batch', 'pairing', 'relax', 'lr'] as const) {
      if (ck.hyper[k] !== hyper[k]) throw new GradepError(`${ckPath}: hyper.${k} is ${JSON.stringify(ck.hyper[k])} but this run asks for ${JSON.stringify(hyper[k])}; resume with the same settings`);
    }
    if (ck.seeds.run !== o.seed) throw new GradepError(`${ckPath}: seeds.run is ${ck.seeds.run} but this run asks for --seed ${o.seed}`);
    const change = checkResume(ck, id, ckPath, Boolean(o.overrideCircuit));
    if (change) {
      // The override takes effect from this step on: the checkpoint describes what runs next.
      ck.circuit = o.circuit;
      ck.hyper = hyper;
      ck.seeds.chip = id.chip;
      ck.engine = id.engine;
      ck.overrides.push({ step: ck.step, fields: change });
    }
    truncateLog(logPath, ck.step);
    return ck;
  }
  // An empty or missing directory has nothing to continue: starting fresh would hide a wrong --out.
  if (o.resume) throw new GradepError(`${o.outDir}: nothing to resume (no checkpoint.json)`);
  const ck = freshCheckpoint(o, sim, hyper, id);
  mkdirSync(o.outDir, { recursive: true });
  truncateLog(logPath, 0);
  return ck;
}

/** The gradient estimator of a run: ideal relaxation, or in situ on a realised chip reprogrammed every step. */
function runEstimator(o: TrainOptions, sim: Simulation, engine: RelaxEngine): ((p: Params, batch: FlowBatch, step: number) => Promise<GradientEstimate>) & { chip?: Chip } {
  if (sim.method === 'transient') {
    const insitu = insituEstimator(sim, o.chipSeed ?? o.seed, o.seed, engine);
    return Object.assign((p: Params, batch: FlowBatch, step: number) => insitu.estimate(p, batch.xt, batch.ut, step), { chip: insitu.chip });
  }
  const cfg = { lambda: sim.lambda, alpha: sim.alpha, beta: sim.beta, relax: sim.relax! };
  return (p, batch) => gradepEstimate(engine, p, sim.dims, batch.xt, batch.ut, cfg);
}

/**
 * The first non-finite number of a step's results (log row or gradient), named; null when
 * all are finite. Checked before the update, so the state is still that of the last step.
 */
function nonFiniteOf(row: StepRow, grads: Params): string | null {
  const bad = firstNonFinite(row, '');
  if (bad) return `${bad.path} is ${bad.value}`;
  const g = firstNonFinite(grads, '');
  return g ? `the gradient ${g.path.replace(/\[\d+\]$/, '')} is ${g.value}` : null;
}

/** A log row from an estimate (columns in the order the log has always had). */
function stepRow(step: number, c: EstimateColumns): StepRow {
  const { flow_mse, free_iters, free_residual_max, plus_residual_max, minus_residual_max, unconverged, ...physical } = c;
  return { step, flow_mse, grad_norm: 0, free_iters, free_residual_max, plus_residual_max, minus_residual_max, unconverged, seconds: 0, ...physical };
}

/**
 * program.update acts on the devices of a realised chip: write_verify and pulsed exist only in
 * in-situ (transient) training; with an ideal relaxation they would be silently ignored.
 */
function checkUpdateMode(o: TrainOptions): void {
  const u = o.circuit.program.update;
  if (u !== 'rewrite' && o.relax !== 'transient') throw new GradepError(`${o.circuitFile}: program.update: got "${u}" with --relax ${o.relax}, allowed "rewrite" unless training in situ (--relax transient)`);
}

export async function runTraining(o: TrainOptions, engine: RelaxEngine, onEvent: (e: TrainEvent) => void = () => {}): Promise<Checkpoint> {
  checkUpdateMode(o);
  const sim = buildSimulation(o.circuit, o.relax);
  const d = sim.dims;
  const data = loadDigits('tes'); // the generative model's training set; 'tra' never reaches training
  if (d.nx !== 64) throw new GradepError(`${o.circuitFile}: layers.visible: got ${d.nx}, allowed 64 for the 8x8 digits data`);
  if (!Number.isInteger(o.batch) || o.batch < 2 || o.batch > data.n) throw new GradepError(`--batch: got ${o.batch}, allowed an integer 2..${data.n}`);
  const ckPath = join(o.outDir, 'checkpoint.json');
  const logPath = join(o.outDir, 'log.jsonl');
  const hyper = hyperOf(o);
  const id: RunIdentity = { circuit: o.circuit, chip: o.relax === 'transient' ? (o.chipSeed ?? o.seed) : null, engine: engineName(engine) };
  const ck = openRun(o, sim, hyper, id, ckPath, logPath);
  let savedStep = existsSync(ckPath) ? ck.step : -1;
  const estimate = runEstimator(o, sim, engine);
  const adam = { lr: hyper.lr, beta1: hyper.adam_beta1, beta2: hyper.adam_beta2, eps: hyper.adam_eps, clip: hyper.clip };
  const t0 = performance.now();
  onEvent({ type: 'start', fromStep: ck.step, steps: o.steps, batch: o.batch, threads: engine.threads });
  const p: Params = ck.params;
  // program.update = "pulsed" (in situ only): the devices hold the weights; the optimizer's step reaches them as pulses.
  const pulsed = sim.method === 'transient' && o.circuit.program.update === 'pulsed' ? pulsedTrainer(o.circuit, d, o.chipSeed ?? o.seed, o.seed, p) : null;
  const prefetch = new BatchPrefetcher(data.images, data.n, d.nx, o.batch, o.pairing, o.seed);
  try {
    while (ck.step < o.steps) {
      const ts = performance.now();
      const batch = await prefetch.get(ck.step, o.steps);
      const r = await estimate(p, batch, ck.step);
      const row = stepRow(ck.step + 1, estimateColumns(r));
      const bad = nonFiniteOf(row, r.grads);
      if (bad) {
        // Nothing of the failed step is applied or logged: keep (and save) the last good state.
        if (ck.step > 0 && savedStep !== ck.step) saveCheckpoint(ckPath, ck);
        const kept = ck.step > 0 ? `the last good checkpoint (step ${ck.step}) is kept in ${ckPath}` : 'nothing was written';
        throw new DivergedError(`step ${ck.step + 1}: ${bad} (the relaxation diverged); ${kept}`);
      }
      row.grad_norm = clipGradNorm(r.grads, adam.clip);
      const before = pulsed ? cloneParams(p) : null;
      adamStep(p, r.grads, ck.optimizer, adam);
      if (pulsed && before) row.pulses = pulsed.apply(before, p, ck.step);
      else if (estimate.chip && o.circuit.program.update === 'write_verify') row.pulses = lastWriteStats(estimate.chip)?.pulses;
      emaUpdate(ck.ema_params, p, hyper.ema_decay);
      ck.step += 1;
      ck.last = { flow_mse: row.flow_mse };
      row.seconds = (performance.now() - ts) / 1000;
      appendLine(logPath, JSON.stringify(row));
      onEvent({ type: 'step', row });
      if (ck.step % o.checkpointEvery === 0 || ck.step === o.steps) {
        saveCheckpoint(ckPath, ck);
        savedStep = ck.step;
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
