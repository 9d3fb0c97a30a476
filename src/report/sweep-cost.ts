/**
 * What each point of a sweep would cost on a chip (src/metrics/cost.ts, docs/energy.md),
 * computed at report time from the point's realised circuit and what results.jsonl holds, so
 * committed reports are redrawn without rerunning their sweeps:
 *   - resistive energy: measured (energy_per_sample_j; energy_per_step_j where recorded), or
 *     absent ("generate" points run on the ideal network: no chip, nothing measured);
 *   - every other term: counts from the circuit and the point's evaluations and phase times,
 *     times the per-event figures of the circuit's `cost` section and amplifier.static_power.
 * Figures: stacked bars of the breakdown per point (per training step for in-situ and
 * fine-tuning points, per generated sample for every sampled point), quality against the total
 * energy per sample and per training run; a README section saying which terms each number
 * includes, with the per-point totals.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { dimsOfCircuit } from '../build/build.js';
import { type CircuitSpec, tauOf } from '../circuit/spec.js';
import type { GeneratedResult, SampledResult, SweepResult, SweepSpec } from '../experiments/sweep/index.js';
import { type CostScenario, costBreakdown, countOps, termGroups } from '../metrics/cost.js';
import type { LineSeries } from './figures.js';
import { family } from './generation-report.js';
import { spansDecade } from './chart-config.js';
import { axisOf } from './sweep-axes.js';
import { type ReportCtx, writeChart } from './sweep-charts.js';
import { stats } from './sweep-data.js';
import { packagePath } from '../util/paths.js';

/** How a point's resistive energy entered its cost: measured on the chip, not recorded by the sweep that ran it, or not simulated (ideal network). */
export type ResistiveStatus = 'measured' | 'not recorded' | 'not simulated';

/** The cost of one sweep point: per generated sample and, for in-situ and fine-tuning points, per training step. */
export interface PointCost {
  row: SweepResult;
  sample: CostScenario | null;
  step: CostScenario | null;
  /** Training steps of the point's run (insitu: steps, finetune: finetune_steps). */
  steps: number;
  resistive: { sample: ResistiveStatus; step: ResistiveStatus | null };
}

const sampled = (r: SweepResult): r is SampledResult => r.action === 'insitu' || r.action === 'transfer' || r.action === 'finetune';

/** Mean resistive energy per step of a point's training log (DIR/points/<key>/log.jsonl, energy_j), for results written before energy_per_step_j. */
function logStepEnergy(dir: string, key: string): number | null {
  const f = join(dir, 'points', key, 'log.jsonl');
  if (!existsSync(f)) return null;
  const e: number[] = [];
  for (const l of readFileSync(f, 'utf8').split('\n')) {
    try {
      const v = (JSON.parse(l) as { energy_j?: number }).energy_j;
      if (typeof v === 'number' && Number.isFinite(v)) e.push(v);
    } catch {
      // an empty or cut line
    }
  }
  return e.length ? stats(e).mean : null;
}

/** A chip point: evaluations from its recorded time per sample (evaluations x t_free), resistive terms as measured. */
function chipPointCost(r: SampledResult, c: CircuitSpec, spec: SweepSpec, dir: string): PointCost {
  const d = dimsOfCircuit(c);
  const k = Math.max(1, Math.round(r.time_per_sample_s / c.transient.t_free));
  const counts = countOps(c, d, spec.batch, { evaluations: k, mode: 'energy_gd' });
  const stepJ = typeof r.energy_per_step_j === 'number' ? r.energy_per_step_j : r.action === 'transfer' ? null : logStepEnergy(dir, r.key);
  // The phase split of the step's resistive energy is not in results.jsonl: only its total is.
  const b = costBreakdown(counts, c, { step: { free: NaN, plus: NaN, minus: NaN, total: stepJ ?? 0 }, sample: r.energy_per_sample_j });
  const trains = r.action !== 'transfer';
  return {
    row: r,
    sample: b.sample,
    step: trains ? b.step : null,
    steps: r.action === 'finetune' ? spec.finetune_steps : spec.steps,
    resistive: { sample: 'measured', step: trains ? (stepJ === null ? 'not recorded' : 'measured') : null },
  };
}

/** A "generate" point on the ideal network: its evaluations and relaxation time (relaxation_tau x tau of the circuit) on a chip of that circuit. */
function generatedPointCost(r: GeneratedResult, c: CircuitSpec): PointCost {
  const seconds = (r.relaxation_tau * tauOf(c)) / r.evaluations;
  const continuous = r.generation.mode === 'analogue';
  // The batch only sizes the training step, which a generate point does not have.
  const counts = countOps(c, dimsOfCircuit(c), 2, { evaluations: r.evaluations, evaluationSeconds: seconds, continuous, mode: r.generation.mode === 'energy_gd' ? 'energy_gd' : 'spring' });
  const b = costBreakdown(counts, c, { step: { free: 0, plus: 0, minus: 0, total: 0 }, sample: 0 });
  return { row: r, sample: b.sample, step: null, steps: 0, resistive: { sample: 'not simulated', step: null } };
}

/** The cost of every sampled point of a report (gradient points have none). */
export function pointCosts(ctx: ReportCtx): PointCost[] {
  const out: PointCost[] = [];
  for (const r of ctx.rows) {
    const c = ctx.circuits.get(r.index);
    if (!c) continue;
    if (sampled(r)) out.push(chipPointCost(r, c, ctx.spec, ctx.dir));
    else if (r.action === 'generate') out.push(generatedPointCost(r, c));
  }
  return out;
}

/** Points grouped by name (chips averaged), in the sweep's order. */
function groupByName(costs: PointCost[], name: (r: SweepResult) => string): [string, PointCost[]][] {
  const groups = new Map<string, PointCost[]>();
  for (const p of costs) groups.set(name(p.row), [...(groups.get(name(p.row)) ?? []), p]);
  return [...groups];
}

/** A scenario averaged over points, term by term (joules). */
function meanScenario(scs: CostScenario[]): CostScenario {
  const terms = scs[0].terms.map((t, i) => ({ ...t, joules: stats(scs.map((s) => s.terms[i].joules)).mean }));
  return { terms, total: { joules: stats(scs.map((s) => s.total.joules)).mean, seconds: stats(scs.map((s) => s.total.seconds)).mean } };
}

const RESISTIVE_NOTE: Record<ResistiveStatus, string> = {
  measured: 'resistive measured',
  'not recorded': 'resistive term not recorded by this sweep run, left out',
  'not simulated': 'ideal network: no resistive term',
};

/** One stacked-bar figure: a bar per point (chips averaged), a segment per cost term; terms zero at every point are left out. */
function drawBars(ctx: ReportCtx, groups: [string, PointCost[]][], which: 'step' | 'sample', file: string): void {
  const bars = groups.flatMap(([label, ps]) => {
    const scs = ps.map((p) => p[which]).filter((s): s is CostScenario => s !== null);
    return scs.length ? [{ label, sc: meanScenario(scs) }] : [];
  });
  if (bars.length === 0) return;
  const names = [...new Set(bars.flatMap((b) => b.sc.terms.map((t) => t.name)))];
  const joules = (b: (typeof bars)[number], n: string) => b.sc.terms.find((t) => t.name === n)?.joules ?? 0;
  const series: LineSeries[] = names.filter((n) => bars.some((b) => joules(b, n) > 0)).map((n) => ({ label: n, x: bars.map((_, i) => i), y: bars.map((b) => joules(b, n)) }));
  const statuses = [...new Set(groups.flatMap(([, ps]) => ps.map((p) => (which === 'step' ? p.resistive.step : p.resistive.sample)).filter((s): s is ResistiveStatus => s !== null)))];
  const what = which === 'step' ? `one training step (batch ${ctx.spec.batch})` : 'one generated sample';
  writeChart(
    ctx,
    { title: `${ctx.spec.name}: cost of ${what} per point, all terms (${statuses.map((s) => RESISTIVE_NOTE[s]).join('; ')})`, xLabel: 'point (mean over chips)', yLabel: `energy per ${which === 'step' ? 'training step' : 'sample'} (J)`, series, categories: bars.map((b) => b.label), stacked: true, logY: false },
    file,
    { width: Math.max(1000, 45 * bars.length + 400), height: 750 },
  );
}

/** Quality metrics drawn against the total energy. */
const METRICS: { key: 'fd' | 'recognisability'; label: string }[] = [
  { key: 'fd', label: 'Frechet distance (lower is better)' },
  { key: 'recognisability', label: 'recognisability (higher is better)' },
];

/** Series of a quality-vs-energy chart: one per family (generate) or per action and the swept fields after the first; a point per swept value, chips averaged. */
function energySeries(costs: PointCost[], name: (r: SweepResult) => string, seriesOf: (r: SweepResult) => string, x: (p: PointCost) => number | null, y: (r: SweepResult) => number): LineSeries[] {
  const bySeries = new Map<string, PointCost[]>();
  for (const p of costs) if (x(p) !== null) bySeries.set(seriesOf(p.row), [...(bySeries.get(seriesOf(p.row)) ?? []), p]);
  return [...bySeries].map(([label, ps]) => {
    const pts = groupByName(ps, name).map(([, g]) => ({ x: stats(g.map((p) => x(p) as number)).mean, y: stats(g.map((p) => y(p.row))) }));
    pts.sort((a, b) => a.x - b.x);
    const err = pts.map((p) => p.y.half95);
    const chips = Math.max(...groupByName(ps, name).map(([, g]) => g.length));
    return { label: `${label} (${chips} chip${chips === 1 ? '' : 's'})`, x: pts.map((p) => p.x), y: pts.map((p) => p.y.mean), yErr: err.some((e) => e > 0) ? err : undefined };
  });
}

/**
 * energySeries, unless the energy is the same along a series (the swept field does not change
 * it, e.g. the mismatch g_dtod): then a series per point, drawn as dots, not a vertical line.
 */
function spreadSeries(costs: PointCost[], name: (r: SweepResult) => string, seriesOf: (r: SweepResult) => string, x: (p: PointCost) => number | null, y: (r: SweepResult) => number): LineSeries[] {
  const s = energySeries(costs, name, seriesOf, x, y);
  const flat = s.some((q) => q.x.length > 1 && Math.max(...q.x) - Math.min(...q.x) <= 0.01 * Math.abs(Math.max(...q.x)));
  return flat ? energySeries(costs, name, name, x, y) : s;
}

/** Total energy per sample, and per training run (steps x per step) where the point trained. */
const perSample = (p: PointCost) => p.sample?.total.joules ?? null;
const perRun = (p: PointCost) => (p.step ? p.step.total.joules * p.steps : null);

/** Stacked bars and quality-vs-total-energy charts of a report; returns the costs for the README. */
export function writeCostCharts(ctx: ReportCtx, name: (r: SweepResult) => string): PointCost[] {
  const costs = pointCosts(ctx);
  if (costs.length === 0) return costs;
  const groups = groupByName(costs, name);
  drawBars(ctx, groups, 'sample', 'cost-per-sample.png');
  drawBars(ctx, groups, 'step', 'cost-per-step.png');
  const multi = (ctx.spec.actions ?? []).length > 1;
  // A series per value of the first swept field (it need not change the energy, e.g. beta): its points run along the others.
  const f0 = ctx.fields[0];
  const first = (r: SweepResult) => (ctx.fields.length > 1 ? [`${f0.split('+')[0]} = ${(ctx.axes.get(f0) ?? axisOf(f0, [])).show(r.overrides[f0])}`] : []);
  const seriesOf = (r: SweepResult) => (r.action === 'generate' ? family(r) : [...(multi ? [r.action] : []), ...first(r)].join(', ') || r.action);
  const anyStep = costs.some((p) => p.step !== null);
  for (const m of METRICS) {
    const y = (r: SweepResult) => (r.metrics ? r.metrics[m.key] : NaN);
    const s = spreadSeries(costs, name, seriesOf, perSample, y);
    const ideal = costs.some((p) => p.resistive.sample === 'not simulated') ? '; ideal network: no resistive term' : '';
    writeChart(ctx, { title: `${ctx.spec.name}: ${m.label.replace(/ \(.*\)$/, '')} vs total energy per generated sample (all terms${ideal})`, xLabel: 'total energy per generated sample, all cost terms (J)', yLabel: m.label, series: s, logX: spansDecade(s.flatMap((x) => x.x)), logY: false }, `${m.key}-vs-total-energy-per-sample.png`);
    if (!anyStep) continue;
    const notRec = costs.some((p) => p.resistive.step === 'not recorded') ? '; resistive term not recorded, left out' : '';
    const t = spreadSeries(costs, name, seriesOf, perRun, y);
    writeChart(ctx, { title: `${ctx.spec.name}: ${m.label.replace(/ \(.*\)$/, '')} vs total energy of training (all terms${notRec})`, xLabel: 'total energy of the training run, steps x per step, all cost terms (J)', yLabel: m.label, series: t, logX: spansDecade(t.flatMap((x) => x.x)), logY: false }, `${m.key}-vs-total-energy-of-training.png`);
  }
  return costs;
}

/** Term groups of the README tables. */
const GROUPS: Record<string, string[]> = {
  converters: ['adc', 'dac'],
  'static power': ['amplifiers', 'activations', 'multipliers', 'bias sources'],
  digital: ['digital: local update', 'digital: clip, Adam, EMA', 'digital: Euler step'],
};
const COLS = ['resistive', 'converters', 'static power', 'programming', 'digital'];

const e = (x: number | undefined) => (x === undefined ? '-' : x === 0 ? '0' : x.toExponential(2));

function totalsTable(groups: [string, PointCost[]][], which: 'step' | 'sample', status: (p: PointCost) => ResistiveStatus | null): string {
  const lines: string[] = [];
  for (const [label, ps] of groups) {
    const scs = ps.map((p) => p[which]).filter((s): s is CostScenario => s !== null);
    if (scs.length === 0) continue;
    const g = termGroups(meanScenario(scs), GROUPS);
    const st = status(ps[0]);
    const cols = COLS.filter((c) => which === 'step' || c !== 'programming').map((c) => (c === 'resistive' && st !== 'measured' ? `(${st})` : e(g[c])));
    lines.push(`| ${label} | ${ps.length} | ${cols.join(' | ')} | ${e(meanScenario(scs).total.joules)} |`);
  }
  if (lines.length === 0) return '';
  const cols = COLS.filter((c) => which === 'step' || c !== 'programming');
  return `| point | chips | ${cols.join(' (J) | ')} (J) | total (J) |\n|${'---|'.repeat(cols.length + 3)}\n${lines.join('\n')}\n`;
}

/** README section: which terms each energy number of the report includes, and the per-point totals by term group. */
export function costReadme(costs: PointCost[], name: (r: SweepResult) => string, spec: SweepSpec, outDir = packagePath('reports', spec.name)): string {
  if (costs.length === 0) return '';
  const groups = groupByName(costs, name);
  const ideal = costs.every((p) => p.resistive.sample === 'not simulated');
  const stepStatus = costs.find((p) => p.resistive.step !== null)?.resistive.step ?? null;
  const res = ideal ? 'no (ideal network, no chip)' : 'yes (measured)';
  const rows = [
    ideal ? '' : '| `resistive energy/sample (J)` column, `energy_per_sample_j-vs-*.png` | yes (measured) | no | no | no | no |',
    `| \`cost-per-sample.png\`, \`*-vs-total-energy-per-sample.png\`, table "per generated sample" | ${res} | yes | yes | no (the chip is programmed once before generation: not per sample) | the Euler step${costs.some((p) => p.row.action === 'generate' && p.row.generation.mode === 'analogue') ? ' (none for fully analogue points)' : ''} |`,
    stepStatus ? `| \`cost-per-step.png\`, \`*-vs-total-energy-of-training.png\`, table "per training step" | ${stepStatus === 'measured' ? 'yes (measured)' : 'no: not recorded by the sweep run that made these results (recorded since; about 0.01% of a step on the ReRAM preset, docs/energy.md)'} | yes | yes | yes (every device rewritten each step) | local update, clip, Adam, EMA |` : '',
  ].filter(Boolean);
  const parts = [
    '## Energy: which terms each number includes\n',
    'Cost model: [docs/energy.md](' + relative(outDir, packagePath('docs', 'energy.md')).split(sep).join('/') + ') (`src/metrics/cost.ts`). The resistive term is the G V^2 dissipation the simulation measured; the others are counts (conversions, device writes, FLOPs, analogue time) of each point times the per-event figures of its circuit (`cost` section, `amplifier.static_power`), computed by `gradep report` from `results.jsonl` and the circuit, without rerunning the sweep. Converters: ADC and DAC; static power: amplifiers, activation and multiplier elements, bias sources; digital: the digital work at the 45 nm figures of Horowitz (ISSCC 2014).\n',
    `| number | resistive | converters | static power | programming | digital |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
  ];
  if (costs.some((p) => p.row.action === 'generate')) parts.push('"generate" points ran on the ideal network: their analogue time is the relaxation time per sample (relaxation_tau) times tau = C/G_L of the base circuit, their converters are those of that circuit (an ideal 0-bit converter costs nothing).\n');
  const sample = totalsTable(groups, 'sample', (p) => p.resistive.sample);
  if (sample) parts.push(`**Per generated sample** (mean over chips)\n\n${sample}`);
  const step = totalsTable(groups, 'step', (p) => p.resistive.step);
  if (step) parts.push(`**Per training step** (batch ${spec.batch}; mean over chips)\n\n${step}`);
  return parts.join('\n') + '\n';
}
