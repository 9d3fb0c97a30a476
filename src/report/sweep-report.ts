/**
 * `gradep report DIR`: a sweep's results as a report directory: PNG figures (quality against
 * the swept field, mean and one standard deviation over chip seeds, one series per action),
 * sample grids per point, a README summary table, and a self-contained index.html that
 * draws the same charts interactively with chart.js inlined (no network).
 */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readResults, type SweepResult, type SweepSpec } from '../experiments/sweep.js';
import { writeFileAtomic } from '../util/atomic.js';
import { GradepError } from '../util/errors.js';
import { lineChartPng, type LineSeries, sampleGridPng } from './figures.js';

interface Quantity {
  key: string;
  label: string;
  get: (r: SweepResult) => number | null;
}

const QUANTITIES: Quantity[] = [
  { key: 'fd', label: 'Frechet distance (lower is better)', get: (r) => r.metrics.fd },
  { key: 'recognisability', label: 'recognisability (higher is better)', get: (r) => r.metrics.recognisability },
  { key: 'coverage', label: 'classes covered of 10 (higher is better)', get: (r) => r.metrics.coverage },
  { key: 'sharpness_w1', label: 'pixel-histogram W1 to data (lower is better)', get: (r) => r.metrics.sharpness_w1 },
  { key: 'final_flow_mse', label: 'final in-situ flow-matching MSE (lower is better)', get: (r) => r.final_flow_mse },
  { key: 'energy_per_sample_j', label: 'energy per generated sample (J)', get: (r) => r.energy_per_sample_j },
];

function stats(v: number[]): { mean: number; std: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std };
}

/** Series per action (and per value of the other swept fields) against the first swept field. */
function seriesFor(rows: SweepResult[], field: string, q: Quantity): LineSeries[] {
  const groups = new Map<string, Map<number, number[]>>();
  for (const r of rows) {
    const v = q.get(r);
    if (v === null || !Number.isFinite(v)) continue;
    const rest = Object.entries(r.overrides).filter(([k]) => k !== field);
    const label = [r.action, ...rest.map(([k, x]) => `${k} = ${JSON.stringify(x)}`)].join(', ');
    const x = Number(r.overrides[field]);
    const g = groups.get(label) ?? new Map<number, number[]>();
    g.set(x, [...(g.get(x) ?? []), v]);
    groups.set(label, g);
  }
  return [...groups].map(([label, g]) => {
    const xs = [...g.keys()].sort((a, b) => a - b);
    const st = xs.map((x) => stats(g.get(x) as number[]));
    return { label: `${label} (n = ${(g.get(xs[0]) as number[]).length} chips)`, x: xs, y: st.map((s) => s.mean), yErr: st.map((s) => s.std) };
  });
}

export function writeSweepReport(dir: string, outDir: string): { files: string[]; table: string } {
  const meta = join(dir, 'sweep.json');
  if (!existsSync(meta)) throw new GradepError(`${dir}: not a sweep directory (no sweep.json; run gradep sweep first)`);
  const spec = (JSON.parse(readFileSync(meta, 'utf8')) as { spec: SweepSpec }).spec;
  const rows = [...readResults(dir).values()].sort((a, b) => a.index - b.index);
  if (rows.length === 0) throw new GradepError(`${dir}: results.jsonl holds no finished point`);
  const field = Object.keys(spec.vary)[0];
  const files: string[] = [];
  const charts: { title: string; xLabel: string; yLabel: string; series: LineSeries[] }[] = [];
  for (const q of QUANTITIES) {
    const series = seriesFor(rows, field, q);
    if (series.length === 0) continue;
    const chart = { title: `${spec.name}: ${q.label.replace(/ \(.*\)$/, '')} vs ${field}`, xLabel: `${field} (as written in the sweep file)`, yLabel: q.label, series };
    charts.push(chart);
    const f = join(outDir, `${q.key}-vs-${field.replace(/\W+/g, '_')}.png`);
    writeFileAtomic(f, lineChartPng({ ...chart, width: 1000, height: 600 }));
    files.push(f);
  }
  const grids: { key: string; caption: string; png: Buffer }[] = [];
  for (const r of rows) {
    const sf = join(dir, 'samples', `${r.key}.json`);
    if (!existsSync(sf)) continue;
    const arr = JSON.parse(readFileSync(sf, 'utf8')) as number[][];
    const caption = `#${r.index} ${r.action}, chip ${r.chip_seed}, ${JSON.stringify(r.overrides)}: FD ${r.metrics.fd.toFixed(2)}`;
    const png = sampleGridPng(Float64Array.from(arr.flat()), arr.length, { cols: 10, scale: 4, title: caption });
    const f = join(outDir, 'samples', `point-${r.index}.png`);
    writeFileAtomic(f, png);
    files.push(f);
    grids.push({ key: r.key, caption, png });
  }
  const head = `| # | action | chip | ${Object.keys(spec.vary).join(' | ')} | FD | recognisability | coverage | sharpness W1 | final MSE | energy/sample (J) |`;
  const sep = `|${'---|'.repeat(9 + Object.keys(spec.vary).length)}`;
  const body = rows.map((r) => `| ${r.index} | ${r.action} | ${r.chip_seed} | ${Object.keys(spec.vary).map((k) => JSON.stringify(r.overrides[k])).join(' | ')} | ${r.metrics.fd.toFixed(2)} | ${r.metrics.recognisability.toFixed(3)} | ${r.metrics.coverage} | ${r.metrics.sharpness_w1.toFixed(3)} | ${r.final_flow_mse === null ? '-' : r.final_flow_mse.toFixed(3)} | ${r.energy_per_sample_j.toExponential(2)} |`);
  const table = [head, sep, ...body].join('\n');
  writeFileAtomic(join(outDir, 'README.md'), `# ${spec.name}\n\n${spec.description}\n\nBase circuit \`${spec.base}\`; ${rows.length} points (actions ${spec.actions.join(', ')}; chips ${spec.chip_seeds.join(', ')}); in-situ budget ${spec.steps} steps at batch ${spec.batch}; ${spec.samples} samples per point at t1 = ${spec.t1}. Figures: mean and one standard deviation over chips. Interactive: index.html.\n\n${table}\n`);
  writeFileAtomic(join(outDir, 'index.html'), html(spec, charts, grids, table));
  files.push(join(outDir, 'README.md'), join(outDir, 'index.html'));
  return { files, table };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One HTML file: chart.js inlined, data embedded, sample grids as data URIs. */
function html(spec: SweepSpec, charts: { title: string; xLabel: string; yLabel: string; series: LineSeries[] }[], grids: { caption: string; png: Buffer }[], table: string): string {
  const require = createRequire(import.meta.url);
  // The UMD build sits beside the package's main entry (it is not in the package's exports).
  const chartJs = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8');
  const rows = table
    .split('\n')
    .filter((l, i) => i !== 1)
    .map((l, i) => `<tr>${l.split('|').slice(1, -1).map((c) => (i === 0 ? `<th>${esc(c.trim())}</th>` : `<td>${esc(c.trim())}</td>`)).join('')}</tr>`)
    .join('\n');
  const data = JSON.stringify(charts).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(spec.name)}</title>
<style>body{font:15px system-ui,sans-serif;margin:2em;max-width:1100px}canvas{margin:1em 0}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}img{display:block;margin:.5em 0}</style>
<script>${chartJs}</script></head><body>
<h1>${esc(spec.name)}</h1><p>${esc(spec.description)}</p>
<div id="charts"></div>
<h2>Points</h2><table>${rows}</table>
<h2>Samples</h2>${grids.map((g) => `<figure><img alt="${esc(g.caption)}" src="data:image/png;base64,${g.png.toString('base64')}"><figcaption>${esc(g.caption)}</figcaption></figure>`).join('\n')}
<script>
const charts = ${data};
const colours = ['#0072B2','#D55E00','#009E73','#CC79A7','#E69F00','#56B4E9','#F0E442','#000000'];
for (const c of charts) {
  const cv = document.createElement('canvas'); cv.width = 1000; cv.height = 520;
  document.getElementById('charts').appendChild(cv);
  const ds = [];
  c.series.forEach((s, i) => {
    const col = colours[i % colours.length];
    ds.push({ label: s.label, data: s.x.map((x, k) => ({ x, y: s.y[k] })), borderColor: col, backgroundColor: col, showLine: true });
    if (s.yErr) ds.push({ label: s.label + ' +- 1 std', data: s.x.map((x, k) => ({ x, y: s.y[k] + s.yErr[k] })), borderColor: col, borderDash: [4, 4], pointRadius: 0, showLine: true },
                        { label: '', data: s.x.map((x, k) => ({ x, y: s.y[k] - s.yErr[k] })), borderColor: col, borderDash: [4, 4], pointRadius: 0, showLine: true });
  });
  new Chart(cv, { type: 'scatter', data: { datasets: ds }, options: { responsive: false, plugins: { title: { display: true, text: c.title, font: { size: 17 } }, legend: { labels: { filter: (l) => l.text !== '' } } },
    scales: { x: { title: { display: true, text: c.xLabel } }, y: { title: { display: true, text: c.yLabel } } } } });
}
</script></body></html>
`;
}
