/**
 * The flagship experiment "relaxation time vs sample quality" (experiments/relaxation-vs-quality.json).
 * Three families of generation, each scored with the sample-quality metrics:
 *  1. horizon:  t1 swept at dt = 0.01, both velocity modes, each evaluation relaxed to
 *               convergence (counted as T epsilon tau of relaxation per evaluation);
 *  2. hidden:   energy_gd at t1 = 1.0 with the hidden relaxation per evaluation cut to T paper
 *               steps from h = 0 (T epsilon tau each), from far too short to converged;
 *  3. analogue: one continuous process (flow/analogue.ts) with time-scale ratio r; total
 *               physical time t1 r tau.
 * Rows are appended to DIR/rows.jsonl keyed by point, so an interrupted run resumes; the
 * runner never prints (it reports through onEvent).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ObjectField, validateObject } from '../circuit/schema.js';
import { dimsOfCircuit, relaxSpecOf } from '../build/build.js';
import { loadCheckpoint } from '../learning/checkpoint.js';
import { generateSnapshots } from '../flow/sample.js';
import { generateAnalogue } from '../flow/analogue.js';
import { evaluateSamples, type QualityMetrics, referenceRows } from '../metrics/quality.js';
import type { RelaxEngine } from '../solvers/engine.js';
import type { RelaxSpec } from '../circuit/analysis.js';
import { appendLine, writeFileAtomic } from '../util/atomic.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { readJsonFile, readKeyedJsonl, resolveInput } from '../util/json.js';

export const EXPERIMENT_FORMAT = 'gradep-experiment/1';

export const RELAXATION_QUALITY_SCHEMA: ObjectField = {
  kind: 'object',
  doc: 'relaxation-vs-quality experiment',
  fields: {
    format: { kind: 'string', doc: 'file format tag', default: EXPERIMENT_FORMAT, exact: EXPERIMENT_FORMAT },
    kind: { kind: 'string', doc: 'experiment kind', default: 'relaxation-vs-quality', exact: 'relaxation-vs-quality' },
    name: { kind: 'string', doc: 'report name (reports/<name>)', default: 'relaxation-vs-quality' },
    checkpoint: { kind: 'string', doc: 'trained checkpoint (relative to the working directory or the package root)', default: 'reports/quick/checkpoint.json' },
    ema: { kind: 'enum', values: ['params', 'ema'], default: 'params', doc: 'which weights generate' },
    samples: { kind: 'number', unit: '', integer: true, min: 10, max: 100000, default: 500, doc: 'samples per point' },
    seeds: { kind: 'number', unit: '', integer: true, min: 1, max: 100, default: 3, doc: 'sampling seeds per point of the horizon family (FD spread)' },
    dt: { kind: 'number', unit: '', gt: 0, max: 1, default: 0.01, doc: 'Euler step of the flow' },
    horizon: {
      kind: 'object',
      doc: 'family 1: generation horizon',
      fields: {
        t1: { kind: 'numbers', unit: '', gt: 0, max: 100, default: [0.6, 0.8, 1.0, 1.1, 1.2, 1.5, 2.0, 3.0], doc: 'horizons' },
        modes: { kind: 'enums', values: ['spring', 'energy_gd'], default: ['spring', 'energy_gd'], doc: 'velocity modes' },
      },
    },
    hidden: {
      kind: 'object',
      doc: 'family 2: hidden relaxation per velocity evaluation (energy_gd, paper steps from h = 0)',
      fields: {
        T: { kind: 'numbers', unit: '', integer: true, min: 1, max: 100000, default: [1, 2, 5, 10, 20, 50, 100, 300], doc: 'paper steps per evaluation' },
        t1: { kind: 'number', unit: '', gt: 0, max: 100, default: 1.0, doc: 'horizon' },
      },
    },
    analogue: {
      kind: 'object',
      doc: 'family 3: fully analogue generation',
      fields: {
        ratio: { kind: 'numbers', unit: '', gt: 0, max: 1e5, default: [3, 10, 30, 100, 300], doc: 'time-scale ratio tau_x / tau_h' },
        t1: { kind: 'numbers', unit: '', gt: 0, max: 100, default: [1.0, 1.2], doc: 'horizons' },
        eps: { kind: 'number', unit: '', gt: 0, max: 0.5, default: 0.1, doc: 'Euler step in units of tau' },
      },
    },
  },
};

export interface RelaxationQualitySpec {
  format: string;
  kind: string;
  name: string;
  checkpoint: string;
  ema: 'params' | 'ema';
  samples: number;
  seeds: number;
  dt: number;
  horizon: { t1: number[]; modes: ('spring' | 'energy_gd')[] };
  hidden: { T: number[]; t1: number };
  analogue: { ratio: number[]; t1: number[]; eps: number };
}

export interface QualityRow {
  key: string;
  family: 'horizon' | 'hidden' | 'analogue';
  mode: 'spring' | 'energy_gd' | 'analogue';
  t1: number;
  T: number | null;
  ratio: number | null;
  seed: number;
  n: number;
  /** Relaxation (physical) time per generated sample, in units of tau. */
  relaxation_tau: number;
  /** Velocity evaluations (settle-then-step) or Euler steps (analogue) per sample. */
  evaluations: number;
  metrics: QualityMetrics;
  seconds: number;
}

export type ExperimentEvent = { type: 'point'; done: number; total: number; row: QualityRow; cached: boolean };

/** The quick budget: a few minutes on 2 cores (exercised by the tests). */
export function quickSpec(s: RelaxationQualitySpec): RelaxationQualitySpec {
  return {
    ...s,
    samples: Math.min(s.samples, 64),
    seeds: 1,
    horizon: { t1: [0.6, 1.0, 1.5], modes: s.horizon.modes },
    hidden: { T: [2, 20, 100], t1: s.hidden.t1 },
    analogue: { ratio: [3, 30], t1: [1.0], eps: s.analogue.eps },
  };
}

export function loadRelaxationQuality(file: string): RelaxationQualitySpec {
  return validateObject(file, '', readJsonFile(file, 'experiment'), RELAXATION_QUALITY_SCHEMA) as unknown as RelaxationQualitySpec;
}



export interface ExperimentResult {
  rows: QualityRow[];
  reference: { real: QualityMetrics; blurred: QualityMetrics; noise: QualityMetrics };
  /** Samples of a few points for grids: key -> samples (n x 64). */
  grids: Map<string, Float64Array>;
}

export async function runRelaxationQuality(spec: RelaxationQualitySpec, file: string, outDir: string, engine: RelaxEngine, onEvent: (e: ExperimentEvent) => void = () => {}): Promise<ExperimentResult> {
  const ck = loadCheckpoint(resolveInput(spec.checkpoint, file, 'checkpoint', PACKAGE_ROOT));
  const d = dimsOfCircuit(ck.circuit);
  const p = spec.ema === 'ema' ? ck.ema_params : ck.params;
  const { lambda, alpha } = ck.hyper;
  const epsT = ck.circuit.relax.epsilon * ck.circuit.relax.T; // tau per converged evaluation, as the reference's T steps
  const eps = ck.circuit.relax.epsilon;
  mkdirSync(outDir, { recursive: true });
  const rowsPath = join(outDir, 'rows.jsonl');
  const done = readKeyedJsonl<QualityRow>(rowsPath);
  const rows: QualityRow[] = [];
  const grids = new Map<string, Float64Array>();
  const n = spec.samples;
  const total = spec.horizon.modes.length * spec.seeds * spec.horizon.t1.length + spec.hidden.T.length + spec.analogue.ratio.length * spec.analogue.t1.length;
  const emit = (row: QualityRow, cached: boolean) => {
    if (!cached) appendLine(rowsPath, JSON.stringify(row));
    rows.push(row);
    onEvent({ type: 'point', done: rows.length, total, row, cached });
  };
  const gridKeys = new Set(['horizon/energy_gd/t1=1/seed=0', 'horizon/energy_gd/t1=3/seed=0', 'horizon/spring/t1=1.2/seed=0', 'hidden/T=2', 'hidden/T=20', 'analogue/r=3/t1=1', 'analogue/r=30/t1=1']);
  const converged: RelaxSpec = relaxSpecOf(ck.circuit, 'equilibrium');

  // Family 1: one trajectory per (mode, seed), snapshots at every horizon.
  for (const mode of spec.horizon.modes) {
    for (let seed = 0; seed < spec.seeds; seed++) {
      const keys = spec.horizon.t1.map((t1) => `horizon/${mode}/t1=${t1}/seed=${seed}`);
      if (keys.every((k) => done.has(k)) && !keys.some((k) => gridKeys.has(k))) {
        keys.forEach((k) => emit(done.get(k) as QualityRow, true));
        continue;
      }
      const t0 = performance.now();
      const snaps = await generateSnapshots(engine, p, d, { mode, lambda, alpha, relax: converged, n, dt: spec.dt, seed }, spec.horizon.t1);
      const secs = (performance.now() - t0) / 1000;
      spec.horizon.t1.forEach((t1, i) => {
        if (gridKeys.has(keys[i])) grids.set(keys[i], snaps[i].samples);
        if (done.has(keys[i])) return emit(done.get(keys[i]) as QualityRow, true);
        emit({ key: keys[i], family: 'horizon', mode, t1, T: null, ratio: null, seed, n, relaxation_tau: snaps[i].evaluations * epsT, evaluations: snaps[i].evaluations, metrics: evaluateSamples(snaps[i].samples, n), seconds: secs }, false);
      });
    }
  }
  // Family 2: hidden relaxation cut to T paper steps per evaluation.
  for (const T of spec.hidden.T) {
    const key = `hidden/T=${T}`;
    if (done.has(key) && !gridKeys.has(key)) {
      emit(done.get(key) as QualityRow, true);
      continue;
    }
    const t0 = performance.now();
    const relax: RelaxSpec = { ...converged, method: 'paper', paper: { eps, T } };
    const [r] = await generateSnapshots(engine, p, d, { mode: 'energy_gd', lambda, alpha, relax, n, dt: spec.dt, seed: 0 }, [spec.hidden.t1]);
    if (gridKeys.has(key)) grids.set(key, r.samples);
    if (done.has(key)) emit(done.get(key) as QualityRow, true);
    else emit({ key, family: 'hidden', mode: 'energy_gd', t1: spec.hidden.t1, T, ratio: null, seed: 0, n, relaxation_tau: r.evaluations * T * eps, evaluations: r.evaluations, metrics: evaluateSamples(r.samples, n), seconds: (performance.now() - t0) / 1000 }, false);
  }
  // Family 3: fully analogue.
  for (const ratio of spec.analogue.ratio) {
    const keys = spec.analogue.t1.map((t1) => `analogue/r=${ratio}/t1=${t1}`);
    if (keys.every((k) => done.has(k)) && !keys.some((k) => gridKeys.has(k))) {
      keys.forEach((k) => emit(done.get(k) as QualityRow, true));
      continue;
    }
    const t0 = performance.now();
    const snaps = generateAnalogue(p, d, { n, alpha, ratio, eps: spec.analogue.eps, seed: 0 }, spec.analogue.t1);
    const secs = (performance.now() - t0) / 1000;
    spec.analogue.t1.forEach((t1, i) => {
      if (gridKeys.has(keys[i])) grids.set(keys[i], snaps[i]);
      if (done.has(keys[i])) return emit(done.get(keys[i]) as QualityRow, true);
      const steps = Math.max(1, Math.round((t1 * ratio) / spec.analogue.eps));
      emit({ key: keys[i], family: 'analogue', mode: 'analogue', t1, T: null, ratio, seed: 0, n, relaxation_tau: steps * spec.analogue.eps, evaluations: steps, metrics: evaluateSamples(snaps[i], n), seconds: secs }, false);
    });
  }
  const reference = referenceRows(0);
  writeFileAtomic(join(outDir, 'results.json'), JSON.stringify({ format: 'gradep-results/1', experiment: spec, checkpoint: spec.checkpoint, checkpoint_step: ck.step, tau_per_converged_evaluation: epsT, reference, rows }, null, 1));
  return { rows, reference, grids };
}
