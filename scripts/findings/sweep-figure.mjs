#!/usr/bin/env node
/**
 * Issue 17: the one-figure-per-question plot of a sweep report (results.jsonl of `gradep report`
 * or a runs/sweeps directory): a quality metric against one swept field, mean over chips with its
 * 95% Student-t interval, with the ideal network at the same budget (IDEAL_DIR/seed<k>/eval.json)
 * and real held-out digits (PAPER_QUALITY's reference rows) as reference lines. Run after
 * `npm run build`:
 *
 *   node scripts/findings/sweep-figure.mjs RESULTS_DIR FIELD METRIC OUT.png [--ideal DIR] [--paper FILE] [--title T] [--action A]
 *
 * FIELD is an `overrides` key of the rows (e.g. synapse.bits); METRIC a key of their metrics
 * (fd_inf, recognisability, ...) or of gradient (cosine, ...). Numeric field values go on a
 * categorical axis in the order of the sweep file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { meanInterval } from '../../dist/metrics/intervals.js';
import { lineChartPng } from '../../dist/report/figures.js';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const [dir, field, metric, out] = args;
if (!out || out.startsWith('--')) {
  console.error('usage: node scripts/findings/sweep-figure.mjs RESULTS_DIR FIELD METRIC OUT.png [--ideal DIR] [--paper FILE] [--title T] [--action A] [--series FIELD2]');
  process.exit(2);
}
const rows = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => !opt('action') || r.action === opt('action'));
const value = (r) => r.metrics?.[metric] ?? r.gradient?.[metric];
const seriesField = opt('series');
const cats = [...new Set(rows.map((r) => JSON.stringify(r.overrides[field])))];
const groups = seriesField ? [...new Set(rows.map((r) => JSON.stringify(r.overrides[seriesField])))] : ['all'];
const series = groups.map((g) => {
  const ys = cats.map((c) => {
    const v = rows.filter((r) => JSON.stringify(r.overrides[field]) === c && (g === 'all' || JSON.stringify(r.overrides[seriesField]) === g)).map(value).filter((x) => typeof x === 'number');
    return v.length ? meanInterval(v) : null;
  });
  const n = Math.max(...ys.map((i) => (i ? i.n : 0)));
  const label = `${g === 'all' ? '' : `${seriesField} = ${JSON.parse(g)}: `}mean over ${n} chips, 95% t interval`;
  return { label, x: cats.map((_, i) => i), y: ys.map((i) => (i ? i.mean : NaN)), yErr: ys.map((i) => (i && i.lo !== null ? i.hi - i.mean : 0)) };
});
const refs = [];
const ideal = opt('ideal');
if (ideal) {
  const v = [];
  for (let k = 0; existsSync(join(ideal, `seed${k}`, 'eval.json')); k++) v.push(JSON.parse(readFileSync(join(ideal, `seed${k}`, 'eval.json'), 'utf8')).metrics[metric]);
  if (v.length) refs.push({ label: `ideal network, same budget (mean of ${v.length})`, v: meanInterval(v).mean });
}
const paper = opt('paper');
if (paper) {
  const q = JSON.parse(readFileSync(paper, 'utf8'));
  const r = q.reference?.real?.[metric];
  if (typeof r === 'number') refs.push({ label: 'real held-out digits (n = 1000)', v: r });
}
for (const r of refs) series.push({ label: r.label, x: cats.map((_, i) => i), y: cats.map(() => r.v), reference: true });
const title = opt('title') ?? `${metric} against ${field}`;
writeFileSync(out, lineChartPng({ title, xLabel: field, yLabel: metric, series, categories: cats.map((c) => String(JSON.parse(c))), width: 900, height: 520 }));
console.log(`wrote ${out}`);
