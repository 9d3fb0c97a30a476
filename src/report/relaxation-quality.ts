/** Figures and summary of the relaxation-vs-quality experiment (PNG via chart.js). */
import { join } from 'node:path';
import type { ExperimentResult, QualityRow } from '../experiments/relaxation-quality.js';
import type { QualityMetrics } from '../metrics/quality.js';
import { writeFileAtomic } from '../util/atomic.js';
import { type LineSeries, lineChartPng, sampleGridPng } from './figures.js';

const METRICS: { key: keyof QualityMetrics; label: string; better: string }[] = [
  { key: 'fd', label: 'Frechet distance (evaluator features)', better: 'lower is better' },
  { key: 'recognisability', label: 'recognisability (fraction, confidence >= 0.9)', better: 'higher is better' },
  { key: 'coverage', label: 'classes covered (of 10)', better: 'higher is better' },
  { key: 'sharpness_w1', label: 'pixel-histogram W1 to data', better: 'lower is better' },
];

function mean(a: number[]): number {
  return a.reduce((x, y) => x + y, 0) / a.length;
}
function std(a: number[]): number {
  if (a.length < 2) return 0;
  const m = mean(a);
  return Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1));
}

/** Group rows by a label and x, averaging over seeds. */
function series(rows: QualityRow[], label: string, x: (r: QualityRow) => number, metric: keyof QualityMetrics): LineSeries {
  const byX = new Map<number, number[]>();
  for (const r of rows) {
    const k = x(r);
    byX.set(k, [...(byX.get(k) ?? []), r.metrics[metric]]);
  }
  const xs = [...byX.keys()].sort((a, b) => a - b);
  const vals = xs.map((k) => byX.get(k) as number[]);
  const errs = vals.map(std);
  return { label, x: xs, y: vals.map(mean), yErr: errs.some((e) => e > 0) ? errs : undefined };
}

export function writeRelaxationQualityReport(res: ExperimentResult, dir: string, title: string): string[] {
  const files: string[] = [];
  const fam = (f: string, m?: string, t1?: number) => res.rows.filter((r) => r.family === f && (m === undefined || r.mode === m) && (t1 === undefined || r.t1 === t1));
  const analogueT1 = [...new Set(fam('analogue').map((r) => r.t1))];
  for (const m of METRICS) {
    const s: LineSeries[] = [
      series(fam('horizon', 'energy_gd'), 'settle-then-step, energy_gd, t1 swept (converged relaxation)', (r) => r.relaxation_tau, m.key),
      series(fam('horizon', 'spring'), 'settle-then-step, spring, t1 swept (converged relaxation)', (r) => r.relaxation_tau, m.key),
      series(fam('hidden'), 'settle-then-step, energy_gd, t1 = 1, T paper steps per evaluation', (r) => r.relaxation_tau, m.key),
      ...analogueT1.map((t1) => series(fam('analogue', undefined, t1), `fully analogue, t1 = ${t1}, ratio swept`, (r) => r.relaxation_tau, m.key)),
    ].filter((x) => x.x.length > 0);
    const f = join(dir, `quality-vs-time-${m.key}.png`);
    writeFileAtomic(f, lineChartPng({ title: `${title}: ${m.label} vs relaxation time (${m.better})`, xLabel: 'total relaxation time per sample (tau = C / G_L)', yLabel: m.label, series: s, logX: true, width: 1000, height: 600 }));
    files.push(f);
    const h = join(dir, `horizon-${m.key}.png`);
    writeFileAtomic(
      h,
      lineChartPng({
        title: `${title}: ${m.label} vs generation horizon t1 (${m.better}; band = 1 std over seeds)`,
        xLabel: 'generation horizon t1 (flow time; training horizon = 1)',
        yLabel: m.label,
        series: [...new Set(fam('horizon').map((r) => r.mode))].map((mode) => series(fam('horizon', mode), mode, (r) => r.t1, m.key)),
        width: 1000,
        height: 600,
      }),
    );
    files.push(h);
  }
  for (const [key, samples] of res.grids) {
    const f = join(dir, `samples-${key.replace(/[/=]/g, '_')}.png`);
    writeFileAtomic(f, sampleGridPng(samples, Math.min(100, samples.length / 64), { cols: 10, title: key }));
    files.push(f);
  }
  return files;
}

/** Markdown summary: one row per point (seed-averaged), beside the reference rows. */
export function relaxationQualityTable(res: ExperimentResult): string {
  const groups = new Map<string, QualityRow[]>();
  for (const r of res.rows) {
    const k = r.key.replace(/\/seed=\d+$/, '');
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const lines = ['| point | relaxation (tau) | FD | recognisability | coverage | sharpness W1 | precision | recall |', '|---|---|---|---|---|---|---|---|'];
  for (const [k, rs] of groups) {
    const fd = rs.map((r) => r.metrics.fd);
    const f = (key: keyof QualityMetrics, dg = 3) => mean(rs.map((r) => r.metrics[key])).toFixed(dg);
    lines.push(`| ${k} | ${rs[0].relaxation_tau.toFixed(0)} | ${mean(fd).toFixed(2)}${rs.length > 1 ? ` +- ${std(fd).toFixed(2)}` : ''} | ${f('recognisability')} | ${f('coverage', 1)} | ${f('sharpness_w1')} | ${f('precision')} | ${f('recall')} |`);
  }
  for (const [name, m] of Object.entries(res.reference)) {
    lines.push(`| reference: ${name} | - | ${m.fd.toFixed(2)} | ${m.recognisability.toFixed(3)} | ${m.coverage} | ${m.sharpness_w1.toFixed(3)} | ${m.precision.toFixed(3)} | ${m.recall.toFixed(3)} |`);
  }
  return lines.join('\n');
}
