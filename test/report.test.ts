/**
 * Sweep reports read without decoding: categorical sweeps drawn per case and named by what they
 * change, and a committed report directory redrawn in place (its grids kept, its numbers unchanged).
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { axisOf, writeSweepReport } from '../src/report/sweep-report.js';
import { readSweepRows } from '../src/report/sweep-data.js';
import { packagePath } from '../src/util/paths.js';

describe('axisOf', () => {
  it('draws a linked tuple whose first field cannot order the cases as categories named by their changes from the base', () => {
    const base = (f: string) => ({ 'synapse.bits': 6, 'synapse.g_dtod': 0.05, 'dac.bits': 8 })[f];
    const field = 'synapse.bits+synapse.g_dtod+dac.bits';
    const values = [[6, 0.05, 8], [0, 0.05, 8], [6, 0, 8], [0, 0, 0]];
    const ax = axisOf(field, values, base);
    expect(ax.categories).toEqual(['base circuit', 'synapse.bits = 0', 'synapse.g_dtod = 0', 'all 3 = 0']);
    expect(values.map((v) => ax.x(v))).toEqual([0, 1, 2, 3]);
    expect(ax.label).not.toMatch(/^synapse\.bits/);
  });

  it('draws string choices as categories and ordered numbers on a numeric axis', () => {
    expect(axisOf('relax.method', ['paper', 'anderson']).categories).toEqual(['paper', 'anderson']);
    const t = axisOf('transient.t_free', ['30 ns', '60 ns']);
    expect(t.categories).toBeUndefined();
    expect(t.x('30 ns')).toBe(3e-8);
  });
});

describe('a committed report directory redrawn in place', () => {
  it('keeps its sample grids, changes no number, and writes categorical charts with SI ticks', () => {
    const src = packagePath('reports', 'transfer-ablation');
    const dir = join(mkdtempSync(join(tmpdir(), 'gradep-report-')), 'transfer-ablation');
    cpSync(src, dir, { recursive: true });
    const grids = readdirSync(join(src, 'samples')).sort();
    const r = writeSweepReport(dir, dir);
    expect(readdirSync(join(dir, 'samples')).sort()).toEqual(grids);
    // The energy section is computed from the base circuit's cost figures as they read now (sweep-cost.ts): the measured numbers are the rest.
    const measuredPart = (t: string) => t.replace(/## Energy: which terms each number includes[\s\S]*?(?=## All points)/, '');
    const numbers = (f: string) => (measuredPart(readFileSync(f, 'utf8')).match(/-?\d+\.\d+(e-?\d+)?/g) ?? []).sort();
    expect(numbers(join(dir, 'README.md'))).toEqual(numbers(join(src, 'README.md')));
    expect(r.table).toBe(readFileSync(join(src, 'README.md'), 'utf8').split('## All points\n\n')[1].trim());
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('function chartConfig(');
    expect(html).toMatch(/\.points\{max-height:[^}]*overflow:auto/);
    expect(html).toContain('"categories":["base circuit"');
  });

  it('keeps training figures whose logs are not committed', () => {
    const src = packagePath('reports', 'conductance-precision');
    const dir = join(mkdtempSync(join(tmpdir(), 'gradep-report-')), 'conductance-precision');
    cpSync(src, dir, { recursive: true });
    const pngs = (d: string) => readdirSync(d).filter((f) => f.endsWith('.png')).sort();
    writeSweepReport(dir, dir);
    expect(pngs(dir)).toEqual(pngs(src));
    expect(pngs(dir)).toContain('training-insitu.png');
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('training-insitu.png (kept as drawn before');
  });

  it('labels every row as the sweep file names its point now, not as the cached result row was written', () => {
    const src = packagePath('reports', 'pulsed-asymmetry');
    const dir = join(mkdtempSync(join(tmpdir(), 'gradep-report-')), 'pulsed-asymmetry');
    cpSync(src, dir, { recursive: true });
    const before = readSweepRows(dir).rows;
    const lines = readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const l of lines) l.overrides = { stale: 'label of an older sweep file' };
    writeFileSync(join(dir, 'results.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const after = readSweepRows(dir).rows;
    expect(after.length).toBe(before.length);
    expect(after.map((r) => r.overrides)).toEqual(before.map((r) => r.overrides));
    expect(JSON.stringify(after.map((r) => r.overrides))).not.toContain('stale');
  });
});
