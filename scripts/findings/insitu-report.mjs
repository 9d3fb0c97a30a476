#!/usr/bin/env node
/**
 * Issue 17, questions 1 and 2: the report of a finished `findings-insitu-reram` sweep (in situ,
 * transfer and fine-tune on the same chips) beside the ideal network trained at the in-situ
 * budget (IDEAL_DIR/seed<k>: log.jsonl, eval.json; seed k pairs with chip k: the same initial
 * weights and batches) and the ideal paper checkpoint (PAPER_QUALITY: reports/paper/quality.json).
 * Run after `npm run build` (it reads dist/):
 *
 *   node scripts/findings/insitu-report.mjs SWEEP_DIR IDEAL_DIR PAPER_QUALITY OUT_DIR
 *
 * Writes OUT_DIR/README.md (tables), OUT_DIR/summary.json and three figures. Uncertainty: mean
 * over chips (seeds) with its 95% Student-t interval; differences paired by chip, with the t
 * interval of the per-chip differences; "flattened": src/metrics/convergence.ts (the last 10%
 * of steps improve the mean flow MSE by less than 2%).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { meanInterval } from '../../dist/metrics/intervals.js';
import { convergence } from '../../dist/metrics/convergence.js';
import { lineChartPng } from '../../dist/report/figures.js';
import { writeFileAtomic } from '../../dist/util/atomic.js';
import { classTv, fmtInterval as fmt } from './common.mjs';

const [sweepDir, idealDir, paperQuality, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node scripts/findings/insitu-report.mjs SWEEP_DIR IDEAL_DIR PAPER_QUALITY OUT_DIR');
  process.exit(2);
}
const readJsonl = (p) => readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;

/** One condition's runs: per chip, the quality metrics, its loss log (or null) and costs. */
function sweepRuns(action) {
  return readJsonl(join(sweepDir, 'results.jsonl'))
    .filter((r) => r.action === action && r.metrics)
    .sort((a, b) => a.chip_seed - b.chip_seed)
    .map((r) => {
      const logFile = join(sweepDir, 'points', r.key, 'log.jsonl');
      const log = existsSync(logFile) ? readJsonl(logFile) : null;
      return { chip: r.chip_seed, m: { ...r.metrics, class_tv: classTv(r.metrics.class_freq) }, log, timePerSample: r.time_per_sample_s, energyPerSample: r.energy_per_sample_j, seconds: r.seconds };
    });
}
function idealRuns() {
  const out = [];
  for (let k = 0; existsSync(join(idealDir, `seed${k}`, 'eval.json')); k++) {
    const ev = JSON.parse(readFileSync(join(idealDir, `seed${k}`, 'eval.json'), 'utf8'));
    const m = ev.metrics ?? ev;
    out.push({ chip: k, m: { ...m, class_tv: classTv(m.class_freq) }, log: readJsonl(join(idealDir, `seed${k}`, 'log.jsonl')), seconds: null });
  }
  return out;
}

const conditions = [
  { id: 'insitu', label: 'in situ (2000 steps, batch 256)', runs: sweepRuns('insitu') },
  { id: 'ideal', label: 'ideal network, same budget', runs: idealRuns() },
  { id: 'transfer', label: 'transfer of the paper checkpoint', runs: sweepRuns('transfer') },
  { id: 'finetune', label: 'transfer + 200 in-situ steps', runs: sweepRuns('finetune') },
].filter((c) => c.runs.length > 0);
const paper = JSON.parse(readFileSync(paperQuality, 'utf8'));

const METRICS = [
  ['fd_inf', 'FD extrapolated to infinite n (lower is better)'],
  ['fd', 'FD at n = 1000'],
  ['recognisability', 'recognisability (higher is better)'],
  ['coverage', 'classes covered (of 10)'],
  ['precision', 'precision'],
  ['recall', 'recall'],
  ['class_tv', 'class imbalance: total variation from uniform, 0.5 sum |f_d - 0.1| (0: balanced)'],
];
const iv = (vals) => (vals.length ? meanInterval(vals) : null);
const tailMse = (log) => mean(log.slice(-Math.max(1, Math.ceil(0.1 * log.length))).map((r) => r.flow_mse));

const summary = { conditions: {}, paired: {}, reference: {} };
for (const c of conditions) {
  const s = { label: c.label, chips: c.runs.map((r) => r.chip), metrics: {}, class_freq: null, convergence: [] };
  for (const [k] of METRICS) s.metrics[k] = iv(c.runs.map((r) => r.m[k]).filter((x) => typeof x === 'number'));
  const withLog = c.runs.filter((r) => r.log);
  if (withLog.length) {
    s.final_flow_mse = iv(withLog.map((r) => tailMse(r.log)));
    s.convergence = withLog.map((r) => ({ chip: r.chip, ...convergence(r.log.map((x) => x.flow_mse)) }));
    s.step_seconds = iv(withLog.map((r) => mean(r.log.slice(1).map((x) => x.seconds))));
    if (withLog[0].log[0].energy_j !== undefined) s.energy_per_step_j = iv(withLog.map((r) => mean(r.log.map((x) => x.energy_j ?? 0))));
  }
  const freqs = c.runs.map((r) => r.m.class_freq).filter((f) => Array.isArray(f) && f.length === 10);
  if (freqs.length) s.class_freq = Array.from({ length: 10 }, (_, d) => iv(freqs.map((f) => f[d])));
  const tps = c.runs.map((r) => r.timePerSample).filter((x) => typeof x === 'number');
  if (tps.length) s.time_per_sample_s = mean(tps);
  const eps = c.runs.map((r) => r.energyPerSample).filter((x) => typeof x === 'number');
  if (eps.length) s.energy_per_sample_j = iv(eps);
  summary.conditions[c.id] = s;
}

/** Differences a - b paired by chip (chips both conditions have), with the t interval. */
function paired(a, b, key) {
  const A = conditions.find((c) => c.id === a);
  const B = conditions.find((c) => c.id === b);
  if (!A || !B) return null;
  const d = [];
  for (const r of A.runs) {
    const q = B.runs.find((x) => x.chip === r.chip);
    const va = key === 'final_flow_mse' ? (r.log ? tailMse(r.log) : null) : r.m[key];
    const vb = key === 'final_flow_mse' ? (q?.log ? tailMse(q.log) : null) : q?.m[key];
    if (typeof va === 'number' && typeof vb === 'number') d.push(va - vb);
  }
  if (d.length === 0) return null;
  const i = meanInterval(d);
  return { ...i, differs: i.lo !== null && (i.lo > 0 || i.hi < 0) };
}
const PAIRS = [['insitu', 'ideal'], ['transfer', 'insitu'], ['finetune', 'transfer'], ['finetune', 'insitu'], ['transfer', 'ideal']];
for (const [a, b] of PAIRS) for (const k of ['final_flow_mse', 'fd_inf', 'fd', 'recognisability']) {
  const p = paired(a, b, k);
  if (p) summary.paired[`${a} - ${b}: ${k}`] = p;
}
const pm = paper.sets?.find?.((s) => s.mode === 'energy_gd' && s.t1 === 1) ?? null;
const real = paper.reference?.real ?? null;
summary.reference = { paper_quality_file: paperQuality, paper: pm, real };

mkdirSync(outDir, { recursive: true });
writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');

// Figures: quality per condition with 95% intervals and reference lines; loss curves.
const cats = conditions.map((c) => c.label);
function qualityFigure(key, title, yLabel, refs, file) {
  const series = [{ label: 'mean over chips, 95% t interval', x: cats.map((_, i) => i), y: conditions.map((c) => summary.conditions[c.id].metrics[key]?.mean ?? NaN), yErr: conditions.map((c) => { const i = summary.conditions[c.id].metrics[key]; return i && i.lo !== null ? i.hi - i.mean : 0; }) }];
  for (const [label, v] of refs) if (typeof v === 'number') series.push({ label, x: cats.map((_, i) => i), y: cats.map(() => v), reference: true });
  writeFileSync(join(outDir, file), lineChartPng({ title, xLabel: 'training', yLabel, series, categories: cats, width: 900, height: 520 }));
}
const refVal = (k) => pm?.metrics?.[k];
const realVal = (k) => real?.[k];
qualityFigure('fd_inf', 'In situ on the realistic ReRAM chip vs the ideal network: FD_inf (1000 samples per chip)', 'FD_inf', [['ideal paper checkpoint (2000 full-batch steps)', refVal('fd_inf')], ['real held-out digits', realVal('fd_inf')]], 'fd_inf-by-training.png');
qualityFigure('recognisability', 'In situ on the realistic ReRAM chip vs the ideal network: recognisability', 'recognisability', [['ideal paper checkpoint (2000 full-batch steps)', refVal('recognisability')], ['real held-out digits', realVal('recognisability')]], 'recognisability-by-training.png');
const curves = conditions.filter((c) => c.runs.every((r) => r.log) && c.runs[0].log.length > 100).map((c) => {
  const L = Math.min(...c.runs.map((r) => r.log.length));
  const w = 20;
  const x = [];
  const y = [];
  for (let s = w; s <= L; s += w) {
    x.push(s);
    y.push(mean(c.runs.map((r) => mean(r.log.slice(s - w, s).map((q) => q.flow_mse)))));
  }
  return { label: `${c.label} (mean of ${c.runs.length})`, x, y };
});
if (curves.length) writeFileSync(join(outDir, 'flow_mse-curves.png'), lineChartPng({ title: 'Flow-matching MSE during training (mean over chips, 20-step means)', xLabel: 'step', yLabel: 'flow MSE', series: curves, logY: true, width: 900, height: 520 }));

// README tables.
const lines = [];
lines.push('| condition | chips | final flow MSE (last 10%) | flattened (last 10% gain) | ' + METRICS.map(([k]) => k).join(' | ') + ' |');
lines.push('|' + ' --- |'.repeat(4 + METRICS.length));
for (const c of conditions) {
  const s = summary.conditions[c.id];
  const conv = s.convergence.length ? s.convergence.map((q) => `${q.flat ? 'yes' : 'no'} ${(100 * q.improvement).toFixed(1)}%`).join(', ') : '-';
  lines.push(`| ${c.label} | ${s.chips.join(', ')} | ${s.final_flow_mse ? fmt(s.final_flow_mse) : '-'} | ${conv} | ` + METRICS.map(([k]) => fmt(s.metrics[k])).join(' | ') + ' |');
}
lines.push('');
lines.push('Per-class frequencies (mean over chips, % of samples; the data: 10% each):');
lines.push('');
lines.push('| condition | ' + Array.from({ length: 10 }, (_, d) => d).join(' | ') + ' |');
lines.push('|' + ' --- |'.repeat(11));
for (const c of conditions) {
  const f = summary.conditions[c.id].class_freq;
  if (f) lines.push(`| ${c.label} | ` + f.map((i) => (i ? (100 * i.mean).toFixed(1) : '-')).join(' | ') + ' |');
}
if (pm?.metrics?.class_freq) lines.push('| ideal paper checkpoint | ' + pm.metrics.class_freq.map((x) => (100 * x).toFixed(1)).join(' | ') + ' |');
lines.push('');
lines.push('Differences paired by chip (mean [95% t interval]; * where the interval excludes zero):');
lines.push('');
lines.push('| difference | value |');
lines.push('| --- | --- |');
for (const [k, p] of Object.entries(summary.paired)) lines.push(`| ${k} | ${fmt(p)}${p.differs ? ' *' : ''} |`);
writeFileAtomic(join(outDir, 'tables.md'), lines.join('\n') + '\n');
console.log(lines.join('\n'));
