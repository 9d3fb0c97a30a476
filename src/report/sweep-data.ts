/**
 * What a sweep report reads: DIR/sweep.json (checked field by field), the finished points of
 * results.jsonl in the sweep's order with each point's realised circuit, and the quantities
 * drawn from a point.
 */
import { t975 } from '../metrics/intervals.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CircuitSpec } from '../circuit/spec.js';
import { isFailed, type PointKeys, readResults, recordedKeys, type SweepResult, type SweepSpec, sweepPoints } from '../experiments/sweep/index.js';
import { readJsonFile } from '../util/json.js';
import { GradepError } from '../util/errors.js';

export interface Quantity {
  key: string;
  label: string;
  get: (r: SweepResult) => number | null;
}

export const QUANTITIES: Quantity[] = [
  { key: 'fd', label: 'Frechet distance (lower is better)', get: (r) => r.metrics?.fd ?? null },
  { key: 'recognisability', label: 'recognisability (higher is better)', get: (r) => r.metrics?.recognisability ?? null },
  { key: 'coverage', label: 'classes covered of 10 (higher is better)', get: (r) => r.metrics?.coverage ?? null },
  { key: 'sharpness_w1', label: 'pixel-histogram W1 to data (lower is better)', get: (r) => r.metrics?.sharpness_w1 ?? null },
  { key: 'final_flow_mse', label: 'final in-situ flow-matching MSE (lower is better)', get: (r) => r.final_flow_mse ?? null },
  { key: 'energy_per_sample_j', label: 'resistive energy per generated sample, G V^2 only (J)', get: (r) => r.energy_per_sample_j ?? null },
  { key: 'grad_cosine', label: 'cosine to the exact gradient, per batch (higher is better)', get: (r) => r.gradient?.cosine ?? null },
  { key: 'grad_rel_error', label: 'relative error to the exact gradient, per batch (lower is better)', get: (r) => r.gradient?.rel_error ?? null },
  { key: 'grad_cosine_mean_grad', label: 'cosine of the batch-mean gradient to the exact one (higher is better)', get: (r) => r.gradient?.cosine_mean_grad ?? null },
  { key: 'grad_rel_error_mean_grad', label: 'relative error of the batch-mean gradient (lower is better)', get: (r) => r.gradient?.rel_error_mean_grad ?? null },
];

/** Mean, sample std and the half-width of the 95% Student-t interval of the mean (0 for one value). */
export function stats(v: number[]): { mean: number; std: number; half95: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, half95: v.length > 1 ? (t975(v.length - 1) * std) / Math.sqrt(v.length) : 0 };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of DIR/sweep.json that the report reads, with what each must be. */
const META_FIELDS: [string, string, (v: unknown) => boolean][] = [
  ['spec.name', 'a string', (v) => typeof v === 'string'],
  ['spec.description', 'a string', (v) => typeof v === 'string'],
  ['spec.base', 'a string', (v) => typeof v === 'string'],
  ['spec.vary', 'an object of value lists', (v) => isRecord(v) && Object.values(v).every(Array.isArray)],
  ['spec.actions', 'a list of actions', (v) => Array.isArray(v) && v.every((x) => typeof x === 'string')],
  ['spec.chip_seeds', 'a list of integers', (v) => Array.isArray(v) && v.every(Number.isInteger)],
];

/** DIR/sweep.json as `gradep sweep` wrote it; a damaged or hand-edited one is a one-line error naming file and field. */
export function readSweepMeta(dir: string): { file: string; spec: SweepSpec; keys: PointKeys } {
  const meta = join(dir, 'sweep.json');
  if (!existsSync(meta)) throw new GradepError(`${dir}: not a sweep directory (no sweep.json; run gradep sweep first)`);
  const raw = readJsonFile(meta, 'sweep.json');
  const bad = (field: string, v: unknown, allowed: string) => new GradepError(`${meta}: ${field}: got ${JSON.stringify(v)?.slice(0, 60) ?? 'nothing'}, allowed ${allowed} (gradep sweep rewrites the file)`);
  if (!isRecord(raw)) throw bad('(top level)', raw, 'an object { "file": ..., "spec": ... }');
  if (typeof raw.file !== 'string') throw bad('file', raw.file, 'the sweep file name');
  if (!isRecord(raw.spec)) throw bad('spec', raw.spec, 'an object (the sweep as run)');
  for (const [field, allowed, ok] of META_FIELDS) {
    const v = raw.spec[field.slice('spec.'.length)];
    if (!ok(v)) throw bad(field, v, allowed);
  }
  return { file: raw.file, spec: raw.spec as unknown as SweepSpec, keys: recordedKeys(raw) };
}

/** The sweep's finished points in its order, each with its realised circuit (base, set and the point's values, as the sweep builds it now). */
export interface SweepRows {
  spec: SweepSpec;
  rows: SweepResult[];
  /** By point index: the circuit each row ran on (as the base circuit file reads now). */
  circuits: Map<number, CircuitSpec>;
  failed: string[];
  file: string;
}

export function readSweepRows(dir: string): SweepRows {
  const { file, spec, keys } = readSweepMeta(dir);
  // The points of the sweep as last run, numbered in its order: a directory may still hold
  // results of values since dropped from the file, and those stay out.
  const done = readResults(dir);
  // A point whose key no longer matches because its base circuit file changed since the run
  // (e.g. a preset's transient solver) is found by its recorded place in the sweep instead.
  const place = (q: { index: number; action: string; chip_seed: number; overrides: unknown }) => JSON.stringify([q.index, q.action, q.chip_seed, q.overrides]);
  const byPlace = new Map([...done.values()].map((r) => [place(r), r]));
  const failed: string[] = [];
  const circuits = new Map<number, CircuitSpec>();
  const rows = sweepPoints(spec, file, keys).flatMap((p) => {
    const r = done.get(p.key) ?? byPlace.get(place(p));
    // A failed point (its relaxation diverged) has no numbers to draw: named in a note instead.
    if (r && isFailed(r)) failed.push(`#${p.index} ${p.action} ${JSON.stringify(p.overrides)} chip ${p.chip_seed}: ${r.error}`);
    if (r && !isFailed(r)) circuits.set(p.index, p.circuit);
    // Labelled as the point is now: a sweep file that re-expresses the same point (same key,
    // another field name or linked tuple) must not show the label of the run that cached it.
    return r && !isFailed(r) ? [{ ...r, index: p.index, overrides: p.overrides }] : [];
  });
  if (rows.length === 0) throw new GradepError(`${dir}: results.jsonl holds no finished point${failed.length ? ` (${failed.length} failed)` : ''}`);
  return { spec, rows, circuits, failed, file };
}
