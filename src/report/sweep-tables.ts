/** The README of a sweep report: setup and budget, summary tables (first swept field down, second across), all points. */
import { join } from 'node:path';
import type { SweepResult, SweepSpec } from '../experiments/sweep/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { generationSummary, isGenerationSweep } from './generation-report.js';
import type { Axis } from './sweep-axes.js';
import type { ReportCtx } from './sweep-charts.js';
import { QUANTITIES, type Quantity, stats } from './sweep-data.js';

const num = (v: number | null | undefined, f: (x: number) => string) => (v === null || v === undefined ? '-' : f(v));

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
      ['recognisability', (r) => num(r.metrics?.recognisability, (x) => x.toFixed(3))],
      ['coverage', (r) => num(r.metrics?.coverage, String)],
      ['sharpness W1', (r) => num(r.metrics?.sharpness_w1, (x) => x.toFixed(3))],
      ['final MSE', (r) => num(r.final_flow_mse, (x) => x.toFixed(3))],
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
    `# ${spec.name}\n\n${spec.description}\n\nBase circuit \`${spec.base}\`${set}; ${rows.length} points (actions ${actions.join(', ')}; chips ${spec.chip_seeds.join(', ')}); ${budget.join('; ')}. Figures: mean and one standard deviation over chips. Interactive: index.html.\n\n${reference}${summary}${energy}## All points\n\n${table}\n`,
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
