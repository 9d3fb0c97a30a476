#!/usr/bin/env node
/**
 * Issue 17, question 5 on hardware: the report of scripts/findings/relaxation-chip.mjs's runs
 * (the in-situ checkpoints of findings-insitu-reram generating on their own chips with the
 * hidden relaxation per velocity evaluation t_free and the horizon t1 varied). Run after
 * `npm run build` (it reads dist/):
 *
 *   node scripts/findings/relaxation-chip-report.mjs RUN_DIR OUT_DIR [IDEAL_DIR PAPER_QUALITY]
 *
 * With IDEAL_DIR (seed<k>/eval.json: the ideal network trained at the in-situ budget, sampled
 * at t1 = 1) and PAPER_QUALITY (reports/paper/quality.json: real digits' reference row) the
 * figures get both as reference lines.
 *
 * Per (t_free, t1): sample quality (mean over chips, 95% Student-t interval), per-class
 * frequencies, physical time per sample, the measured resistive energy per sample and the cost
 * model's total per sample (src/metrics/cost.ts: converters, static power, digital Euler step,
 * resistive), paired differences against t_free 30 ns (the training setting) at the same t1.
 * Writes OUT_DIR/README-tables.md, OUT_DIR/summary.json and two figures.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { meanInterval } from '../../dist/metrics/intervals.js';
import { costBreakdown, countOps } from '../../dist/metrics/cost.js';
import { dimsOfCircuit } from '../../dist/build/build.js';
import { loadCircuit } from '../../dist/circuit/spec.js';
import { lineChartPng } from '../../dist/report/figures.js';
import { writeFileAtomic } from '../../dist/util/atomic.js';
import { classTv, fmtInterval as fmt } from './common.mjs';

const [runDir, outDir, idealDir, paperQuality] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node scripts/findings/relaxation-chip-report.mjs RUN_DIR OUT_DIR');
  process.exit(2);
}
const rows = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));

/** Total cost per generated sample (J) of one run, as the sweep report's chip points: resistive measured, the rest counted. */
function sampleCost(r) {
  const c = loadCircuit(join(runDir, `chip${r.chip_seed}`, `${Math.round(r.t_free_s * 1e9)}ns-t${r.t1}`, 'circuit.json'));
  const k = Math.round(r.t1 / 0.01) + 1;
  const counts = countOps(c, dimsOfCircuit(c), 2, { evaluations: k, mode: 'energy_gd' });
  return costBreakdown(counts, c, { step: { free: 0, plus: 0, minus: 0, total: 0 }, sample: r.summary.physical.energy_per_sample_j }).sample.total.joules;
}

const groups = new Map();
for (const r of rows) {
  const id = `${r.t_free_s}|${r.t1}`;
  if (!groups.has(id)) groups.set(id, []);
  groups.get(id).push(r);
}
const keys = ['fd_inf', 'fd', 'recognisability', 'coverage', 'precision', 'recall', 'class_tv'];
const points = [];
for (const [, rs] of groups) {
  rs.sort((a, b) => a.chip_seed - b.chip_seed);
  const m = (r) => ({ ...r.eval.metrics, class_tv: classTv(r.eval.metrics.class_freq) });
  const p = { t_free_s: rs[0].t_free_s, t1: rs[0].t1, chips: rs.map((r) => r.chip_seed), metrics: {}, runs: rs };
  for (const k of keys) p.metrics[k] = meanInterval(rs.map((r) => m(r)[k]));
  p.class_freq = Array.from({ length: 10 }, (_, d) => meanInterval(rs.map((r) => r.eval.metrics.class_freq[d])));
  p.time_per_sample_s = rs[0].summary.physical.time_per_sample_s;
  p.resistive_j = meanInterval(rs.map((r) => r.summary.physical.energy_per_sample_j));
  p.total_j = meanInterval(rs.map(sampleCost));
  p.wall_s = rs.reduce((a, r) => a + r.summary.wall_seconds, 0);
  points.push(p);
}
points.sort((a, b) => a.t1 - b.t1 || a.t_free_s - b.t_free_s);
// Paired by chip against t_free = 30 ns at the same t1.
for (const p of points) {
  const ref = points.find((q) => q.t1 === p.t1 && Math.abs(q.t_free_s - 30e-9) < 1e-12);
  if (!ref || ref === p) continue;
  p.vs30 = {};
  for (const k of ['fd_inf', 'recognisability']) {
    const d = p.runs.map((r) => r.eval.metrics[k] - ref.runs.find((q) => q.chip_seed === r.chip_seed).eval.metrics[k]);
    const i = meanInterval(d);
    p.vs30[k] = { ...i, differs: i.lo !== null && (i.lo > 0 || i.hi < 0) };
  }
}
mkdirSync(outDir, { recursive: true });
writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(points.map(({ runs, ...p }) => p), null, 1) + '\n');

const L = [];
L.push('| t_free | t1 | physical time / sample | resistive energy / sample | total energy / sample (cost model) | FD_inf | FD | recognisability | coverage | class TV | FD_inf vs 30 ns | recognisability vs 30 ns |');
L.push('|' + ' --- |'.repeat(12));
for (const p of points) {
  const v = (k) => (p.vs30 ? `${p.vs30[k].mean >= 0 ? '+' : ''}${fmt(p.vs30[k])}${p.vs30[k].differs ? ' *' : ''}` : '-');
  L.push(`| ${Math.round(p.t_free_s * 1e9)} ns | ${p.t1} | ${(p.time_per_sample_s * 1e6).toFixed(2)} us | ${fmt(p.resistive_j)} J | ${fmt(p.total_j)} J | ${fmt(p.metrics.fd_inf)} | ${fmt(p.metrics.fd)} | ${fmt(p.metrics.recognisability)} | ${fmt(p.metrics.coverage)} | ${fmt(p.metrics.class_tv)} | ${v('fd_inf')} | ${v('recognisability')} |`);
}
L.push('');
L.push('Per-class frequencies (% of samples, mean over chips):');
L.push('');
L.push('| t_free | t1 | ' + Array.from({ length: 10 }, (_, d) => d).join(' | ') + ' |');
L.push('|' + ' --- |'.repeat(12));
for (const p of points) L.push(`| ${Math.round(p.t_free_s * 1e9)} ns | ${p.t1} | ` + p.class_freq.map((i) => (100 * i.mean).toFixed(1)).join(' | ') + ' |');
writeFileAtomic(join(outDir, 'README-tables.md'), L.join('\n') + '\n');
console.log(L.join('\n'));

const t1s = [...new Set(points.map((p) => p.t1))];
for (const [key, label, file] of [['fd_inf', 'FD_inf (lower is better)', 'fd_inf-vs-relaxation.png'], ['recognisability', 'recognisability (higher is better)', 'recognisability-vs-relaxation.png']]) {
  const series = t1s.map((t1) => {
    const ps = points.filter((p) => p.t1 === t1);
    return { label: `t1 = ${t1} (mean over ${ps[0].chips.length} chips, 95% t interval)`, x: ps.map((p) => p.t_free_s), y: ps.map((p) => p.metrics[key].mean), yErr: ps.map((p) => (p.metrics[key].hi ?? p.metrics[key].mean) - p.metrics[key].mean) };
  });
  const xs = [...new Set(points.map((p) => p.t_free_s))].sort((a, b) => a - b);
  const ideal = [];
  for (let k = 0; idealDir && existsSync(join(idealDir, `seed${k}`, 'eval.json')); k++) ideal.push(JSON.parse(readFileSync(join(idealDir, `seed${k}`, 'eval.json'), 'utf8')).metrics[key]);
  if (ideal.length) series.push({ label: `ideal network, same training budget, t1 = 1 (mean of ${ideal.length})`, x: xs, y: xs.map(() => meanInterval(ideal).mean), reference: true });
  const real = paperQuality ? JSON.parse(readFileSync(paperQuality, 'utf8')).reference?.real?.[key] : undefined;
  if (typeof real === 'number') series.push({ label: 'real held-out digits (n = 1000)', x: xs, y: xs.map(() => real), reference: true });
  writeFileSync(join(outDir, file), lineChartPng({ title: `In-situ-trained ReRAM chips generating with longer relaxation per evaluation: ${key === 'fd_inf' ? 'FD_inf' : 'recognisability'}`, xLabel: 'hidden relaxation per velocity evaluation t_free (s)', yLabel: label, series, logX: true, width: 900, height: 520 }));
}
