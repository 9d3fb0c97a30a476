/**
 * Hardware non-ideality sweeps (experiments/sweep-*.json, format "gradep-sweep/1").
 * A sweep is the grid of every combination of the listed circuit-field values, times the
 * actions (train in situ on the realised chip / transfer an ideal checkpoint onto it), times
 * the chip seeds. Every point is addressable by index, and its result depends only on
 * (spec, point, seed): it is keyed by a hash of them, appended as one line to
 * DIR/results.jsonl, and never recomputed, so an interrupted sweep resumes where it stopped.
 * `--shard i/N` runs the points with index % N == i; `collect` merges shard directories.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FieldSpec, type NumberField, fieldAt, type ObjectField, parseNumber, validateObject } from '../circuit/schema.js';
import { CIRCUIT_SCHEMA, type CircuitSpec, loadCircuit, validateCircuit } from '../circuit/spec.js';
import { generateOnChip } from '../flow/sample-chip.js';
import { drawFlowBatch, type FlowBatch } from '../flow/batch.js';
import { loadDigits } from '../data/optdigits.js';
import { type Dims, type Params, PARAM_NAMES, zeroParams } from '../circuit/params.js';
import { type Checkpoint, loadCheckpoint } from '../learning/checkpoint.js';
import { buildChip, buildSimulation, dimsOfCircuit, relaxSpecOf } from '../build/build.js';
import { compareGrads, exactFlowGradient } from '../learning/exact-grad.js';
import { flowMse } from '../learning/gradep.js';
import { freeStart } from '../circuit/phase.js';
import { evaluateSamples, type QualityMetrics } from '../metrics/quality.js';
import { LocalEngine, type RelaxEngine } from '../solvers/engine.js';
import { GradepError } from '../util/errors.js';
import { readJsonFile, readKeyedJsonl, resolveInput as resolveInputFrom } from '../util/json.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { Rng } from '../util/rng.js';
import { appendLine, writeFileAtomic } from '../util/atomic.js';
import { insituEstimator } from '../learning/insitu.js';
import { runTraining } from './train.js';

export const SWEEP_FORMAT = 'gradep-sweep/1';

export const SWEEP_ACTIONS = ['insitu', 'transfer', 'finetune', 'gradient'] as const;
export type SweepAction = (typeof SWEEP_ACTIONS)[number];

/** Fields a `quick` object may override (besides `vary`): the budgets, seeds and actions. */
const BUDGET_FIELDS: Record<string, FieldSpec> = {
  actions: {
    kind: 'enums',
    values: SWEEP_ACTIONS,
    default: ['insitu', 'transfer'],
    doc: 'insitu: GradEP training from scratch on the realised chip; transfer: the ideal checkpoint programmed onto it; finetune: the checkpoint trained further in situ; gradient: no training or sampling, the in-situ gradient estimate at the checkpoint compared with the exact gradient of the ideal network',
  },
  chip_seeds: { kind: 'numbers', unit: '', integer: true, min: 0, max: 2 ** 31 - 1, default: [0, 1, 2], doc: 'chips (replicates) per point; also the seed of training, sampling and gradient batches' },
  steps: { kind: 'number', unit: '', integer: true, min: 1, max: 1e6, default: 100, doc: '"insitu": training steps' },
  batch: { kind: 'number', unit: '', integer: true, min: 2, max: 1797, default: 32, doc: 'flow-matching batch of in-situ training ("insitu", "finetune") and of each gradient batch ("gradient")' },
  samples: { kind: 'number', unit: '', integer: true, min: 10, max: 100000, default: 100, doc: 'samples generated on the chip per point (all actions but "gradient")' },
  t1: { kind: 'number', unit: '', gt: 0, max: 100, default: 1.0, doc: 'generation horizon (flow time; 1 = the training horizon); may be varied as vary.t1' },
  finetune_steps: { kind: 'number', unit: '', integer: true, min: 1, max: 1e6, default: 50, doc: '"finetune": in-situ training steps from the checkpoint\'s params' },
  finetune_lr: { kind: 'number', unit: '', gt: 0, max: 1, default: 1e-4, doc: '"finetune": Adam learning rate (fresh optimizer state)' },
  gradient_batches: { kind: 'number', unit: '', integer: true, min: 1, max: 1000, default: 4, doc: '"gradient": batches the gradient is estimated on (batch k: drawFlowBatch(seed = chip seed, step = k))' },
};

export const SWEEP_SCHEMA: ObjectField = {
  kind: 'object',
  doc: 'sweep',
  fields: {
    format: { kind: 'string', doc: 'file format tag', default: SWEEP_FORMAT, exact: SWEEP_FORMAT },
    name: { kind: 'string', doc: 'report name (--quick appends "-quick")', default: 'sweep' },
    description: { kind: 'string', doc: 'what the sweep asks', default: '' },
    base: { kind: 'string', doc: 'base circuit file (relative to the working directory or the package root)', default: 'circuits/reram.json' },
    checkpoint: { kind: 'string', doc: 'ideal checkpoint for "transfer", "finetune" and "gradient" points (its params, not the EMA)', default: 'reports/paper/checkpoint.json' },
    ...BUDGET_FIELDS,
  },
};

const QUICK_SCHEMA: ObjectField = { kind: 'object', doc: 'quick budget', fields: BUDGET_FIELDS };

export interface SweepSpec {
  /** Engine the points run on (set by the CLI, not the file): "js" points are keyed apart. */
  engine?: 'fast' | 'js';
  format: string;
  name: string;
  description: string;
  base: string;
  checkpoint: string;
  actions: SweepAction[];
  chip_seeds: number[];
  steps: number;
  batch: number;
  samples: number;
  t1: number;
  finetune_steps: number;
  finetune_lr: number;
  gradient_batches: number;
  /** Circuit field path -> value, applied to the base circuit of every point before `vary`. */
  set: Record<string, unknown>;
  /** Field path (e.g. "synapse.g_dtod", or "t1") -> values; the grid is their Cartesian product. Grids and random draws expanded. */
  vary: Record<string, unknown[]>;
  /** `vary` as written in the file (lists, grid and random objects), after `quick` when applied. */
  vary_source: Record<string, unknown>;
  /** Whether the file's `quick` object was applied (`--quick`). */
  quick: boolean;
}

export interface SweepPoint {
  index: number;
  key: string;
  overrides: Record<string, unknown>;
  action: SweepAction;
  chip_seed: number;
  /** Generation horizon of this point (vary.t1 or the sweep's t1). */
  t1: number;
  circuit: CircuitSpec;
}

/** Gradient accuracy of a "gradient" point: the in-situ GradEP estimate against the exact gradient of the ideal network. */
export interface GradientStats {
  /** Cosine and relative error |g - g*| / |g*| per batch, averaged over the batches. */
  cosine: number;
  rel_error: number;
  /** The same for the gradients averaged over the batches (the cosine of the mean gradient). */
  cosine_mean_grad: number;
  rel_error_mean_grad: number;
  batches: number;
  /** Mean flow-matching MSE measured on the chip and of the ideal network, over the batches. */
  flow_mse: number;
  ideal_flow_mse: number;
  /** Largest residual |grad F| of the ideal free equilibria the exact gradient was taken at. */
  exact_residual_max: number;
}

interface ResultBase {
  key: string;
  index: number;
  overrides: Record<string, unknown>;
  chip_seed: number;
  seconds: number;
}

/** "insitu", "transfer", "finetune": trained (or not), sampled on the chip and scored. */
export interface SampledResult extends ResultBase {
  action: 'insitu' | 'transfer' | 'finetune';
  metrics: QualityMetrics;
  /** In-situ and fine-tuning runs: mean flow-matching MSE of the last 10 steps (null for transfer). */
  final_flow_mse: number | null;
  time_per_sample_s: number;
  energy_per_sample_j: number;
  gradient?: undefined;
}

/** "gradient": no sampling, so no sample-quality numbers. */
export interface GradientResult extends ResultBase {
  action: 'gradient';
  metrics: null;
  final_flow_mse: null;
  time_per_sample_s: null;
  energy_per_sample_j: null;
  gradient: GradientStats;
}

export type SweepResult = SampledResult | GradientResult;

/** One line for progress bars. */
export function resultSummary(r: SweepResult): string {
  return r.action === 'gradient' ? `grad cosine ${r.gradient.cosine.toFixed(3)}` : `FD ${r.metrics.fd.toFixed(2)}`;
}

export function resolveInput(path: string, file: string, what: string): string {
  return resolveInputFrom(path, file, what, PACKAGE_ROOT);
}

function setPath(obj: Record<string, unknown>, path: string, v: unknown): void {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = v;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v) ?? 'nothing';
/** Grid and random values: 12 significant digits (deterministic, and no 0.30000000000000004 in tables). */
const tidy = (v: number) => Number(v.toPrecision(12));

/** The number field a vary key stands for (t1, or a numeric circuit field), null for choice fields. */
function numericField(key: string): NumberField | null {
  if (key === 't1') return BUDGET_FIELDS.t1 as NumberField;
  const f = fieldAt(CIRCUIT_SCHEMA, key);
  return f && f.kind === 'number' ? f : null;
}

/** A vary or set key must name a leaf field of the circuit (or be t1, for vary). */
function checkFieldPath(file: string, where: string, key: string, allowT1: boolean): void {
  if (key === 't1') {
    if (allowT1) return;
    throw new GradepError(`${file}: ${where}: got "t1", allowed a circuit field path (t1 is a sweep field: write it at the top level, or vary it)`);
  }
  if (!fieldAt(CIRCUIT_SCHEMA, key)) {
    throw new GradepError(`${file}: ${where}: got ${JSON.stringify(key)}, allowed a circuit field path such as "synapse.g_dtod" or "transient.t_free"${allowT1 ? ', or "t1"' : ''} (gradep circuit --schema lists them)`);
  }
}

const VARY_FORMS = 'a non-empty list of values, { "grid": [low, high, n], "scale": "linear" | "log" }, { "random": "uniform" | "loguniform", "low": a, "high": b, "n": k, "seed": s } or { "random": "normal", "mean": m, "std": s, "n": k, "seed": s }';

function onlyFields(file: string, where: string, o: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new GradepError(`${file}: ${where}.${k}: unknown field, allowed fields here: ${allowed.join(', ')}`);
}

function finite(file: string, where: string, v: unknown, allowed = 'a finite number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed ${allowed}`);
  return v;
}

function intIn(file: string, where: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed an integer ${lo}..${hi}`);
  return v;
}

/**
 * The values of one vary entry (`where` = "vary.<key>" or "quick.vary.<key>"): a list as
 * written, or a grid / random draws in the field's SI unit. Random draws come from
 * Rng(seed, "vary", key), so the same file always gives the same values.
 */
export function expandVary(file: string, where: string, key: string, v: unknown): unknown[] {
  if (key.includes('+')) {
    // Linked fields ("a+b"): one list of tuples, the fields move together (e.g. a node
    // capacitance with the solver step and phase durations scaled to its time constant).
    const parts = key.split('+');
    const allowed = `a non-empty list of [${parts.join(', ')}] tuples (${parts.length} numbers or quantity strings each)`;
    if (!Array.isArray(v) || v.length === 0) throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed ${allowed}`);
    v.forEach((t, i) => {
      if (!Array.isArray(t) || t.length !== parts.length || t.some((x) => typeof x !== 'number' && typeof x !== 'string')) throw new GradepError(`${file}: ${where}[${i}]: got ${show(t)}, allowed ${allowed}`);
    });
    return v;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) throw new GradepError(`${file}: ${where}: got [], allowed ${VARY_FORMS}`);
    v.forEach((x, i) => {
      if (typeof x !== 'number' && typeof x !== 'string') throw new GradepError(`${file}: ${where}[${i}]: got ${show(x)}, allowed a number or a string (a quantity with its unit such as "30 ns", or a choice)`);
    });
    // t1 is no circuit field: check its values here (circuit values are checked by the circuit schema).
    if (key === 't1') v.forEach((x, i) => parseNumber(file, `${where}[${i}]`, x, BUDGET_FIELDS.t1 as NumberField));
    return v;
  }
  if (!isObject(v)) throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed ${VARY_FORMS}`);
  const f = numericField(key);
  if (!f) throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed a list of values (grids and random draws need a numeric field; ${key} is a choice)`);
  let values: number[];
  if ('grid' in v) {
    onlyFields(file, where, v, ['grid', 'scale']);
    const g = v.grid;
    const gridAllowed = '[low, high, n]: numbers low < high and an integer n of 2..1000 (n points, both ends included)';
    if (!Array.isArray(g) || g.length !== 3) throw new GradepError(`${file}: ${where}.grid: got ${show(g)}, allowed ${gridAllowed}`);
    const lo = finite(file, `${where}.grid`, g[0], gridAllowed);
    const hi = finite(file, `${where}.grid`, g[1], gridAllowed);
    if (!(lo < hi) || typeof g[2] !== 'number' || !Number.isInteger(g[2]) || g[2] < 2 || g[2] > 1000) throw new GradepError(`${file}: ${where}.grid: got ${show(g)}, allowed ${gridAllowed}`);
    const n = g[2];
    const scale = v.scale ?? 'linear';
    if (scale !== 'linear' && scale !== 'log') throw new GradepError(`${file}: ${where}.scale: got ${show(scale)}, allowed "linear" or "log"`);
    if (scale === 'log' && !(lo > 0)) throw new GradepError(`${file}: ${where}.grid: got ${show(g)}, allowed low > 0 with "scale": "log"`);
    values = Array.from({ length: n }, (_, i) => {
      if (i === 0) return lo;
      if (i === n - 1) return hi;
      return tidy(scale === 'log' ? lo * (hi / lo) ** (i / (n - 1)) : lo + ((hi - lo) * i) / (n - 1));
    });
  } else if ('random' in v) {
    const kind = v.random;
    if (kind !== 'uniform' && kind !== 'loguniform' && kind !== 'normal') throw new GradepError(`${file}: ${where}.random: got ${show(kind)}, allowed "uniform", "loguniform" or "normal"`);
    const n = intIn(file, `${where}.n`, v.n, 1, 1000);
    const seed = v.seed === undefined ? 0 : intIn(file, `${where}.seed`, v.seed, 0, 2 ** 31 - 1);
    const r = new Rng(seed, 'vary', key);
    if (kind === 'normal') {
      onlyFields(file, where, v, ['random', 'mean', 'std', 'n', 'seed']);
      const mean = finite(file, `${where}.mean`, v.mean);
      const std = finite(file, `${where}.std`, v.std, 'a finite number > 0');
      if (!(std > 0)) throw new GradepError(`${file}: ${where}.std: got ${show(v.std)}, allowed a finite number > 0`);
      values = Array.from({ length: n }, () => tidy(mean + std * r.normal()));
    } else {
      onlyFields(file, where, v, ['random', 'low', 'high', 'n', 'seed']);
      const lo = finite(file, `${where}.low`, v.low, kind === 'loguniform' ? 'a finite number > 0' : 'a finite number');
      const hi = finite(file, `${where}.high`, v.high, `a finite number > low (${lo})`);
      if (!(hi > lo)) throw new GradepError(`${file}: ${where}.high: got ${show(v.high)}, allowed a finite number > low (${lo})`);
      if (kind === 'loguniform' && !(lo > 0)) throw new GradepError(`${file}: ${where}.low: got ${show(v.low)}, allowed a finite number > 0 with "random": "loguniform"`);
      values = Array.from({ length: n }, () => {
        const u = r.uniform();
        return tidy(kind === 'loguniform' ? Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * u) : lo + (hi - lo) * u);
      });
    }
  } else throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed ${VARY_FORMS}`);
  // Every value must fit the field (in its SI unit): a grid end or a normal tail out of range fails here.
  values.forEach((x, i) => parseNumber(file, `${where}[${i}]`, x, f));
  return values;
}

function checkVaryObject(file: string, where: string, vary: unknown, allowEmpty: boolean): Record<string, unknown> {
  if (!isObject(vary) || (!allowEmpty && Object.keys(vary).length === 0)) {
    throw new GradepError(`${file}: ${where}: got ${show(vary)}, allowed an object mapping circuit fields (or "t1") to values, e.g. { "synapse.g_dtod": [0, 0.05] } or { "synapse.g_dtod": { "grid": [0, 0.2, 5] } }`);
  }
  for (const k of Object.keys(vary)) {
    const parts = k.split('+');
    if (parts.length > 1 && new Set(parts).size !== parts.length) throw new GradepError(`${file}: ${where}.${k}: a field is linked twice, allowed distinct circuit field paths joined by "+"`);
    for (const part of parts) checkFieldPath(file, `${where}.${k}`, part, parts.length === 1);
  }
  const fields = Object.keys(vary).flatMap((k) => k.split('+'));
  const dup = fields.find((f, i) => fields.indexOf(f) !== i);
  if (dup) throw new GradepError(`${file}: ${where}: ${dup} is varied twice, allowed each circuit field in one vary entry`);
  return vary;
}

function checkSet(file: string, set: unknown): Record<string, unknown> {
  if (set === undefined) return {};
  if (!isObject(set)) throw new GradepError(`${file}: set: got ${show(set)}, allowed an object mapping circuit field paths to values, e.g. { "noise.temperature": 0 }`);
  for (const [k, v] of Object.entries(set)) {
    checkFieldPath(file, `set.${k}`, k, false);
    if (typeof v !== 'number' && typeof v !== 'string') throw new GradepError(`${file}: set.${k}: got ${show(v)}, allowed a number or a string (a quantity with its unit such as "30 ns", or a choice)`);
  }
  return set;
}

/**
 * Read and validate a sweep file. With `quick`, the file's `quick` object overrides budgets,
 * seeds, actions and vary entries, and the name gets "-quick". Every point's circuit is
 * validated now (for the quick variant too), so a bad value fails before hours of compute.
 */
export function loadSweep(file: string, opts: { quick?: boolean } = {}): SweepSpec {
  const raw = readJsonFile(file, 'sweep');
  if (!isObject(raw)) throw new GradepError(`${file}: expected a JSON object`);
  const { vary, set, quick, ...rest } = raw;
  const base = validateObject(file, '', rest, SWEEP_SCHEMA) as unknown as SweepSpec;
  base.set = checkSet(file, set);
  const varySource = checkVaryObject(file, 'vary', vary, false);
  let quickBudget: Record<string, unknown> | null = null;
  let quickVary: Record<string, unknown> = {};
  if (quick !== undefined) {
    if (!isObject(quick)) throw new GradepError(`${file}: quick: got ${show(quick)}, allowed an object overriding ${Object.keys(BUDGET_FIELDS).join(', ')} and vary entries`);
    const { vary: qv, ...qb } = quick;
    const full = validateObject(file, 'quick', qb, QUICK_SCHEMA);
    quickBudget = Object.fromEntries(Object.keys(qb).map((k) => [k, full[k]]));
    if (qv !== undefined) quickVary = checkVaryObject(file, 'quick.vary', qv, true);
    for (const k of Object.keys(quickVary)) {
      if (!(k in varySource)) throw new GradepError(`${file}: quick.vary.${k}: not varied by vary, allowed one of ${Object.keys(varySource).join(', ')}`);
    }
  } else if (opts.quick) {
    throw new GradepError(`${file}: quick: missing; --quick needs a "quick" object with reduced budgets, e.g. { "steps": 5, "samples": 20, "chip_seeds": [0] }`);
  }
  const build = (q: boolean): SweepSpec => {
    const spec: SweepSpec = { ...base, set: base.set, vary: {}, vary_source: { ...varySource }, quick: q };
    if (q && quickBudget) {
      Object.assign(spec, quickBudget);
      Object.assign(spec.vary_source, quickVary);
      spec.name = `${base.name}-quick`;
    }
    for (const [k, v] of Object.entries(spec.vary_source)) spec.vary[k] = expandVary(file, `${q && k in quickVary ? 'quick.' : ''}vary.${k}`, k, v);
    sweepPoints(spec, file);
    return spec;
  };
  const full = build(false);
  const quickSpec = quickBudget ? build(true) : null;
  return opts.quick ? (quickSpec as SweepSpec) : full;
}

/** What a point's result depends on, per action: its key is a hash of this. */
function pointIdentity(spec: SweepSpec, circuit: CircuitSpec, action: SweepAction, chip_seed: number, t1: number): unknown {
  const id = actionIdentity(spec, circuit, action, chip_seed, t1);
  // Results depend on the engine (float32 kernels vs the float64 reference): the reference's points get their own keys.
  return spec.engine === 'js' ? { ...(id as object), engine: 'js' } : id;
}

function actionIdentity(spec: SweepSpec, circuit: CircuitSpec, action: SweepAction, chip_seed: number, t1: number): unknown {
  switch (action) {
    case 'insitu':
    case 'transfer':
      // Unchanged from the first format, so existing results stay valid.
      return { circuit, action, chip_seed, steps: spec.steps, batch: spec.batch, samples: spec.samples, t1, checkpoint: action === 'transfer' ? spec.checkpoint : null };
    case 'finetune':
      return { circuit, action, chip_seed, finetune_steps: spec.finetune_steps, finetune_lr: spec.finetune_lr, batch: spec.batch, samples: spec.samples, t1, checkpoint: spec.checkpoint };
    case 'gradient':
      return { circuit, action, chip_seed, batch: spec.batch, gradient_batches: spec.gradient_batches, checkpoint: spec.checkpoint };
  }
}

/** All points in index order: grid (last field fastest) x actions x chip seeds. */
export function sweepPoints(spec: SweepSpec, file: string): SweepPoint[] {
  const baseFile = resolveInput(spec.base, file, 'base');
  const baseRaw = readJsonFile(baseFile, 'circuit') as Record<string, unknown>;
  const set = spec.set ?? {};
  if (Object.keys(set).length > 0) {
    for (const [f, v] of Object.entries(set)) setPath(baseRaw, f, v);
    validateCircuit(baseRaw, `${file} (set on ${spec.base})`);
  }
  const fields = Object.keys(spec.vary);
  const combos: Record<string, unknown>[] = [{}];
  for (const f of fields) {
    const next: Record<string, unknown>[] = [];
    for (const c of combos) for (const v of spec.vary[f]) next.push({ ...c, [f]: v });
    combos.splice(0, combos.length, ...next);
  }
  const points: SweepPoint[] = [];
  const seen = new Map<string, SweepPoint>();
  for (const overrides of combos) {
    const raw = structuredClone(baseRaw);
    for (const [f, v] of Object.entries(overrides)) {
      if (f === 't1') continue;
      if (f.includes('+')) f.split('+').forEach((part, i) => setPath(raw, part, (v as unknown[])[i]));
      else setPath(raw, f, v);
    }
    // Errors name the sweep file and the overridden field path.
    const circuit = validateCircuit(raw, `${file} (vary on ${spec.base})`);
    const t1 = 't1' in overrides ? parseNumber(file, 'vary.t1', overrides.t1, BUDGET_FIELDS.t1 as NumberField) : spec.t1;
    for (const action of spec.actions) {
      for (const chip_seed of spec.chip_seeds) {
        const key = createHash('sha256').update(JSON.stringify(pointIdentity(spec, circuit, action, chip_seed, t1))).digest('hex').slice(0, 16);
        const pt: SweepPoint = { index: points.length, key, overrides, action, chip_seed, t1, circuit };
        const twin = seen.get(key);
        if (twin) {
          throw new GradepError(
            `${file}: vary: points #${twin.index} ${show(twin.overrides)} and #${pt.index} ${show(overrides)} (${action}, chip ${chip_seed}) are the same run, allowed distinct values${action === 'gradient' && 't1' in overrides ? ' (t1 has no effect on "gradient" points: vary t1 in a sweep without them)' : ''}`,
          );
        }
        seen.set(key, pt);
        points.push(pt);
      }
    }
  }
  return points;
}

export function readResults(dir: string): Map<string, SweepResult> {
  return readKeyedJsonl<SweepResult>(join(dir, 'results.jsonl'));
}

/** Parse "--shard i/N". */
export function parseShard(s: string | undefined): { i: number; n: number } {
  if (s === undefined) return { i: 0, n: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i >= n) throw new GradepError(`--shard: got ${JSON.stringify(s)}, allowed i/N with 0 <= i < N, e.g. 0/4`);
  return { i, n };
}

export type SweepEvent = { type: 'point'; done: number; total: number; result: SweepResult; cached: boolean };

/** What the points of one run share: the ideal checkpoint (read once) and exact gradients being computed. */
class SweepContext {
  private ck: { ck: Checkpoint; path: string; sha256: string } | null = null;
  readonly exact = new Map<string, Promise<ExactEntry>>();

  constructor(
    readonly spec: SweepSpec,
    readonly file: string,
    readonly outDir: string,
  ) {}

  checkpoint(d: Dims): { ck: Checkpoint; path: string; sha256: string } {
    if (!this.ck) {
      const path = resolveInput(this.spec.checkpoint, this.file, 'checkpoint');
      const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
      this.ck = { ck: loadCheckpoint(path), path, sha256 };
    }
    const cd = dimsOfCircuit(this.ck.ck.circuit);
    if (cd.nx !== d.nx || cd.n1 !== d.n1 || cd.n2 !== d.n2) {
      throw new GradepError(`${this.file}: checkpoint: ${this.ck.path} holds a ${cd.nx}-${cd.n1}-${cd.n2} network, allowed the circuit's ${d.nx}-${d.n1}-${d.n2}`);
    }
    return this.ck;
  }
}

interface ExactEntry {
  grads: Params;
  flowMse: number;
  residualMax: number;
}

/**
 * The exact gradient of the IDEAL network (no chip: the circuit's lambda and alpha only) at
 * `p` on one batch, by implicit differentiation at free equilibria relaxed in float64 to
 * 1e-10. It does not depend on the chip, so it is computed once per (checkpoint contents,
 * lambda, alpha, relaxation, batch) and kept in DIR/exact-grad-cache/<hash>.json.
 */
function exactGradient(ctx: SweepContext, circuit: CircuitSpec, d: Dims, ck: { ck: Checkpoint; sha256: string }, batch: FlowBatch, batchSeed: number, batchIndex: number): Promise<ExactEntry> {
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

async function runPoint(pt: SweepPoint, ctx: SweepContext, engine: RelaxEngine): Promise<SweepResult> {
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
    const log = readFileSync(join(runDir, 'log.jsonl'), 'utf8').trim().split('\n').slice(-10).map((l) => JSON.parse(l).flow_mse as number);
    finalMse = log.reduce((a, b) => a + b, 0) / log.length;
  } else {
    params = ctx.checkpoint(d).ck.params;
  }
  const g = await generateOnChip(engine, buildSimulation(pt.circuit, 'transient'), buildChip(pt.circuit, pt.chip_seed), params, { mode: 'energy_gd', n: spec.samples, t1: pt.t1, dt: 0.01, seed: pt.chip_seed });
  // Keep up to 100 samples of every point for the report's sample grids.
  const keep = Math.min(100, spec.samples);
  writeFileAtomic(join(outDir, 'samples', `${pt.key}.json`), JSON.stringify(Array.from({ length: keep }, (_, i) => Array.from(g.samples.subarray(i * 64, (i + 1) * 64)))));
  return {
    ...common,
    action: pt.action,
    metrics: evaluateSamples(g.samples, spec.samples),
    final_flow_mse: finalMse,
    time_per_sample_s: g.timePerSample,
    energy_per_sample_j: g.energyPerSample,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Run this shard's points that DIR/results.jsonl does not hold yet, `jobs` at a time. */
export async function runSweep(spec: SweepSpec, file: string, outDir: string, shard: { i: number; n: number }, jobs: number, makeEngine: () => Promise<RelaxEngine>, onEvent: (e: SweepEvent) => void = () => {}): Promise<SweepResult[]> {
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, 'sweep.json'), JSON.stringify({ file, spec }, null, 1));
  const mine = sweepPoints(spec, file).filter((p) => p.index % shard.n === shard.i);
  const done = readResults(outDir);
  const ctx = new SweepContext(spec, file, outDir);
  const results: SweepResult[] = [];
  let count = 0;
  for (const p of mine) {
    const cached = done.get(p.key);
    if (cached) {
      // Numbered as the point is now (values added to or dropped from the file renumber points).
      const r = { ...cached, index: p.index };
      results.push(r);
      onEvent({ type: 'point', done: ++count, total: mine.length, result: r, cached: true });
    }
  }
  const todo = mine.filter((p) => !done.has(p.key));
  let next = 0;
  const worker = async () => {
    const engine = await makeEngine();
    try {
      while (next < todo.length) {
        const p = todo[next++];
        const r = await runPoint(p, ctx, engine);
        appendLine(join(outDir, 'results.jsonl'), JSON.stringify(r));
        results.push(r);
        onEvent({ type: 'point', done: ++count, total: mine.length, result: r, cached: false });
      }
    } finally {
      await engine.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, todo.length)) }, worker));
  return results.sort((a, b) => a.index - b.index);
}

/** Merge shard directories into `outDir/results.jsonl` (one line per point, index order). */
export function collectSweep(dirs: string[], outDir: string): SweepResult[] {
  const all = new Map<string, SweepResult>();
  for (const d of dirs) {
    if (!existsSync(join(d, 'results.jsonl'))) throw new GradepError(`${d}: no results.jsonl to collect`);
    for (const [k, r] of readResults(d)) all.set(k, r);
  }
  const rows = [...all.values()].sort((a, b) => a.index - b.index);
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  return rows;
}

export { loadCircuit };
