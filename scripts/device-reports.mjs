#!/usr/bin/env node
/**
 * Summaries and figures of the device sweeps (issue 15), from finished sweep directories; run
 * after `npm run build` (it reads dist/). Two commands:
 *
 *   node scripts/device-reports.mjs asymmetry SWEEP_DIR OUT_DIR
 *     the pulsed asymmetry x dw_min sweep: final flow MSE, flattening, sample quality, pulses,
 *     and where the weights end relative to each device's symmetry point (soft bounds:
 *     w_sym = (dw_down - dw_up) / (dw_down / b_min - dw_up / b_max), from the chip's frozen
 *     device parameters, realisePulsed), against the run's initial weights;
 *
 *   node scripts/device-reports.mjs update-modes OUT_DIR IDEAL_DIR SWEEP_DIR...
 *     the update modes x device presets: flow-MSE curves (mean over chips), final MSE,
 *     flattening, sample quality, pulses, physical time and energy per step, the cost model's
 *     breakdown (src/metrics/cost.ts) with the measured pulses per step, and the ideal network
 *     (IDEAL_DIR/seed<k>: log.jsonl, eval.json) at the same budget.
 *
 * Writes OUT_DIR/summary.json, OUT_DIR/summary.md and PNG figures. Uncertainty: mean +- sample
 * standard deviation over chips (n given). "Flattened": the mean flow MSE of the last 10% of
 * steps is less than 2% below that of the 10% before.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../dist/learning/checkpoint.js';
import { initParams } from '../dist/learning/init.js';
import { realisePulsed } from '../dist/chip/pulsed.js';
import { dimsOfCircuit } from '../dist/build/build.js';
import { costBreakdown, countOps, deviceCount, digitalBaseline } from '../dist/metrics/cost.js';
import { lineChartPng } from '../dist/report/figures.js';
import { loadCircuit } from '../dist/circuit/spec.js';
import { packagePath } from '../dist/util/paths.js';

/** One cost section for every run (circuits/reram.json's: the other presets leave it at defaults, e.g. program_parallel 1). */
const COST = loadCircuit(packagePath('circuits', 'reram.json')).cost;

const readJsonl = (p) => readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
function ms(a) {
  const v = a.filter((x) => x !== null && x !== undefined && Number.isFinite(x));
  if (v.length === 0) return { mean: null, std: null, n: 0 };
  const m = mean(v);
  const std = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1)) : 0;
  return { mean: m, std, n: v.length };
}
const fmt = (s, d = 3) => (s.mean === null ? '-' : `${s.mean.toPrecision(d)} ± ${s.std.toPrecision(2)}`);
const fmtE = (s) => (s.mean === null ? '-' : `${s.mean.toExponential(2)} ± ${s.std.toExponential(1)}`);

/** Relative improvement of the flow MSE over the last 10% of steps (vs the 10% before). */
function lastImprovement(mse) {
  const w = Math.max(1, Math.ceil(0.1 * mse.length));
  const a = mean(mse.slice(-2 * w, -w));
  const b = mean(mse.slice(-w));
  return (a - b) / a;
}

function sweepRows(dir) {
  return readJsonl(join(dir, 'results.jsonl')).filter((r) => r.metrics);
}
const logOf = (dir, key) => readJsonl(join(dir, 'points', key, 'log.jsonl'));
const groupKey = (r) => JSON.stringify(r.overrides);

function groups(rows) {
  const g = new Map();
  for (const r of rows) {
    if (!g.has(groupKey(r))) g.set(groupKey(r), []);
    g.get(groupKey(r)).push(r);
  }
  return g;
}

/** Per-device soft-bounds symmetry point and mean weights of one finished pulsed run. */
function symmetryOf(dir, r) {
  const ck = loadCheckpoint(join(dir, 'points', r.key, 'checkpoint.json'));
  const d = dimsOfCircuit(ck.circuit);
  const dev = realisePulsed(ck.circuit, d, r.chip_seed);
  const init = initParams(d, r.chip_seed, 0.5);
  let sw = 0;
  let sw0 = 0;
  let ssym = 0;
  let toward = 0;
  let n = 0;
  for (const [a, W, W0] of [[dev.W0, ck.params.W0, init.W0], [dev.W1, ck.params.W1, init.W1]]) {
    for (let i = 0; i < W.length; i++) {
      const sym = (a.down[i] - a.up[i]) / (a.down[i] / a.bMin[i] - a.up[i] / a.bMax[i]);
      sw += W[i];
      sw0 += Math.max(a.bMin[i], Math.min(a.bMax[i], W0[i]));
      ssym += sym;
      // Signed displacement along the direction from the initial weight to the symmetry point.
      toward += (W[i] - W0[i]) * Math.sign(sym - W0[i]);
      n++;
    }
  }
  return { mean_w: sw / n, mean_w_init: sw0 / n, mean_w_sym: ssym / n, toward_sym: toward / n };
}

function chart(path, spec) {
  writeFileSync(path, lineChartPng(spec));
}

function asymmetry(dir, out) {
  mkdirSync(out, { recursive: true });
  const rows = sweepRows(dir);
  const table = [];
  for (const [, rs] of groups(rows)) {
    const o = rs[0].overrides;
    const sym = rs.map((r) => symmetryOf(dir, r));
    const logs = rs.map((r) => logOf(dir, r.key));
    table.push({
      up_down: o['program.pulsed.up_down'],
      dw_min: o['program.pulsed.dw_min'],
      chips: rs.map((r) => r.chip_seed),
      final_flow_mse: ms(rs.map((r) => r.final_flow_mse)),
      first_flow_mse: ms(logs.map((l) => l[0].flow_mse)),
      last10_improvement: ms(logs.map((l) => lastImprovement(l.map((x) => x.flow_mse)))),
      fd: ms(rs.map((r) => r.metrics.fd)),
      recognisability: ms(rs.map((r) => r.metrics.recognisability)),
      coverage: ms(rs.map((r) => r.metrics.coverage)),
      pulses_per_step: ms(logs.map((l) => mean(l.map((x) => x.pulses ?? 0)))),
      mean_w: ms(sym.map((s) => s.mean_w)),
      mean_w_init: ms(sym.map((s) => s.mean_w_init)),
      mean_w_sym: ms(sym.map((s) => s.mean_w_sym)),
      toward_sym: ms(sym.map((s) => s.toward_sym)),
      mean_w_by_chip: Object.fromEntries(rs.map((r, i) => [r.chip_seed, sym[i].mean_w])),
      steps: logs[0].length,
    });
  }
  table.sort((a, b) => a.up_down - b.up_down || a.dw_min - b.dw_min);
  // The asymmetry's own shift: mean weight minus that of the symmetric device on the same chip (same initial weights and batches).
  for (const t of table) {
    const ref = table.find((u) => u.up_down === 0 && u.dw_min === t.dw_min);
    t.shift_vs_symmetric = ref ? ms(Object.keys(t.mean_w_by_chip).filter((c) => c in ref.mean_w_by_chip).map((c) => t.mean_w_by_chip[c] - ref.mean_w_by_chip[c])) : ms([]);
  }
  const betas = [...new Set(table.map((t) => t.up_down))];
  const dws = [...new Set(table.map((t) => t.dw_min))];
  const md = [
    `| up_down | dw_min | n | flow MSE step 1 | final flow MSE | last-10% gain | FD | recognisability | pulses/step | mean w | mean w_sym | mean w - mean w (up_down 0, same chip) | displacement toward w_sym |`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|---|`,
    ...table.map((t) => `| ${t.up_down} | ${t.dw_min} | ${t.final_flow_mse.n} | ${fmt(t.first_flow_mse)} | ${fmt(t.final_flow_mse)} | ${(100 * t.last10_improvement.mean).toFixed(1)}% | ${fmt(t.fd)} | ${fmt(t.recognisability, 2)} | ${fmt(t.pulses_per_step)} | ${fmt(t.mean_w, 2)} | ${fmt(t.mean_w_sym, 2)} | ${fmt(t.shift_vs_symmetric, 2)} | ${fmt(t.toward_sym, 2)} |`),
  ].join('\n');
  writeFileSync(join(out, 'summary.json'), JSON.stringify({ format: 'gradep-device-summary/1', kind: 'asymmetry', sweep: dir, table }, null, 1) + '\n');
  writeFileSync(join(out, 'summary.md'), md + '\n');
  const series = (y, e) => betas.map((b) => {
    const ts = table.filter((t) => t.up_down === b);
    return { label: `up_down = ${b}`, x: ts.map((t) => t.dw_min), y: ts.map((t) => y(t).mean), yErr: ts.map((t) => y(t).std) };
  });
  chart(join(out, 'drift-final_flow_mse-vs-dw_min.png'), { title: 'Pulsed GradEP: final flow MSE vs step per pulse (mean ± std, 3 chips)', xLabel: 'dw_min (device units; x 1.5 weight units)', yLabel: 'final flow MSE (mean of last 10 steps)', series: series((t) => t.final_flow_mse), logX: true, logY: true });
  const syms = betas.filter((b) => b > 0).map((b) => `${table.find((t) => t.up_down === b).mean_w_sym.mean.toFixed(2)} at up_down ${b}`);
  const drift = series((t) => t.shift_vs_symmetric).filter((x) => x.label !== 'up_down = 0');
  drift.push({ label: 'symmetric device (up_down = 0)', x: [dws[0], dws[dws.length - 1]], y: [0, 0], reference: true });
  chart(join(out, 'drift-mean_weight-shift-vs-dw_min.png'), { title: `Mean weight shift caused by asymmetry after 300 steps (vs up_down = 0 on the same chip; mean ± std, 3 chips); symmetry points: ${syms.join(', ')}`, xLabel: 'dw_min (device units; x 1.5 weight units)', yLabel: 'mean W0, W1 minus the symmetric run (weight units)', series: drift, logX: true });
  console.log(md);
}

/** Cost per step from the counts, the measured resistive energy of the log and the measured pulses. */
function stepCost(runCircuit, log, batch) {
  const circuit = { ...runCircuit, cost: COST };
  const d = dimsOfCircuit(circuit);
  const pulses = log.some((x) => x.pulses !== undefined) ? mean(log.map((x) => x.pulses ?? 0)) : null;
  const devices = deviceCount(d);
  const counts = countOps(circuit, d, batch, pulses === null ? {} : { pulsesPerWrite: pulses / devices });
  const e = mean(log.map((x) => x.energy_j));
  const { t_free, t_nudge } = circuit.transient;
  const T = t_free + 2 * t_nudge;
  const b = costBreakdown(counts, circuit, { step: { free: (e * t_free) / T, plus: (e * t_nudge) / T, minus: (e * t_nudge) / T, total: e }, sample: 0 });
  const prog = b.step.terms.find((t) => t.name === 'programming');
  const terms = Object.fromEntries(b.step.terms.map((t) => [t.name, { joules: t.joules, seconds: t.seconds }]));
  return { terms, joules: b.step.total.joules, seconds: b.step.total.seconds, programming_j: prog.joules, programming_s: prog.seconds, resistive_j: e, physical_s: mean(log.map((x) => x.physical_time_s)), pulses };
}

function meanCurve(logs) {
  const n = Math.min(...logs.map((l) => l.length));
  return Array.from({ length: n }, (_, i) => mean(logs.map((l) => l[i].flow_mse)));
}
const smooth = (y, w = 10) => y.map((_, i) => mean(y.slice(Math.max(0, i - w + 1), i + 1)));

function updateModes(out, idealDir, dirs) {
  mkdirSync(out, { recursive: true });
  const table = [];
  const curves = [];
  for (const dir of dirs) {
    const spec = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
    for (const [, rs] of groups(sweepRows(dir))) {
      const logs = rs.map((r) => logOf(dir, r.key));
      const cks = rs.map((r) => loadCheckpoint(join(dir, 'points', r.key, 'checkpoint.json')));
      const costs = rs.map((r, i) => stepCost(cks[i].circuit, logs[i], logs[i].length ? spec.spec?.batch ?? 32 : 32));
      const c0 = cks[0].circuit;
      const label = `${spec.spec?.name ?? spec.name ?? dir}: ${c0.program.update}${c0.program.update === 'pulsed' ? ` (${c0.program.pulsed.model}, write_noise_std ${c0.program.pulsed.write_noise_std}, w_scale ${c0.program.pulsed.w_scale})` : ''}`;
      table.push({
        label,
        overrides: rs[0].overrides,
        chips: rs.map((r) => r.chip_seed),
        first_flow_mse: ms(logs.map((l) => l[0].flow_mse)),
        final_flow_mse: ms(rs.map((r) => r.final_flow_mse)),
        last10_improvement: ms(logs.map((l) => lastImprovement(l.map((x) => x.flow_mse)))),
        fd: ms(rs.map((r) => r.metrics.fd)),
        recognisability: ms(rs.map((r) => r.metrics.recognisability)),
        coverage: ms(rs.map((r) => r.metrics.coverage)),
        pulses_per_step: ms(costs.map((c) => c.pulses)),
        physical_time_per_step_s: ms(costs.map((c) => c.physical_s)),
        resistive_energy_per_step_j: ms(costs.map((c) => c.resistive_j)),
        programming_energy_per_step_j: ms(costs.map((c) => c.programming_j)),
        programming_time_per_step_s: ms(costs.map((c) => c.programming_s)),
        cost_model_energy_per_step_j: ms(costs.map((c) => c.joules)),
        cost_model_time_per_step_s: ms(costs.map((c) => c.seconds)),
        cost_terms_chip0: costs[0].terms,
        steps: logs[0].length,
      });
      curves.push({ label, y: smooth(meanCurve(logs)) });
    }
  }
  const seeds = ['seed0', 'seed1', 'seed2'].filter((s) => existsSync(join(idealDir, s, 'eval.json')));
  const ilogs = seeds.map((s) => readJsonl(join(idealDir, s, 'log.jsonl')));
  const ievals = seeds.map((s) => JSON.parse(readFileSync(join(idealDir, s, 'eval.json'), 'utf8')).metrics);
  const ick = loadCheckpoint(join(idealDir, seeds[0], 'checkpoint.json'));
  const base = digitalBaseline(countOps(ick.circuit, dimsOfCircuit(ick.circuit), 32), ick.circuit);
  const ideal = {
    label: 'ideal network (equilibrium relaxation, float64)',
    chips: seeds,
    first_flow_mse: ms(ilogs.map((l) => l[0].flow_mse)),
    final_flow_mse: ms(ilogs.map((l) => mean(l.slice(-10).map((x) => x.flow_mse)))),
    last10_improvement: ms(ilogs.map((l) => lastImprovement(l.map((x) => x.flow_mse)))),
    fd: ms(ievals.map((m) => m.fd)),
    recognisability: ms(ievals.map((m) => m.recognisability)),
    coverage: ms(ievals.map((m) => m.coverage)),
    digital_baseline_gpu_step: base.gpu.step,
    steps: ilogs[0].length,
  };
  curves.push({ label: ideal.label, y: smooth(meanCurve(ilogs)) });
  const md = [
    `| run | n | flow MSE step 1 | final flow MSE | last-10% gain | FD | recognisability | coverage | pulses/step | physical time/step | resistive J/step | programming J/step | programming s/step | cost model J/step | cost model s/step |`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|`,
    ...table.map((t) => `| ${t.label} | ${t.final_flow_mse.n} | ${fmt(t.first_flow_mse)} | ${fmt(t.final_flow_mse)} | ${(100 * t.last10_improvement.mean).toFixed(1)}% | ${fmt(t.fd)} | ${fmt(t.recognisability, 2)} | ${fmt(t.coverage, 2)} | ${fmt(t.pulses_per_step)} | ${fmtE(t.physical_time_per_step_s)} | ${fmtE(t.resistive_energy_per_step_j)} | ${fmtE(t.programming_energy_per_step_j)} | ${fmtE(t.programming_time_per_step_s)} | ${fmtE(t.cost_model_energy_per_step_j)} | ${fmtE(t.cost_model_time_per_step_s)} |`),
    `| ${ideal.label} | ${ideal.final_flow_mse.n} | ${fmt(ideal.first_flow_mse)} | ${fmt(ideal.final_flow_mse)} | ${(100 * ideal.last10_improvement.mean).toFixed(1)}% | ${fmt(ideal.fd)} | ${fmt(ideal.recognisability, 2)} | ${fmt(ideal.coverage, 2)} | - | - | - | - | - | GPU baseline ${ideal.digital_baseline_gpu_step.joules.toExponential(2)} | GPU baseline ${ideal.digital_baseline_gpu_step.seconds.toExponential(2)} |`,
  ].join('\n');
  writeFileSync(join(out, 'summary.json'), JSON.stringify({ format: 'gradep-device-summary/1', kind: 'update-modes', sweeps: dirs, ideal_dir: idealDir, table, ideal }, null, 1) + '\n');
  writeFileSync(join(out, 'summary.md'), md + '\n');
  const series = curves.map((c) => ({ label: c.label, x: c.y.map((_, i) => i + 1), y: c.y }));
  chart(join(out, 'flow_mse-curves.png'), { title: 'In-situ GradEP by update mode and device (mean over 3 chips, 10-step moving average)', xLabel: 'training step', yLabel: 'free-phase flow-matching MSE', series, logY: true, width: 1100, height: 650 });
  console.log(md);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'asymmetry' && args.length === 2) asymmetry(args[0], args[1]);
else if (cmd === 'update-modes' && args.length >= 3) updateModes(args[0], args[1], args.slice(2));
else {
  console.error('usage: node scripts/device-reports.mjs asymmetry SWEEP_DIR OUT_DIR | update-modes OUT_DIR IDEAL_DIR SWEEP_DIR...');
  process.exit(2);
}
