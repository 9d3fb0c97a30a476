/** The README of a sweep report: setup and budget, summary tables (first swept field down, second across), all points. */
import { join } from 'node:path';
import type { SweepResult, SweepSpec } from '../experiments/sweep/index.js';
import { meanInterval } from '../metrics/intervals.js';
import { writeFileAtomic } from '../util/atomic.js';
import { generationSummary, isGenerationSweep } from './generation-report.js';
import type { Axis } from './sweep-axes.js';
import type { ReportCtx } from './sweep-charts.js';
import { QUANTITIES, type Quantity } from './sweep-data.js';

const num = (v: number | null | undefined, f: (x: number) => string) => (v === null || v === undefined ? '-' : f(v));

/** Convergence of a trained point's loss curve (absent for other actions and older results). */
const convOf = (r: SweepResult) => (r.action === 'insitu' || r.action === 'finetune' ? r.convergence : undefined);
const gain = (c: ReturnType<typeof convOf>) => (c ? `${(100 * c.improvement).toFixed(1)}%${c.flat ? ' (flat)' : ''}` : '-');

/** The markdown table of all points; quality and gradient columns only where some point has them. */
export function pointsTable(rows: SweepResult[], fields: string[]): string {
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
      ...(rows.some((r) => r.metrics?.fd_inf != null) ? [['FD inf', (r: SweepResult) => num(r.metrics?.fd_inf, (x) => x.toFixed(2))] as [string, (r: SweepResult) => string]] : []),
      ['recognisability', (r) => num(r.metrics?.recognisability, (x) => x.toFixed(3))],
      ['coverage', (r) => num(r.metrics?.coverage, String)],
      ['sharpness W1', (r) => num(r.metrics?.sharpness_w1, (x) => x.toFixed(3))],
      ['final MSE', (r) => num(r.final_flow_mse, (x) => x.toFixed(3))],
      ...(rows.some((r) => convOf(r)) ? [['last-10% MSE gain', (r: SweepResult) => gain(convOf(r))] as [string, (r: SweepResult) => string]] : []),
      ['resistive energy/sample (J)', (r) => num(r.energy_per_sample_j, (x) => x.toExponential(2))],
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

/** README.md: description, setup and budget, the real-data reference, summary tables, the energy terms (sweep-cost.ts) and all points. */
export function writeReadme(ctx: ReportCtx, table: string, reference: string, energy = ''): void {
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
    `# ${spec.name}\n\n${spec.description}\n\nBase circuit \`${spec.base}\`${set}; ${rows.length} points (actions ${actions.join(', ')}; chips ${spec.chip_seeds.join(', ')}); ${budget.join('; ')}. Figures: mean over chips with its 95% Student-t interval. Interactive: index.html.\n\n${reference}${summary}${classBalance(rows, fields, axes)}${energy}## All points\n\n${table}\n`,
  );
}

/**
 * Per-class frequencies of the generated samples (evaluator argmax), mean over chips per point:
 * the data have 0.10 of each digit, so a hardware effect that starves or floods a class shows here.
 */
function classBalance(rows: SweepResult[], fields: string[], axes: Map<string, Axis>): string {
  const withFreq = rows.filter((r) => r.metrics?.class_freq && r.metrics.class_freq.length === 10);
  if (withFreq.length === 0) return '';
  const name = (r: SweepResult) => [r.action, ...fields.map((f) => `${f.split('+')[0]} = ${(axes.get(f) as Axis).show(r.overrides[f])}`)].join(', ');
  const groups = new Map<string, number[][]>();
  for (const r of withFreq) groups.set(name(r), [...(groups.get(name(r)) ?? []), r.metrics!.class_freq!]);
  const lines = [...groups].map(([k, fs]) => {
    const m = Array.from({ length: 10 }, (_, c) => fs.reduce((a, f) => a + f[c], 0) / fs.length);
    return `| ${k} | ${fs.length} | ${m.map((x) => x.toFixed(3)).join(' | ')} | ${Math.min(...m).toFixed(3)} / ${Math.max(...m).toFixed(3)} |`;
  });
  const head = `| point | chips | ${Array.from({ length: 10 }, (_, c) => String(c)).join(' | ')} | min / max |\n|${'---|'.repeat(13)}`;
  return `## Class balance\n\nShare of samples the evaluator assigns to each digit (argmax), mean over chips; the data have 0.100 of each.\n\n${head}\n${lines.join('\n')}\n\n`;
}

/** Mean [95% t interval] of q(row in `b`) - q(row in `a`) over the chips that have both; '*' marks an interval that excludes 0. */
function pairedCell(gr: SweepResult[], inA: (r: SweepResult) => boolean, inB: (r: SweepResult) => boolean, q: Quantity, self: boolean): string {
  if (self) return '-';
  const at = (f: (r: SweepResult) => boolean) => new Map(gr.filter(f).map((r) => [r.chip_seed, q.get(r) as number]));
  const A = at(inA);
  const d = [...at(inB)].filter(([c]) => A.has(c)).map(([c, v]) => v - (A.get(c) as number));
  if (d.length === 0) return '-';
  const iv = meanInterval(d);
  const dig = q.key.startsWith('grad') ? 3 : 2;
  if (iv.lo === null || iv.hi === null) return `${iv.mean.toFixed(dig)} (n = 1)`;
  return `${iv.mean.toFixed(dig)} [${iv.lo.toFixed(dig)}, ${iv.hi.toFixed(dig)}]${iv.lo > 0 || iv.hi < 0 ? ' *' : ''}`;
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
          const iv = meanInterval(v);
          const dig = Math.abs(iv.mean) >= 10 ? 1 : q.key.startsWith('grad') ? 3 : 2;
          const n = v.length === spec.chip_seeds.length ? '' : ` (n = ${v.length})`;
          return iv.lo === null || iv.hi === null ? `${iv.mean.toFixed(dig)}${n}` : `${iv.mean.toFixed(dig)} [${iv.lo.toFixed(dig)}, ${iv.hi.toFixed(dig)}]${n}`;
        };
        const title = `${action}: ${q.label}${g ? `, ${g}` : ''}`;
        // An ablation's linked cases are named by what they change, not by their first field.
        const name = (f: string) => ((axes.get(f) as Axis).categories && f.includes('+') ? 'case' : f.split('+')[0]);
        // One swept field: also the difference from the first row, paired by chip (chips share their mismatch across rows, so this is far tighter).
        const paired = f1 === undefined ? (a: unknown) => pairedCell(gr, (r) => id(r.overrides[f0]) === id(rowVals[0]), (r) => id(r.overrides[f0]) === id(a), q, a === rowVals[0]) : null;
        const head = `| ${name(f0)}${f1 ? ` \\ ${name(f1)}` : ''} | ${colVals.map((c) => (f1 ? shown(f1, c) : 'mean [95% interval] over chips')).join(' | ')} |${paired ? ` minus ${shown(f0, rowVals[0])}, paired by chip |` : ''}`;
        const lines = rowVals.map((a) => `| ${shown(f0, a)} | ${colVals.map((b) => cell(a, b)).join(' | ')} |${paired ? ` ${paired(a)} |` : ''}`);
        out.push(`**${title}**\n\n${head}\n|${'---|'.repeat(colVals.length + 1 + (paired ? 1 : 0))}\n${lines.join('\n')}\n`);
      }
    }
  }
  const note = `Each cell: the mean over chips with its 95% Student-t interval (n = ${spec.chip_seeds.length} chips unless stated). With one swept field the last column is the difference from the first row paired by chip (the same chip's mismatch in both), with its 95% interval; * marks a difference whose interval excludes zero, the only kind called a difference (see docs/model.md, "Intervals").`;
  return out.length ? `## Summary (mean and 95% interval over chips)\n\n${note}\n\n${out.join('\n')}\n` : '';
}
