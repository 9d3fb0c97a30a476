/**
 * The line charts of a sweep report: each quantity against the first swept field (mean and one
 * standard deviation over chips, a series per action and value of the second field, a panel per
 * value of further fields, the real-data level where known), training curves of the in-situ and
 * fine-tuning points, and the context the parts of a report share.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CircuitSpec } from '../circuit/spec.js';
import type { SweepResult, SweepSpec } from '../experiments/sweep/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { lineChartPng, type LineSeries } from './figures.js';
import { spansDecade } from './chart-config.js';
import { evaluateSamples, type QualityMetrics, realSubset } from '../metrics/quality.js';
import { generationCharts, isGenerationSweep } from './generation-report.js';
import { type Axis, axisOf } from './sweep-axes.js';
import { QUANTITIES, type Quantity, stats } from './sweep-data.js';
import type { ReportChart } from './sweep-html.js';

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
    return { label: `${label} (${(g.get(xs[0]) as number[]).length} chips, 95% interval)`, x: xs, y: st.map((s) => s.mean), yErr: st.map((s) => s.half95) };
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

/** Everything the parts of a report share: the sweep, its finished points and the outputs so far. */
export interface ReportCtx {
  dir: string;
  outDir: string;
  spec: SweepSpec;
  rows: SweepResult[];
  /** By point index: the circuit each row ran on. */
  circuits: Map<number, CircuitSpec>;
  fields: string[];
  axes: Map<string, Axis>;
  /** The first swept field: the x axis of every quantity chart. */
  field: string;
  files: string[];
  charts: ReportChart[];
  /** Grids of a report written before, by point identity: kept where their samples are no longer at hand. */
  oldGrids: Map<string, Buffer>;
  /** Training figures of a report written before, by file name: kept where the training logs are no longer at hand. */
  oldTraining: Map<string, Buffer>;
  /** Figures kept as drawn before (no data to redraw them), shown as images in index.html. */
  kept: { caption: string; png: Buffer }[];
}

/** Real held-out digits scored at each sample count of the sweep, and their README sentence. */
export interface RealReference {
  counts: number[];
  realRef: Map<number, QualityMetrics>;
  refs: string;
}

const slug = (s: string) => s.replace(/\W+/g, '_');

/** FD and k-NN metrics depend on the sample count: the same count of real held-out digits is the floor to read them against. */
export function realReference(rows: SweepResult[]): RealReference {
  const counts = [...new Set(rows.flatMap((r) => (r.metrics ? [r.metrics.n] : [])))].sort((a, b) => a - b);
  const realRef = new Map(counts.map((n) => [n, evaluateSamples(realSubset(n), n)]));
  const refs = [...realRef]
    .map(([n, m]) => `${n} real held-out digits score FD ${m.fd.toFixed(2)}, recognisability ${m.recognisability.toFixed(2)}, coverage ${m.coverage}`)
    .join('; ');
  return { counts, realRef, refs };
}

/** One chart per quantity (and panel), against the first swept field, with the real-data level where known. */
export function writeQuantityCharts(ctx: ReportCtx, ref: RealReference): void {
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
      const chart: ReportChart = { title: `${spec.name}: ${q.label.replace(/ \(.*\)$/, '')} ${vs}${panel ? ` (${panel})` : ''}`, xLabel: ax.label, yLabel: q.label, series, logX: !ax.categories && logScale(series), categories: ax.categories };
      writeChart(ctx, chart, `${q.key}-vs-${slug(fieldName)}${panel ? `-${slug(panel)}` : ''}.png`);
    }
  }
  const refM = ref.realRef.size === 1 ? ([...ref.realRef.values()][0] as QualityMetrics) : null;
  for (const g of generation ? generationCharts(rows, spec.name, refM) : []) writeChart(ctx, g.chart, `${g.name}.png`);
}

/** Training curves of the in-situ and fine-tuning points, one chart per action. */
export function writeTrainingCharts(ctx: ReportCtx): void {
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
    const chart: ReportChart = { title: `${ctx.spec.name}: ${what}`, xLabel: 'training step', yLabel: 'free-phase flow-matching MSE (measured on the chip)', series, logY: true };
    writeChart(ctx, chart, `training-${action}.png`);
  }
}

/** Record a chart for index.html and draw it as outDir/name. */
export function writeChart(ctx: ReportCtx, chart: ReportChart, name: string, size = { width: 1000, height: 600 }): void {
  // Any quantity spanning more than a decade (energy, FD across an ablation) reads on a log y axis.
  chart.logY ??= spansDecade(chart.series.filter((s) => !s.reference).flatMap((s) => s.y));
  ctx.charts.push(chart);
  const f = join(ctx.outDir, name);
  writeFileAtomic(f, lineChartPng({ ...chart, ...size }));
  ctx.files.push(f);
}
