/** A sweep report's index.html: one self-contained page, chart.js inlined, the charts' data embedded, images as data URIs. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SweepSpec } from '../experiments/sweep/index.js';
import { type LineChartSpec, PALETTE } from './figures.js';
import { CHART_JS_SOURCE } from './chart-config.js';

/** A chart of the report: drawn to PNG and, with the same data, interactively in index.html. */
export type ReportChart = Omit<LineChartSpec, 'width' | 'height'>;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One HTML file: chart.js inlined, data embedded, sample grids as data URIs. */
export function html(spec: SweepSpec, charts: ReportChart[], images: { caption: string; png: Buffer }[], table: string, reference: string, keptFigures: number): string {
  const img = (g: { caption: string; png: Buffer }) => `<figure><img alt="${esc(g.caption)}" src="data:image/png;base64,${g.png.toString('base64')}"><figcaption>${esc(g.caption)}</figcaption></figure>`;
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
<style>body{font:15px system-ui,sans-serif;margin:2em;max-width:1100px}canvas{margin:1em 0}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}th{position:sticky;top:0;background:#f4f4f4}
.points{max-height:32em;overflow:auto;border:1px solid #ccc}
figure img{display:block;max-width:100%}
/* Grids at their own pixel size: their titles are drawn at 15 px and must not shrink. */
.grids{display:flex;flex-wrap:wrap;gap:1em}.grids figure{margin:0}.grids img{display:block;max-width:none;image-rendering:pixelated}</style>
<script>${chartJs}</script></head><body>
<h1>${esc(spec.name)}</h1><p>${esc(spec.description)}</p>${reference ? `<p>${esc(reference)}</p>` : ''}
<div id="charts"></div>${images.slice(0, keptFigures).map(img).join('\n')}
<h2>Points</h2><div class="points"><table>${rows}</table></div>
<h2>Samples</h2><div class="grids">${images.slice(keptFigures).map((g) => `<figure><img alt="${esc(g.caption)}" title="${esc(g.caption)}" src="data:image/png;base64,${g.png.toString('base64')}"></figure>`).join('\n')}</div>
<script>
${CHART_JS_SOURCE}
const charts = ${data};
const style = { fontSize: 14, titleSize: 17, palette: ${JSON.stringify(PALETTE)} };
for (const c of charts) {
  const cv = document.createElement('canvas'); cv.width = 1000; cv.height = 560;
  document.getElementById('charts').appendChild(cv);
  new Chart(cv, chartConfig(c, style));
}
</script></body></html>
`;
}
