/**
 * `gradep report DIR`: a sweep's results as a report directory: PNG figures (quality and
 * gradient accuracy against the first swept field in its SI unit, mean and one standard
 * deviation over chip seeds, one series per action and value of the other swept fields),
 * training curves of the in-situ and fine-tuning points, sample grids per point, a README
 * summary table, and a self-contained index.html that draws the same charts interactively
 * with chart.js inlined (no network).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fieldAt, quantityValue } from '../circuit/schema.js';
import { CIRCUIT_SCHEMA, validateCircuit } from '../circuit/spec.js';
import { isFailed, type PointKeys, readResults, recordedKeys, resolveInput, sweepField, type SweepResult, type SweepSpec, sweepPoints } from '../experiments/sweep/index.js';
import { removeDeadTemps, writeFileAtomic } from '../util/atomic.js';
import { readJsonFile } from '../util/json.js';
import { GradepError } from '../util/errors.js';
import { type LineChartSpec, lineChartPng, type LineSeries, PALETTE, retitleGridPng, sampleGridPng } from './figures.js';
import { CHART_JS_SOURCE, spansDecade } from './chart-config.js';
import { evaluateSamples, type QualityMetrics, realSubset } from '../metrics/quality.js';
import { generationCharts, generationSummary, isGenerationSweep } from './generation-report.js';

interface Quantity {
  key: string;
  label: string;
  get: (r: SweepResult) => number | null;
}

const QUANTITIES: Quantity[] = [
  { key: 'fd', label: 'Frechet distance (lower is better)', get: (r) => r.metrics?.fd ?? null },
  { key: 'recognisability', label: 'recognisability (higher is better)', get: (r) => r.metrics?.recognisability ?? null },
  { key: 'coverage', label: 'classes covered of 10 (higher is better)', get: (r) => r.metrics?.coverage ?? null },
  { key: 'sharpness_w1', label: 'pixel-histogram W1 to data (lower is better)', get: (r) => r.metrics?.sharpness_w1 ?? null },
  { key: 'final_flow_mse', label: 'final in-situ flow-matching MSE (lower is better)', get: (r) => r.final_flow_mse ?? null },
  { key: 'energy_per_sample_j', label: 'energy per generated sample (J)', get: (r) => r.energy_per_sample_j ?? null },
  { key: 'grad_cosine', label: 'cosine to the exact gradient, per batch (higher is better)', get: (r) => r.gradient?.cosine ?? null },
  { key: 'grad_rel_error', label: 'relative error to the exact gradient, per batch (lower is better)', get: (r) => r.gradient?.rel_error ?? null },
  { key: 'grad_cosine_mean_grad', label: 'cosine of the batch-mean gradient to the exact one (higher is better)', get: (r) => r.gradient?.cosine_mean_grad ?? null },
  { key: 'grad_rel_error_mean_grad', label: 'relative error of the batch-mean gradient (lower is better)', get: (r) => r.gradient?.rel_error_mean_grad ?? null },
];

function stats(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std };
}

/** How a swept field is drawn: its axis label (with unit), and each value as a number (SI, or the position of a choice). */
interface Axis {
  label: string;
  x: (v: unknown) => number;
  show: (v: unknown) => string;
  /** Set for a categorical field (string choices, an ablation's cases): x is the index into this list. */
  categories?: string[];
}

/** The base circuit's value of a field (SI), for naming an ablation's cases by what they change. */
export type BaseValue = (field: string) => unknown;

export function axisOf(field: string, values: unknown[], base?: BaseValue): Axis {
  if (field.includes('+')) {
    // Linked fields: drawn against the first, the others named in the label.
    const [first, ...others] = field.split('+');
    const a = axisOf(first, values.map((v) => (Array.isArray(v) ? v[0] : v)));
    const at = (v: unknown) => (Array.isArray(v) ? v[0] : v);
    const firsts = values.map((v) => a.x(at(v)));
    if (a.categories || new Set(firsts).size !== firsts.length || firsts.some((x) => !Number.isFinite(x))) {
      // The first field cannot order the tuples (e.g. an ablation): one category per case.
      return caseAxis(field, values, base);
    }
    return { label: `${a.label}, with ${others.join(', ')} linked`, x: (v) => a.x(at(v)), show: (v) => a.show(at(v)) };
  }
  // 12 significant digits: "30 ns" is drawn at 3e-8, not at the parser's 3.0000000000000004e-8.
  const si = (v: unknown, unit: string) => {
    const x = quantityValue(v, unit);
    return x === null ? NaN : Number(x.toPrecision(12));
  };
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  if (field === 't1') return { label: 't1 (generation horizon, flow time)', x: (v) => si(v, ''), show };
  const f = fieldAt(CIRCUIT_SCHEMA, field) ?? sweepField(field);
  if (f && f.kind === 'number') {
    const unit = f.unit || (/\brelative\b/.test(f.doc) ? 'relative' : '');
    // Resolutions where 0 means "continuous" / "ideal": drawn to the right of the finite ones, not at 0.
    const zero = /\b0 = (continuous|ideal)\b/.exec(f.doc);
    const finiteVals = values.map((v) => si(v, f.unit)).filter((x) => Number.isFinite(x) && x !== 0);
    if (zero && values.some((v) => si(v, f.unit) === 0) && finiteVals.length > 0) {
      const at = Math.max(...finiteVals) + 2;
      return {
        label: `${field} (${zero[1]} drawn at ${at})`,
        x: (v) => (si(v, f.unit) === 0 ? at : si(v, f.unit)),
        show: (v) => (si(v, f.unit) === 0 ? zero[1] : show(v)),
      };
    }
    return {
      label: unit ? `${field} (${unit})` : field,
      x: (v) => si(v, f.unit),
      show: (v) => (typeof v === 'number' && f.unit ? `${v} ${f.unit}` : show(v)),
    };
  }
  // Choices: one category each, in the order of the vary list.
  const pos = values.map(show);
  return { label: field, x: (v) => pos.indexOf(show(v)), show, categories: pos };
}

/** Whether a linked field's value differs from the base circuit's (numbers compared in SI). */
function differs(field: string, v: unknown, base?: BaseValue): boolean {
  const b = base?.(field);
  if (b === undefined) return true;
  const f = fieldAt(CIRCUIT_SCHEMA, field);
  if (f?.kind === 'number' && typeof b === 'number') {
    const x = quantityValue(v, f.unit);
    return x === null || Math.abs(x - b) > 1e-9 * Math.max(Math.abs(x), Math.abs(b));
  }
  return JSON.stringify(v) !== JSON.stringify(b);
}

const isZero = (field: string, v: unknown) => quantityValue(v, fieldAt(CIRCUIT_SCHEMA, field)?.kind === 'number' ? (fieldAt(CIRCUIT_SCHEMA, field) as { unit: string }).unit : '') === 0;

/** The cases of a linked tuple, each named by the fields it changes from the base ("synapse.g_dtod = 0", "all 12 = 0"). */
function caseAxis(field: string, values: unknown[], base?: BaseValue): Axis {
  const names = field.split('+');
  const name = (t: unknown): string => {
    const vals = Array.isArray(t) ? t : [t];
    const diff = names.map((n, i) => [n, vals[i]] as const).filter(([n, v]) => differs(n, v, base));
    if (diff.length === 0) return 'base circuit';
    if (diff.length <= 2) return diff.map(([n, v]) => `${n} = ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
    const zero = diff.every(([n, v]) => isZero(n, v));
    const what = diff.length === names.length ? `all ${names.length}` : `${diff.length} fields`;
    return zero ? `${what} = 0` : `${what} changed`;
  };
  const pos = values.map((v) => JSON.stringify(v));
  const raw = values.map(name);
  // Two cases with the same short name keep their position, so neither hides the other.
  const cats = raw.map((l, i) => (raw.indexOf(l) !== raw.lastIndexOf(l) ? `${l} (#${i})` : l));
  return {
    label: `case (${names.length} linked fields; named by the fields that differ from the base circuit)`,
    x: (v) => pos.indexOf(JSON.stringify(v)),
    show: (v) => cats[pos.indexOf(JSON.stringify(v))] ?? JSON.stringify(v),
    categories: cats,
  };
}

/** The base circuit of the sweep (with its `set`), validated, as a field lookup; undefined where it cannot be read. */
function baseLookup(spec: SweepSpec, file: string): BaseValue | undefined {
  try {
    const raw = readJsonFile(resolveInput(spec.base, file, 'base'), 'circuit') as Record<string, unknown>;
    for (const [f, v] of Object.entries(spec.set ?? {})) {
      const parts = f.split('.');
      let o = raw;
      for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
      o[parts[parts.length - 1]] = v;
    }
    const c = validateCircuit(raw, spec.base) as unknown as Record<string, unknown>;
    return (field) => field.split('.').reduce<unknown>((o, p) => (isRecord(o) ? o[p] : undefined), c);
  } catch {
    // A base circuit no longer at hand: every linked field counts as changed.
    return undefined;
  }
}

/** Series per action and value of the other swept fields, against `field`. */
function seriesFor(rows: SweepResult[], field: string, axes: Map<string, Axis>, q: Quantity, withAction = true, legendFields?: string[]): LineSeries[] {
  const ax = axes.get(field) as Axis;
  const groups = new Map<string, Map<number, number[]>>();
  for (const r of rows) {
    const v = q.get(r);
    if (v === null || !Number.isFinite(v)) continue;
    const x = ax.x(r.overrides[field]);
    if (!Number.isFinite(x)) continue;
    const rest = Object.entries(r.overrides).filter(([k]) => k !== field && (!legendFields || legendFields.includes(k)));
    const label = [...(withAction ? [r.action] : []), ...rest.map(([k, y]) => `${k.split('+')[0]} = ${(axes.get(k) ?? axisOf(k, [])).show(y)}`)].join(', ') || r.action;
    const g = groups.get(label) ?? new Map<number, number[]>();
    g.set(x, [...(g.get(x) ?? []), v]);
    groups.set(label, g);
  }
  return [...groups].map(([label, g]) => {
    const xs = [...g.keys()].sort((a, b) => a - b);
    const st = xs.map((x) => stats(g.get(x) as number[]));
    return { label: `${label} (${(g.get(xs[0]) as number[]).length} chips)`, x: xs, y: st.map((s) => s.mean), yErr: st.map((s) => s.std) };
  });
}

/** Flow-matching MSE per step of the in-situ and fine-tuning runs (points/<key>/log.jsonl), mean over chips, a series per swept value. */
function trainingSeries(dir: string, rows: SweepResult[], action: string, axes: Map<string, Axis>): LineSeries[] {
  const groups = new Map<string, Map<number, number[]>>();
  for (const r of rows) {
    if (r.action !== action) continue;
    const f = join(dir, 'points', r.key, 'log.jsonl');
    if (!existsSync(f)) continue;
    const label = Object.entries(r.overrides).map(([k, y]) => `${k} = ${(axes.get(k) ?? axisOf(k, [])).show(y)}`).join(', ') || action;
    const g = groups.get(label) ?? new Map<number, number[]>();
    for (const l of readFileSync(f, 'utf8').split('\n')) {
      if (!l.trim()) continue;
      try {
        const row = JSON.parse(l) as { step: number; flow_mse: number };
        if (Number.isFinite(row.flow_mse)) g.set(row.step, [...(g.get(row.step) ?? []), row.flow_mse]);
      } catch {
        // a line cut by a crash
      }
    }
    groups.set(label, g);
  }
  return [...groups]
    .filter(([, g]) => g.size > 0)
    .map(([label, g]) => {
      const xs = [...g.keys()].sort((a, b) => a - b);
      const n = Math.max(...xs.map((x) => (g.get(x) as number[]).length));
      return { label: `${label} (mean of ${n} chip${n === 1 ? '' : 's'})`, x: xs, y: xs.map((x) => stats(g.get(x) as number[]).mean) };
    });
}

/** Values spanning a decade and more of positive numbers (beta, capacitance) are drawn on a log axis. */
function logScale(series: LineSeries[]): boolean {
  const xs = series.flatMap((s) => s.x);
  return xs.length > 1 && xs.every((x) => x > 0) && Math.max(...xs) / Math.min(...xs) >= 10;
}

/** A chart of the report: drawn to PNG and, with the same data, interactively in index.html. */
type Chart = Omit<LineChartSpec, 'width' | 'height'>;

const num = (v: number | null | undefined, f: (x: number) => string) => (v === null || v === undefined ? '-' : f(v));

/** Everything the parts of a report share: the sweep, its finished points and the outputs so far. */
interface ReportCtx {
  dir: string;
  outDir: string;
  spec: SweepSpec;
  rows: SweepResult[];
  fields: string[];
  axes: Map<string, Axis>;
  /** The first swept field: the x axis of every quantity chart. */
  field: string;
  files: string[];
  charts: Chart[];
  /** Grids of a report written before, by point identity: kept where their samples are no longer at hand. */
  oldGrids: Map<string, Buffer>;
  /** Training figures of a report written before, by file name: kept where the training logs are no longer at hand. */
  oldTraining: Map<string, Buffer>;
  /** Figures kept as drawn before (no data to redraw them), shown as images in index.html. */
  kept: { caption: string; png: Buffer }[];
}

/** Real held-out digits scored at each sample count of the sweep, and their README sentence. */
interface RealReference {
  counts: number[];
  realRef: Map<number, QualityMetrics>;
  refs: string;
}

const slug = (s: string) => s.replace(/\W+/g, '_');

/** Write the report of sweep directory dir into outDir; returns the files written and the points table. */
export function writeSweepReport(dir: string, outDir: string): { files: string[]; table: string; failed: string[] } {
  const { spec, rows, failed, file } = readSweepRows(dir);
  const fields = Object.keys(spec.vary);
  const base = baseLookup(spec, file);
  const axes = new Map(fields.map((k) => [k, axisOf(k, spec.vary[k], base)]));
  const ctx: ReportCtx = { dir, outDir, spec, rows, fields, axes, field: fields[0], files: [], charts: [], oldGrids: oldGrids(outDir), oldTraining: oldTraining(outDir), kept: [] };
  clearOldFigures(outDir);
  const ref = realReference(rows);
  writeQuantityCharts(ctx, ref);
  writeTrainingCharts(ctx);
  const grids = writeSampleGrids(ctx);
  const table = pointsTable(rows, fields);
  const failedNote = failed.length ? `Failed points, not drawn: ${failed.join('; ')}.\n\n` : '';
  const reference = (ref.refs ? `Reference at the same sample count: ${ref.refs}.\n\n` : '') + failedNote;
  writeReadme(ctx, table, reference);
  writeFileAtomic(join(outDir, 'index.html'), html(spec, ctx.charts, [...ctx.kept, ...grids], table, reference.trim(), ctx.kept.length));
  ctx.files.push(join(outDir, 'README.md'), join(outDir, 'index.html'));
  // The raw results travel with the report, so figures can be redrawn without the sweep directory.
  for (const f of ['results.jsonl', 'sweep.json']) {
    writeFileAtomic(join(outDir, f), f === 'results.jsonl' ? rows.map((r) => JSON.stringify(r)).join('\n') + '\n' : readFileSync(join(dir, f), 'utf8'));
    ctx.files.push(join(outDir, f));
  }
  return { files: ctx.files, table, failed };
}

/** The sweep spec and its finished points, numbered in the sweep's order. */
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

function readSweepRows(dir: string): { spec: SweepSpec; rows: SweepResult[]; failed: string[]; file: string } {
  const { file, spec, keys } = readSweepMeta(dir);
  // The points of the sweep as last run, numbered in its order: a directory may still hold
  // results of values since dropped from the file, and those stay out.
  const done = readResults(dir);
  // A point whose key no longer matches because its base circuit file changed since the run
  // (e.g. a preset's transient solver) is found by its recorded place in the sweep instead.
  const place = (q: { index: number; action: string; chip_seed: number; overrides: unknown }) => JSON.stringify([q.index, q.action, q.chip_seed, q.overrides]);
  const byPlace = new Map([...done.values()].map((r) => [place(r), r]));
  const failed: string[] = [];
  const rows = sweepPoints(spec, file, keys).flatMap((p) => {
    const r = done.get(p.key) ?? byPlace.get(place(p));
    // A failed point (its relaxation diverged) has no numbers to draw: named in a note instead.
    if (r && isFailed(r)) failed.push(`#${p.index} ${p.action} ${JSON.stringify(p.overrides)} chip ${p.chip_seed}: ${r.error}`);
    return r && !isFailed(r) ? [{ ...r, index: p.index }] : [];
  });
  if (rows.length === 0) throw new GradepError(`${dir}: results.jsonl holds no finished point${failed.length ? ` (${failed.length} failed)` : ''}`);
  return { spec, rows, failed, file };
}

/**
 * A report directory written before (it holds our sweep.json) loses its old figures and
 * grids first, so charts of dropped values or renamed panels do not linger beside the new ones.
 */
function clearOldFigures(outDir: string): void {
  for (const d of [outDir, join(outDir, 'samples')]) removeDeadTemps(d);
  if (existsSync(join(outDir, 'sweep.json'))) {
    for (const f of readdirSync(outDir)) if (f.endsWith('.png')) rmSync(join(outDir, f));
    if (existsSync(join(outDir, 'samples'))) for (const f of readdirSync(join(outDir, 'samples'))) if (/^point-\d+\.png$/.test(f)) rmSync(join(outDir, 'samples', f));
  }
}

/** FD and k-NN metrics depend on the sample count: the same count of real held-out digits is the floor to read them against. */
function realReference(rows: SweepResult[]): RealReference {
  const counts = [...new Set(rows.flatMap((r) => (r.metrics ? [r.metrics.n] : [])))].sort((a, b) => a - b);
  const realRef = new Map(counts.map((n) => [n, evaluateSamples(realSubset(n), n)]));
  const refs = [...realRef]
    .map(([n, m]) => `${n} real held-out digits score FD ${m.fd.toFixed(2)}, recognisability ${m.recognisability.toFixed(2)}, coverage ${m.coverage}`)
    .join('; ');
  return { counts, realRef, refs };
}

/** One chart per quantity (and panel), against the first swept field, with the real-data level where known. */
function writeQuantityCharts(ctx: ReportCtx, ref: RealReference): void {
  const { rows, fields, axes, field, spec } = ctx;
  // Fields beyond the second get one chart each per value (a legend of a dozen series is unreadable).
  const panelFields = fields.slice(2);
  const panelOf = (r: SweepResult) => panelFields.map((k) => `${k.split('+')[0]} = ${(axes.get(k) as Axis).show(r.overrides[k])}`).join(', ');
  const panels = [...new Set(rows.map(panelOf))];
  const fieldName = field.split('+')[0];
  // "generate" sweeps draw quality against relaxation time and horizon instead (generation-report.ts).
  const generation = isGenerationSweep(rows);
  for (const q of generation ? [] : QUANTITIES) {
    for (const panel of panels) {
      const series = seriesFor(rows.filter((r) => panelOf(r) === panel), field, axes, q, (spec.actions ?? []).length > 1, fields.slice(1, 2));
      const refM = ref.realRef.size === 1 ? ([...ref.realRef.values()][0] as QualityMetrics) : null;
      const refV = refM && q.key in refM ? (refM as unknown as Record<string, number>)[q.key] : undefined;
      if (series.length > 0 && typeof refV === 'number') {
        const xs = series.flatMap((s) => s.x);
        series.push({ label: `real held-out digits (n = ${ref.counts[0]})`, x: [Math.min(...xs), Math.max(...xs)], y: [refV, refV], reference: true });
      }
      if (series.length === 0) continue;
      const ax = axes.get(field) as Axis;
      const vs = ax.categories ? 'per case' : `vs ${fieldName}`;
      const chart: Chart = { title: `${spec.name}: ${q.label.replace(/ \(.*\)$/, '')} ${vs}${panel ? ` (${panel})` : ''}`, xLabel: ax.label, yLabel: q.label, series, logX: !ax.categories && logScale(series), categories: ax.categories };
      writeChart(ctx, chart, `${q.key}-vs-${slug(fieldName)}${panel ? `-${slug(panel)}` : ''}.png`);
    }
  }
  const refM = ref.realRef.size === 1 ? ([...ref.realRef.values()][0] as QualityMetrics) : null;
  for (const g of generation ? generationCharts(rows, spec.name, refM) : []) writeChart(ctx, g.chart, `${g.name}.png`);
}

/** Training curves of the in-situ and fine-tuning points, one chart per action. */
function writeTrainingCharts(ctx: ReportCtx): void {
  for (const action of ['insitu', 'finetune']) {
    const series = trainingSeries(ctx.dir, ctx.rows, action, ctx.axes);
    const old = ctx.oldTraining.get(`training-${action}.png`);
    if (series.length === 0 && old) {
      // A committed report redrawn: the per-point training logs are not kept, the figure is.
      const f = join(ctx.outDir, `training-${action}.png`);
      writeFileAtomic(f, old);
      ctx.files.push(f);
      ctx.kept.push({ caption: `training-${action}.png (kept as drawn before: the training logs are not in this directory)`, png: old });
    }
    if (series.length === 0) continue;
    const what = action === 'insitu' ? 'in-situ training from scratch' : 'in-situ fine-tuning of the checkpoint';
    const chart: Chart = { title: `${ctx.spec.name}: ${what}`, xLabel: 'training step', yLabel: 'free-phase flow-matching MSE (measured on the chip)', series, logY: true };
    writeChart(ctx, chart, `training-${action}.png`);
  }
}

/** Record a chart for index.html and draw it as outDir/name. */
function writeChart(ctx: ReportCtx, chart: Chart, name: string): void {
  // Any quantity spanning more than a decade (energy, FD across an ablation) reads on a log y axis.
  chart.logY ??= spansDecade(chart.series.filter((s) => !s.reference).flatMap((s) => s.y));
  ctx.charts.push(chart);
  const f = join(ctx.outDir, name);
  writeFileAtomic(f, lineChartPng({ ...chart, width: 1000, height: 600 }));
  ctx.files.push(f);
}

const identity = (r: { action: string; chip_seed: number; overrides: Record<string, unknown> }) => JSON.stringify([r.action, r.chip_seed, r.overrides]);

/** A point's short name: its swept values ("synapse.bits = 4", or the ablation case's name). */
function pointName(ctx: ReportCtx, r: SweepResult): string {
  return ctx.fields
    .map((f) => {
      const ax = ctx.axes.get(f) as Axis;
      return ax.categories && f.includes('+') ? ax.show(r.overrides[f]) : `${f.split('+')[0]} = ${ax.show(r.overrides[f])}`;
    })
    .join(', ');
}

/** The training figures of a report written before (outDir holds its sweep.json). */
function oldTraining(outDir: string): Map<string, Buffer> {
  const figs = new Map<string, Buffer>();
  if (!existsSync(join(outDir, 'sweep.json'))) return figs;
  for (const f of ['training-insitu.png', 'training-finetune.png']) if (existsSync(join(outDir, f))) figs.set(f, readFileSync(join(outDir, f)));
  return figs;
}

/** The grid PNGs of a report written before (outDir holds its sweep.json and results.jsonl), by point identity. */
function oldGrids(outDir: string): Map<string, Buffer> {
  const grids = new Map<string, Buffer>();
  const results = join(outDir, 'results.jsonl');
  if (!existsSync(join(outDir, 'sweep.json')) || !existsSync(results)) return grids;
  for (const line of readFileSync(results, 'utf8').split('\n')) {
    try {
      const r = JSON.parse(line) as SweepResult;
      const f = join(outDir, 'samples', `point-${r.index}.png`);
      if (existsSync(f)) grids.set(identity(r), readFileSync(f));
    } catch {
      // an empty or cut line
    }
  }
  return grids;
}

/**
 * A sample grid per sampled point (samples/point-<index>.png), also returned for index.html.
 * Without the point's samples (a committed report redrawn: samples/*.json are not kept) the
 * grid drawn before is kept under the new title.
 */
function writeSampleGrids(ctx: ReportCtx): { key: string; caption: string; png: Buffer }[] {
  const grids: { key: string; caption: string; png: Buffer }[] = [];
  for (const r of ctx.rows) {
    if (r.metrics === null) continue;
    const sf = join(ctx.dir, 'samples', `${r.key}.json`);
    const caption = `#${r.index} ${r.action}, chip ${r.chip_seed}, ${pointName(ctx, r)}: FD ${r.metrics.fd.toFixed(2)}`;
    const old = ctx.oldGrids.get(identity(r));
    let png: Buffer;
    if (existsSync(sf)) {
      const arr = JSON.parse(readFileSync(sf, 'utf8')) as number[][];
      png = sampleGridPng(Float64Array.from(arr.flat()), arr.length, { cols: 10, scale: 4, title: caption });
    } else if (old) png = retitleGridPng(old, caption);
    else continue;
    const f = join(ctx.outDir, 'samples', `point-${r.index}.png`);
    writeFileAtomic(f, png);
    ctx.files.push(f);
    grids.push({ key: r.key, caption, png });
  }
  return grids;
}

/** The markdown table of all points; quality and gradient columns only where some point has them. */
function pointsTable(rows: SweepResult[], fields: string[]): string {
  const sampled = rows.some((r) => r.metrics !== null);
  const graded = rows.some((r) => r.gradient);
  const cols: [string, (r: SweepResult) => string][] = [
    ['#', (r) => String(r.index)],
    ['action', (r) => r.action],
    ['chip', (r) => String(r.chip_seed)],
    ...fields.map((k) => [k, (r: SweepResult) => JSON.stringify(r.overrides[k])] as [string, (r: SweepResult) => string]),
  ];
  if (sampled) {
    cols.push(
      ['FD', (r) => num(r.metrics?.fd, (x) => x.toFixed(2))],
      ['recognisability', (r) => num(r.metrics?.recognisability, (x) => x.toFixed(3))],
      ['coverage', (r) => num(r.metrics?.coverage, String)],
      ['sharpness W1', (r) => num(r.metrics?.sharpness_w1, (x) => x.toFixed(3))],
      ['final MSE', (r) => num(r.final_flow_mse, (x) => x.toFixed(3))],
      ['energy/sample (J)', (r) => num(r.energy_per_sample_j, (x) => x.toExponential(2))],
    );
  }
  if (rows.some((r) => r.action === 'generate')) cols.push(['relaxation (tau)', (r) => (r.action === 'generate' ? r.relaxation_tau.toFixed(0) : '-')]);
  if (graded) {
    cols.push(
      ['grad cosine', (r) => num(r.gradient?.cosine, (x) => x.toFixed(4))],
      ['grad rel. error', (r) => num(r.gradient?.rel_error, (x) => x.toFixed(4))],
      ['mean-grad cosine', (r) => num(r.gradient?.cosine_mean_grad, (x) => x.toFixed(4))],
      ['mean-grad rel. error', (r) => num(r.gradient?.rel_error_mean_grad, (x) => x.toFixed(4))],
    );
  }
  const head = `| ${cols.map((c) => c[0]).join(' | ')} |`;
  const sep = `|${'---|'.repeat(cols.length)}`;
  const body = rows.map((r) => `| ${cols.map((c) => c[1](r)).join(' | ')} |`);
  return [head, sep, ...body].join('\n');
}

/** README.md: description, setup and budget, the real-data reference, summary tables and all points. */
function writeReadme(ctx: ReportCtx, table: string, reference: string): void {
  const { spec, rows, fields, axes } = ctx;
  const actions = spec.actions ?? [];
  const summary = isGenerationSweep(rows) ? generationSummary(rows) : summaryTables(rows, spec, fields, axes);
  const budget = [
    actions.includes('insitu') ? `in-situ training ${spec.steps} steps at batch ${spec.batch}` : '',
    actions.includes('finetune') ? `fine-tuning ${spec.finetune_steps} steps at batch ${spec.batch}, learning rate ${spec.finetune_lr}` : '',
    actions.some((a) => a !== 'insitu') ? `checkpoint \`${spec.checkpoint}\`` : '',
    actions.some((a) => a !== 'gradient') ? `${spec.samples} samples per point at t1 = ${fields.some((k) => k.split('+').includes('t1')) ? 'the swept t1' : spec.t1}` : '',
    actions.includes('gradient') ? `gradient: ${spec.gradient_batches} batch(es) of ${spec.batch} against the exact gradient of the ideal network` : '',
  ].filter(Boolean);
  const set = spec.set && Object.keys(spec.set).length ? ` with ${Object.entries(spec.set).map(([k, v]) => `\`${k}\` = ${JSON.stringify(v)}`).join(', ')}` : '';
  writeFileAtomic(
    join(ctx.outDir, 'README.md'),
    `# ${spec.name}\n\n${spec.description}\n\nBase circuit \`${spec.base}\`${set}; ${rows.length} points (actions ${actions.join(', ')}; chips ${spec.chip_seeds.join(', ')}); ${budget.join('; ')}. Figures: mean and one standard deviation over chips. Interactive: index.html.\n\n${reference}${summary}## All points\n\n${table}\n`,
  );
}

/**
 * Headline numbers at a glance: per action and headline quantity, mean +- std over chips in a
 * table with the first swept field down and the second across (one table per value of any
 * further fields): the operating region of a two-field sweep reads off one table.
 */
function summaryTables(rows: SweepResult[], spec: SweepSpec, fields: string[], axes: Map<string, Axis>): string {
  const heads: Quantity[] = QUANTITIES.filter((q) => ['fd', 'recognisability', 'grad_cosine', 'grad_cosine_mean_grad'].includes(q.key));
  const [f0, f1, ...rest] = fields;
  const id = (v: unknown) => JSON.stringify(v);
  const shown = (f: string, v: unknown) => (axes.get(f) as Axis).show(v);
  const out: string[] = [];
  for (const action of spec.actions ?? []) {
    for (const q of heads) {
      const rs = rows.filter((r) => r.action === action && q.get(r) !== null && Number.isFinite(q.get(r) as number));
      if (rs.length === 0) continue;
      const restKey = (r: SweepResult) => rest.map((f) => `${f} = ${shown(f, r.overrides[f])}`).join(', ');
      const groups = [...new Set(rs.map(restKey))];
      for (const g of groups) {
        const gr = rs.filter((r) => restKey(r) === g);
        const rowVals = spec.vary[f0].filter((v) => gr.some((r) => id(r.overrides[f0]) === id(v)));
        const colVals = f1 ? spec.vary[f1].filter((v) => gr.some((r) => id(r.overrides[f1]) === id(v))) : [null];
        const cell = (a: unknown, b: unknown) => {
          const v = gr.filter((r) => id(r.overrides[f0]) === id(a) && (f1 === undefined || id(r.overrides[f1]) === id(b))).map((r) => q.get(r) as number);
          if (v.length === 0) return '-';
          const st = stats(v);
          const dig = Math.abs(st.mean) >= 10 ? 1 : q.key.startsWith('grad') ? 3 : 2;
          return v.length > 1 ? `${st.mean.toFixed(dig)} +- ${st.std.toFixed(dig)}` : st.mean.toFixed(dig);
        };
        const title = `${action}: ${q.label}${g ? `, ${g}` : ''}`;
        // An ablation's linked cases are named by what they change, not by their first field.
        const name = (f: string) => ((axes.get(f) as Axis).categories && f.includes('+') ? 'case' : f.split('+')[0]);
        const head = `| ${name(f0)}${f1 ? ` \\ ${name(f1)}` : ''} | ${colVals.map((c) => (f1 ? shown(f1, c) : 'mean +- std over chips')).join(' | ')} |`;
        const lines = rowVals.map((a) => `| ${shown(f0, a)} | ${colVals.map((b) => cell(a, b)).join(' | ')} |`);
        out.push(`**${title}**\n\n${head}\n|${'---|'.repeat(colVals.length + 1)}\n${lines.join('\n')}\n`);
      }
    }
  }
  return out.length ? `## Summary (mean +- std over chips)\n\n${out.join('\n')}\n` : '';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One HTML file: chart.js inlined, data embedded, sample grids as data URIs. */
function html(spec: SweepSpec, charts: Chart[], images: { caption: string; png: Buffer }[], table: string, reference: string, keptFigures: number): string {
  const img = (g: { caption: string; png: Buffer }) => `<figure><img alt="${esc(g.caption)}" src="data:image/png;base64,${g.png.toString('base64')}"><figcaption>${esc(g.caption)}</figcaption></figure>`;
  const require = createRequire(import.meta.url);
  // The UMD build sits beside the package's main entry (it is not in the package's exports).
  const chartJs = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8');
  const rows = table
    .split('\n')
    .filter((l, i) => i !== 1)
    .map((l, i) => `<tr>${l.split('|').slice(1, -1).map((c) => (i === 0 ? `<th>${esc(c.trim())}</th>` : `<td>${esc(c.trim())}</td>`)).join('')}</tr>`)
    .join('\n');
  const data = JSON.stringify(charts).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(spec.name)}</title>
<style>body{font:15px system-ui,sans-serif;margin:2em;max-width:1100px}canvas{margin:1em 0}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}th{position:sticky;top:0;background:#f4f4f4}
.points{max-height:32em;overflow:auto;border:1px solid #ccc}
figure img{display:block;max-width:100%}
/* Grids at their own pixel size: their titles are drawn at 15 px and must not shrink. */
.grids{display:flex;flex-wrap:wrap;gap:1em}.grids figure{margin:0}.grids img{display:block;max-width:none;image-rendering:pixelated}</style>
<script>${chartJs}</script></head><body>
<h1>${esc(spec.name)}</h1><p>${esc(spec.description)}</p>${reference ? `<p>${esc(reference)}</p>` : ''}
<div id="charts"></div>${images.slice(0, keptFigures).map(img).join('\n')}
<h2>Points</h2><div class="points"><table>${rows}</table></div>
<h2>Samples</h2><div class="grids">${images.slice(keptFigures).map((g) => `<figure><img alt="${esc(g.caption)}" title="${esc(g.caption)}" src="data:image/png;base64,${g.png.toString('base64')}"></figure>`).join('\n')}</div>
<script>
${CHART_JS_SOURCE}
const charts = ${data};
const style = { fontSize: 14, titleSize: 17, palette: ${JSON.stringify(PALETTE)} };
for (const c of charts) {
  const cv = document.createElement('canvas'); cv.width = 1000; cv.height = 560;
  document.getElementById('charts').appendChild(cv);
  new Chart(cv, chartConfig(c, style));
}
</script></body></html>
`;
}
