/**
 * `gradep report DIR`: a sweep's results as a report directory: PNG figures (quality and
 * gradient accuracy against the first swept field in its SI unit, mean and one standard
 * deviation over chip seeds, one series per action and value of the other swept fields),
 * training curves of the in-situ and fine-tuning points, sample grids per point, a README
 * summary table, and a self-contained index.html that draws the same charts interactively
 * with chart.js inlined (no network).
 *
 * The parts: sweep-data.ts reads the sweep and its points, sweep-axes.ts draws the swept
 * fields, sweep-charts.ts the line charts, sweep-cost.ts the cost breakdown and energy
 * figures, sweep-tables.ts the README, sweep-html.ts index.html; this file puts them together
 * with the sample grids.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepResult } from '../experiments/sweep/index.js';
import { removeDeadTemps, writeFileAtomic } from '../util/atomic.js';
import { retitleGridPng, sampleGridPng } from './figures.js';
import { type Axis, axisOf, baseLookup } from './sweep-axes.js';
import { type ReportCtx, realReference, writeQuantityCharts, writeTrainingCharts } from './sweep-charts.js';
import { costReadme, writeCostCharts } from './sweep-cost.js';
import { readSweepRows } from './sweep-data.js';
import { generationPointName } from './generation-report.js';
import { html } from './sweep-html.js';
import { pointsTable, writeReadme } from './sweep-tables.js';

export { axisOf, type BaseValue } from './sweep-axes.js';
export { readSweepMeta } from './sweep-data.js';

/** Write the report of sweep directory dir into outDir; returns the files written and the points table. */
export function writeSweepReport(dir: string, outDir: string): { files: string[]; table: string; failed: string[] } {
  const { spec, rows, circuits, failed, file } = readSweepRows(dir);
  const fields = Object.keys(spec.vary);
  const base = baseLookup(spec, file);
  const axes = new Map(fields.map((k) => [k, axisOf(k, spec.vary[k], base)]));
  const ctx: ReportCtx = { dir, outDir, spec, rows, circuits, fields, axes, field: fields[0], files: [], charts: [], oldGrids: oldGrids(outDir), oldTraining: oldTraining(outDir), kept: [] };
  clearOldFigures(outDir);
  const ref = realReference(rows);
  writeQuantityCharts(ctx, ref);
  writeTrainingCharts(ctx);
  const name = (r: SweepResult) => ((spec.actions ?? []).length > 1 ? `${r.action}, ` : '') + (r.action === 'generate' ? generationPointName(r) : pointName(ctx, r) || r.action);
  const costs = writeCostCharts(ctx, name);
  const grids = writeSampleGrids(ctx);
  const table = pointsTable(rows, fields);
  const failedNote = failed.length ? `Failed points, not drawn: ${failed.join('; ')}.\n\n` : '';
  const reference = (ref.refs ? `Reference at the same sample count: ${ref.refs}.\n\n` : '') + failedNote;
  writeReadme(ctx, table, reference, costReadme(costs, name, spec, outDir));
  writeFileAtomic(join(outDir, 'index.html'), html(spec, ctx.charts, [...ctx.kept, ...grids], table, reference.trim(), ctx.kept.length));
  ctx.files.push(join(outDir, 'README.md'), join(outDir, 'index.html'));
  // The raw results travel with the report, so figures can be redrawn without the sweep directory.
  for (const f of ['results.jsonl', 'sweep.json']) {
    writeFileAtomic(join(outDir, f), f === 'results.jsonl' ? rows.map((r) => JSON.stringify(r)).join('\n') + '\n' : readFileSync(join(dir, f), 'utf8'));
    ctx.files.push(join(outDir, f));
  }
  return { files: ctx.files, table, failed };
}

/**
 * A report directory written before (it holds our sweep.json) loses its old figures and
 * grids first, so charts of dropped values or renamed panels do not linger beside the new ones.
 */
function clearOldFigures(outDir: string): void {
  for (const d of [outDir, join(outDir, 'samples')]) removeDeadTemps(d);
  if (existsSync(join(outDir, 'sweep.json'))) {
    for (const f of readdirSync(outDir)) if (f.endsWith('.png')) rmSync(join(outDir, f));
    if (existsSync(join(outDir, 'samples'))) for (const f of readdirSync(join(outDir, 'samples'))) if (/^point-\d+\.png$/.test(f)) rmSync(join(outDir, 'samples', f));
  }
}

const identity = (r: { action: string; chip_seed: number; overrides: Record<string, unknown> }) => JSON.stringify([r.action, r.chip_seed, r.overrides]);

/** A point's short name: its swept values ("synapse.bits = 4", or the ablation case's name). */
function pointName(ctx: ReportCtx, r: SweepResult): string {
  return ctx.fields
    .map((f) => {
      const ax = ctx.axes.get(f) as Axis;
      return ax.categories && f.includes('+') ? ax.show(r.overrides[f]) : `${f.split('+')[0]} = ${ax.show(r.overrides[f])}`;
    })
    .join(', ');
}

/** The training figures of a report written before (outDir holds its sweep.json). */
function oldTraining(outDir: string): Map<string, Buffer> {
  const figs = new Map<string, Buffer>();
  if (!existsSync(join(outDir, 'sweep.json'))) return figs;
  for (const f of ['training-insitu.png', 'training-finetune.png']) if (existsSync(join(outDir, f))) figs.set(f, readFileSync(join(outDir, f)));
  return figs;
}

/** The grid PNGs of a report written before (outDir holds its sweep.json and results.jsonl), by point identity. */
function oldGrids(outDir: string): Map<string, Buffer> {
  const grids = new Map<string, Buffer>();
  const results = join(outDir, 'results.jsonl');
  if (!existsSync(join(outDir, 'sweep.json')) || !existsSync(results)) return grids;
  for (const line of readFileSync(results, 'utf8').split('\n')) {
    try {
      const r = JSON.parse(line) as SweepResult;
      const f = join(outDir, 'samples', `point-${r.index}.png`);
      if (existsSync(f)) grids.set(identity(r), readFileSync(f));
    } catch {
      // an empty or cut line
    }
  }
  return grids;
}

/**
 * A sample grid per sampled point (samples/point-<index>.png), also returned for index.html.
 * Without the point's samples (a committed report redrawn: samples/*.json are not kept) the
 * grid drawn before is kept under the new title.
 */
function writeSampleGrids(ctx: ReportCtx): { key: string; caption: string; png: Buffer }[] {
  const grids: { key: string; caption: string; png: Buffer }[] = [];
  for (const r of ctx.rows) {
    if (r.metrics === null) continue;
    const sf = join(ctx.dir, 'samples', `${r.key}.json`);
    const caption = `#${r.index} ${r.action}, chip ${r.chip_seed}, ${pointName(ctx, r)}: FD ${r.metrics.fd.toFixed(2)}`;
    const old = ctx.oldGrids.get(identity(r));
    let png: Buffer;
    if (existsSync(sf)) {
      const arr = JSON.parse(readFileSync(sf, 'utf8')) as number[][];
      png = sampleGridPng(Float64Array.from(arr.flat()), arr.length, { cols: 10, scale: 4, title: caption });
    } else if (old) png = retitleGridPng(old, caption);
    else continue;
    const f = join(ctx.outDir, 'samples', `point-${r.index}.png`);
    writeFileAtomic(f, png);
    ctx.files.push(f);
    grids.push({ key: r.key, caption, png });
  }
  return grids;
}
