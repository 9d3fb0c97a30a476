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
import { type ObjectField, validateObject } from '../circuit/schema.js';
import { type CircuitSpec, loadCircuit, validateCircuit } from '../circuit/spec.js';
import { realiseChip } from '../chip/chip.js';
import { generateOnChip } from '../flow/sample-chip.js';
import { dimsOfCircuit, loadCheckpoint } from '../learning/checkpoint.js';
import { evaluateSamples, type QualityMetrics } from '../metrics/quality.js';
import type { RelaxEngine } from '../solvers/engine.js';
import { GradepError } from '../util/errors.js';
import { readJsonFile, readKeyedJsonl, resolveInput as resolveInputFrom } from '../util/json.js';
import { PACKAGE_ROOT } from '../util/paths.js';
import { appendLine, writeFileAtomic } from '../util/atomic.js';
import { runTraining } from './train.js';

export const SWEEP_FORMAT = 'gradep-sweep/1';

const SWEEP_SCHEMA: ObjectField = {
  kind: 'object',
  doc: 'sweep',
  fields: {
    format: { kind: 'string', doc: 'file format tag', default: SWEEP_FORMAT, exact: SWEEP_FORMAT },
    name: { kind: 'string', doc: 'report name', default: 'sweep' },
    description: { kind: 'string', doc: 'what the sweep asks', default: '' },
    base: { kind: 'string', doc: 'base circuit file (relative to the working directory or the package root)', default: 'circuits/reram.json' },
    checkpoint: { kind: 'string', doc: 'ideal checkpoint for "transfer" points', default: 'reports/paper/checkpoint.json' },
    actions: { kind: 'enums', values: ['insitu', 'transfer'], default: ['insitu', 'transfer'], doc: 'insitu: GradEP training from scratch on the realised chip; transfer: the ideal checkpoint programmed onto it' },
    chip_seeds: { kind: 'numbers', unit: '', integer: true, min: 0, max: 2 ** 31 - 1, default: [0, 1, 2], doc: 'chips (replicates) per point' },
    steps: { kind: 'number', unit: '', integer: true, min: 1, max: 1e6, default: 100, doc: 'in-situ training steps' },
    batch: { kind: 'number', unit: '', integer: true, min: 2, max: 1797, default: 32, doc: 'in-situ training batch' },
    samples: { kind: 'number', unit: '', integer: true, min: 10, max: 100000, default: 100, doc: 'samples generated on the chip per point' },
    t1: { kind: 'number', unit: '', gt: 0, max: 100, default: 1.0, doc: 'generation horizon' },
  },
};

export interface SweepSpec {
  format: string;
  name: string;
  description: string;
  base: string;
  checkpoint: string;
  actions: ('insitu' | 'transfer')[];
  chip_seeds: number[];
  steps: number;
  batch: number;
  samples: number;
  t1: number;
  /** Field path (e.g. "synapse.g_dtod") -> values; the grid is their Cartesian product. */
  vary: Record<string, unknown[]>;
}

export interface SweepPoint {
  index: number;
  key: string;
  overrides: Record<string, unknown>;
  action: 'insitu' | 'transfer';
  chip_seed: number;
  circuit: CircuitSpec;
}

export interface SweepResult {
  key: string;
  index: number;
  overrides: Record<string, unknown>;
  action: 'insitu' | 'transfer';
  chip_seed: number;
  metrics: QualityMetrics;
  /** In-situ runs: mean flow-matching MSE of the last 10 steps (null for transfer). */
  final_flow_mse: number | null;
  time_per_sample_s: number;
  energy_per_sample_j: number;
  seconds: number;
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

export function loadSweep(file: string): SweepSpec {
  const raw = readJsonFile(file, 'sweep') as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GradepError(`${file}: expected a JSON object`);
  const { vary, ...rest } = raw;
  const spec = validateObject(file, '', rest, SWEEP_SCHEMA) as unknown as SweepSpec;
  if (typeof vary !== 'object' || vary === null || Array.isArray(vary) || Object.keys(vary).length === 0) {
    throw new GradepError(`${file}: vary: got ${JSON.stringify(vary)}, allowed an object mapping circuit fields to non-empty lists of values, e.g. { "synapse.g_dtod": [0, 0.05] }`);
  }
  for (const [k, v] of Object.entries(vary)) {
    if (!Array.isArray(v) || v.length === 0) throw new GradepError(`${file}: vary.${k}: got ${JSON.stringify(v)}, allowed a non-empty list of values`);
  }
  spec.vary = vary as Record<string, unknown[]>;
  // Validate every grid value now, so a bad value fails before hours of compute.
  sweepPoints(spec, file);
  return spec;
}

/** All points in index order: grid (last field fastest) x actions x chip seeds. */
export function sweepPoints(spec: SweepSpec, file: string): SweepPoint[] {
  const baseFile = resolveInput(spec.base, file, 'base');
  const baseRaw = readJsonFile(baseFile, 'circuit') as Record<string, unknown>;
  const fields = Object.keys(spec.vary);
  const combos: Record<string, unknown>[] = [{}];
  for (const f of fields) {
    const next: Record<string, unknown>[] = [];
    for (const c of combos) for (const v of spec.vary[f]) next.push({ ...c, [f]: v });
    combos.splice(0, combos.length, ...next);
  }
  const points: SweepPoint[] = [];
  for (const overrides of combos) {
    const raw = structuredClone(baseRaw);
    for (const [f, v] of Object.entries(overrides)) setPath(raw, f, v);
    // Errors name the sweep file and the overridden field path.
    const circuit = validateCircuit(raw, `${file} (vary on ${spec.base})`);
    for (const action of spec.actions) {
      for (const chip_seed of spec.chip_seeds) {
        const key = createHash('sha256')
          .update(JSON.stringify({ circuit, action, chip_seed, steps: spec.steps, batch: spec.batch, samples: spec.samples, t1: spec.t1, checkpoint: action === 'transfer' ? spec.checkpoint : null }))
          .digest('hex')
          .slice(0, 16);
        points.push({ index: points.length, key, overrides, action, chip_seed, circuit });
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

async function runPoint(pt: SweepPoint, spec: SweepSpec, file: string, outDir: string, engine: RelaxEngine): Promise<SweepResult> {
  const t0 = performance.now();
  const d = dimsOfCircuit(pt.circuit);
  let params;
  let finalMse: number | null = null;
  if (pt.action === 'insitu') {
    const runDir = join(outDir, 'points', pt.key);
    const ck = await runTraining(
      { circuit: pt.circuit, circuitFile: spec.base, steps: spec.steps, batch: spec.batch, seed: pt.chip_seed, chipSeed: pt.chip_seed, pairing: 'ot', relax: 'transient', outDir: runDir, resume: existsSync(join(runDir, 'checkpoint.json')), checkpointEvery: 10 },
      engine,
    );
    params = ck.params;
    const log = readFileSync(join(runDir, 'log.jsonl'), 'utf8').trim().split('\n').slice(-10).map((l) => JSON.parse(l).flow_mse as number);
    finalMse = log.reduce((a, b) => a + b, 0) / log.length;
  } else {
    params = loadCheckpoint(resolveInput(spec.checkpoint, file, 'checkpoint')).params;
  }
  const g = await generateOnChip(engine, realiseChip(pt.circuit, d, pt.chip_seed), params, { mode: 'energy_gd', n: spec.samples, t1: spec.t1, dt: 0.01, seed: pt.chip_seed });
  // Keep up to 100 samples of every point for the report's sample grids.
  const keep = Math.min(100, spec.samples);
  writeFileAtomic(join(outDir, 'samples', `${pt.key}.json`), JSON.stringify(Array.from({ length: keep }, (_, i) => Array.from(g.samples.subarray(i * 64, (i + 1) * 64)))));
  return {
    key: pt.key,
    index: pt.index,
    overrides: pt.overrides,
    action: pt.action,
    chip_seed: pt.chip_seed,
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
  const results: SweepResult[] = [];
  let count = 0;
  for (const p of mine) {
    const r = done.get(p.key);
    if (r) {
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
        const r = await runPoint(p, spec, file, outDir, engine);
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
