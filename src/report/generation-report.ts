/**
 * Figures and summary of "generate" sweeps (generation from a checkpoint on the ideal network,
 * e.g. experiments/relaxation-vs-quality.json): sample quality against the relaxation time
 * per generated sample in tau, one series per family (settle-then-step with converged
 * evaluations and t1 swept, per mode; hidden relaxation cut to hidden_T paper steps; fully
 * analogue per t1, ratio swept), and quality against the horizon t1 per mode. Seeds (chip
 * seeds) are averaged: mean and one standard deviation.
 */
import type { GeneratedResult, SweepResult } from '../experiments/sweep/index.js';
import type { QualityMetrics, ScalarQualityKey } from '../metrics/quality.js';
import type { LineChartSpec, LineSeries } from './figures.js';

const METRICS: { key: ScalarQualityKey; label: string; better: string }[] = [
  { key: 'fd', label: 'Frechet distance (evaluator features)', better: 'lower is better' },
  { key: 'recognisability', label: 'recognisability (fraction, confidence >= 0.9)', better: 'higher is better' },
  { key: 'coverage', label: 'classes covered (of 10)', better: 'higher is better' },
  { key: 'sharpness_w1', label: 'pixel-histogram W1 to data', better: 'lower is better' },
];

/** A chart and the file name (without .png) it is drawn to. */
export interface NamedChart {
  name: string;
  chart: Omit<LineChartSpec, 'width' | 'height'>;
}

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
function std(a: number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1));
}

/** Whether a sweep's rows are all "generate" points (the report draws this module's figures instead of the per-field ones). */
export function isGenerationSweep(rows: SweepResult[]): rows is GeneratedResult[] {
  return rows.length > 0 && rows.every((r) => r.action === 'generate');
}

/** The family of a point: what its series in the quality-vs-time figures varies. */
export function family(r: GeneratedResult): string {
  const g = r.generation;
  if (g.mode === 'analogue') return `fully analogue, t1 = ${r.t1}, ratio swept`;
  if (g.hidden_T === 0) return `settle-then-step, ${g.mode}, t1 swept (converged relaxation)`;
  return `settle-then-step, ${g.mode}, t1 = ${r.t1}, hidden_T paper steps per evaluation`;
}

/** One series: rows grouped by x, the metric averaged over seeds. */
function series(rows: GeneratedResult[], label: string, x: (r: GeneratedResult) => number, metric: ScalarQualityKey): LineSeries {
  const byX = new Map<number, number[]>();
  for (const r of rows) byX.set(x(r), [...(byX.get(x(r)) ?? []), r.metrics[metric]]);
  const xs = [...byX.keys()].sort((a, b) => a - b);
  const vals = xs.map((k) => byX.get(k) as number[]);
  const errs = vals.map(std);
  return { label, x: xs, y: vals.map(mean), yErr: errs.some((e) => e > 0) ? errs : undefined };
}

function withReference(s: LineSeries[], ref: QualityMetrics | null, metric: ScalarQualityKey): LineSeries[] {
  if (!ref || s.length === 0) return s;
  const xs = s.flatMap((x) => x.x);
  return [...s, { label: `real held-out digits (n = ${ref.n})`, x: [Math.min(...xs), Math.max(...xs)], y: [ref[metric], ref[metric]], reference: true }];
}

/** quality-vs-time-<metric> and horizon-<metric> charts; `ref` is the real-data reference at the sweep's sample count. */
export function generationCharts(rows: GeneratedResult[], title: string, ref: QualityMetrics | null): NamedChart[] {
  const families = [...new Set(rows.map(family))];
  const horizonModes = [...new Set(rows.filter((r) => r.generation.mode !== 'analogue' && r.generation.hidden_T === 0).map((r) => r.generation.mode))];
  const out: NamedChart[] = [];
  for (const m of METRICS) {
    const timeSeries = families.map((f) => series(rows.filter((r) => family(r) === f), f, (r) => r.relaxation_tau, m.key));
    out.push({
      name: `quality-vs-time-${m.key}`,
      chart: { title: `${title}: ${m.label} vs relaxation time (${m.better})`, xLabel: 'total relaxation time per sample (tau = C / G_L)', yLabel: m.label, series: withReference(timeSeries, ref, m.key), logX: true },
    });
    if (horizonModes.length === 0) continue;
    const horizon = horizonModes.map((mode) => series(rows.filter((r) => r.generation.mode === mode && r.generation.hidden_T === 0), mode, (r) => r.t1, m.key));
    out.push({
      name: `horizon-${m.key}`,
      chart: { title: `${title}: ${m.label} vs generation horizon t1 (${m.better}; band = 1 std over seeds)`, xLabel: 'generation horizon t1 (flow time; training horizon = 1)', yLabel: m.label, series: withReference(horizon, ref, m.key) },
    });
  }
  return out;
}

/** A point's name without its seed, e.g. "energy_gd, t1 = 1, hidden_T = 20". */
export function generationPointName(r: GeneratedResult): string {
  const g = r.generation;
  if (g.mode === 'analogue') return `analogue, ratio = ${g.ratio}, t1 = ${r.t1}`;
  return `${g.mode}, t1 = ${r.t1}, ${g.hidden_T === 0 ? 'converged' : `hidden_T = ${g.hidden_T}`}`;
}

/** README summary: one line per point averaged over seeds (FD +- std where there are several). */
export function generationSummary(rows: GeneratedResult[]): string {
  const groups = new Map<string, GeneratedResult[]>();
  for (const r of rows) groups.set(generationPointName(r), [...(groups.get(generationPointName(r)) ?? []), r]);
  const lines = ['| point | seeds | relaxation (tau) | FD | recognisability | coverage | sharpness W1 | precision | recall |', '|---|---|---|---|---|---|---|---|---|'];
  for (const [k, rs] of groups) {
    const fd = rs.map((r) => r.metrics.fd);
    const f = (key: ScalarQualityKey, dg = 3) => mean(rs.map((r) => r.metrics[key])).toFixed(dg);
    lines.push(`| ${k} | ${rs.length} | ${rs[0].relaxation_tau.toFixed(0)} | ${mean(fd).toFixed(2)}${rs.length > 1 ? ` +- ${std(fd).toFixed(2)}` : ''} | ${f('recognisability')} | ${f('coverage', 1)} | ${f('sharpness_w1')} | ${f('precision')} | ${f('recall')} |`);
  }
  return `## Summary (mean over seeds)\n\nRelaxation time is per generated sample in units of tau = C/G_L; a converged evaluation counts as the circuit's relax.T paper steps of relax.epsilon tau.\n\n${lines.join('\n')}\n\n`;
}
