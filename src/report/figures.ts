/**
 * PNG figures for reports: line charts (chart.js rendered headless through chartjs-node-canvas)
 * and grids of 8x8 digit samples (drawn pixel by pixel on a canvas).
 *
 * The canvas backend is @napi-rs/canvas (Skia, prebuilt, no system libraries). package.json's
 * `overrides` installs it under the module name `canvas`, which is the name chartjs-node-canvas
 * requires and the only name that resolves here, so it is imported as 'canvas'.
 */
import type { ChartConfiguration, ChartDataset, Plugin } from 'chart.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { createCanvas } from 'canvas';

export interface LineSeries {
  label: string;
  x: number[];
  y: number[];
  /** Symmetric error (e.g. one standard deviation across seeds), drawn as a shaded band y +- yErr. */
  yErr?: number[];
  /** A reference level (e.g. real data): drawn grey and dashed, without points. */
  reference?: boolean;
}

export interface LineChartSpec {
  title: string;
  /** Axis titles, with units, e.g. "time (us)". */
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  logY?: boolean;
  logX?: boolean;
  width?: number;
  height?: number;
}

/**
 * Okabe & Ito (2008) colour-blind-safe palette (black first entry moved last), then a few
 * Tableau colours for charts with more than eight series.
 */
const PALETTE = [
  '#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000',
  '#8C564B', '#7F7F7F', '#BCBD22', '#17BECF',
];

const FONT_SIZE = 15;
const TITLE_FONT_SIZE = 18;

/** Fills the canvas white before anything is drawn (PNG would otherwise be transparent). */
const whiteBackground: Plugin = {
  id: 'gradepWhiteBackground',
  beforeDraw(chart) {
    const ctx = chart.ctx;
    ctx.save();
    ctx.globalCompositeOperation = 'destination-over';
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, chart.width, chart.height);
    ctx.restore();
  },
};

// ChartJSNodeCanvas fresh-requires chart.js on construction (tens of ms): keep one per size.
const renderers = new Map<string, ChartJSNodeCanvas>();

function renderer(width: number, height: number): ChartJSNodeCanvas {
  const key = `${width}x${height}`;
  let r = renderers.get(key);
  if (!r) {
    r = new ChartJSNodeCanvas({
      width,
      height,
      chartCallback: (ChartJS) => {
        ChartJS.defaults.font.size = FONT_SIZE;
        ChartJS.defaults.color = '#222222';
        ChartJS.defaults.animation = false;
        ChartJS.defaults.responsive = false;
      },
    });
    renderers.set(key, r);
  }
  return r;
}

function withAlpha(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255}, ${alpha})`;
}

type Pt = { x: number; y: number };
const BAND_SUFFIX = '\u0000band';

/** Render a line chart (one line per series, optional +-yErr bands) to a PNG buffer. */
export function lineChartPng(spec: LineChartSpec): Buffer {
  const width = spec.width ?? 900;
  const height = spec.height ?? 560;
  const datasets: ChartDataset<'line', Pt[]>[] = [];
  spec.series.forEach((s, i) => pushSeriesDatasets(spec, s, i, datasets));
  return renderer(width, height).renderToBufferSync(lineChartConfig(spec, datasets) as ChartConfiguration, 'image/png');
}

/** Validate series i and append its datasets: the optional error band (two edges), then the line. */
function pushSeriesDatasets(spec: LineChartSpec, s: LineSeries, i: number, datasets: ChartDataset<'line', Pt[]>[]): void {
  if (s.x.length !== s.y.length) {
    throw new Error(`lineChartPng: series "${s.label}" has ${s.x.length} x values but ${s.y.length} y values`);
  }
  if (s.yErr && s.yErr.length !== s.y.length) {
    throw new Error(`lineChartPng: series "${s.label}" has ${s.yErr.length} yErr values for ${s.y.length} points`);
  }
  const colour = s.reference ? '#555555' : PALETTE[i % PALETTE.length];
  const dash = s.reference ? [10, 6] : i >= PALETTE.length ? [8, 4] : [];
  if (s.yErr) {
    const err = s.yErr;
    // On a log axis a band reaching <= 0 cannot be drawn: clamp its lower edge to a tenth of y.
    const lo = s.x.map((x, j) => {
      const v = s.y[j] - Math.abs(err[j]);
      return { x, y: spec.logY && v <= 0 ? s.y[j] / 10 : v };
    });
    const hi = s.x.map((x, j) => ({ x, y: s.y[j] + Math.abs(err[j]) }));
    const fill = withAlpha(colour, 0.18);
    datasets.push({ label: s.label + BAND_SUFFIX, data: lo, borderWidth: 0, pointRadius: 0, fill: false, backgroundColor: fill, borderColor: fill });
    // fill: '-1' shades the area between this (upper) edge and the lower edge pushed just before.
    datasets.push({ label: s.label + BAND_SUFFIX, data: hi, borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: fill, borderColor: fill });
  }
  datasets.push({
    label: s.label,
    data: s.x.map((x, j) => ({ x, y: s.y[j] })),
    borderColor: colour,
    backgroundColor: colour,
    borderWidth: 2.5,
    borderDash: dash,
    pointRadius: s.reference || s.x.length > 60 ? 0 : 3,
    fill: false,
    tension: 0,
  });
}

/** The chart.js configuration: title, legend without band entries, linear or log axes. */
function lineChartConfig(spec: LineChartSpec, datasets: ChartDataset<'line', Pt[]>[]): ChartConfiguration<'line', Pt[]> {
  const xs = spec.series.flatMap((s) => s.x);
  const ys = spec.series.flatMap((s) => s.y);
  return {
    type: 'line',
    data: { datasets },
    options: {
      responsive: false,
      animation: false,
      parsing: false,
      layout: { padding: 12 },
      plugins: {
        title: { display: true, text: spec.title, font: { size: TITLE_FONT_SIZE, weight: 'bold' } },
        legend: {
          display: true,
          position: 'top',
          labels: { font: { size: FONT_SIZE }, filter: (item) => !(item.text ?? '').endsWith(BAND_SUFFIX) },
        },
      },
      scales: {
        x: { type: spec.logX ? 'logarithmic' : 'linear', title: axisTitle(spec.xLabel), ticks: axisTicks(xs, spec.logX) },
        y: { type: spec.logY ? 'logarithmic' : 'linear', title: axisTitle(spec.yLabel), ticks: axisTicks(ys, spec.logY) },
      },
    },
    plugins: [whiteBackground],
  };
}

/** An axis title one point larger than the tick labels. */
function axisTitle(text: string) {
  return { display: true, text, font: { size: FONT_SIZE + 1 } };
}

/**
 * Tick options for an axis spanning `values`. Axes of very small or large values (seconds,
 * farads, joules in SI) get short ticks such as 2.5e-8 instead of chart.js's 2.500000000E-8;
 * other axes keep the default format.
 */
function axisTicks(values: number[], log = false) {
  const m = Math.max(0, ...values.filter(Number.isFinite).map(Math.abs));
  const sci = m > 0 && (m < 1e-3 || m >= 1e6);
  if (log) {
    // Log axes: label only 1, 2 and 5 times a power of ten (chart.js labels every minor tick).
    const fmt = (v: number) => (sci ? Number(v.toPrecision(3)).toExponential() : String(Number(v.toPrecision(3))));
    return {
      font: { size: FONT_SIZE },
      autoSkip: false,
      callback: (v: number | string) => {
        if (typeof v !== 'number' || v <= 0) return '';
        const mant = Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
        return [1, 2, 5].includes(mant) && Math.abs(v / (mant * 10 ** Math.floor(Math.log10(v) + 1e-9)) - 1) < 1e-6 ? fmt(v) : '';
      },
    };
  }
  return { font: { size: FONT_SIZE }, ...(sci ? { callback: (v: number | string) => (typeof v === 'number' ? (v === 0 ? '0' : Number(v.toPrecision(3)).toExponential()) : v) } : {}) };
}

export interface SampleGridOptions {
  /** Tiles per row (default ceil(sqrt(n))). */
  cols?: number;
  /** Screen pixels per image pixel (default 8). */
  scale?: number;
  /** Text drawn above the grid. */
  title?: string;
  /** One caption per tile, drawn under it (e.g. predicted class and confidence). */
  labels?: string[];
}

const GAP = 1;
const GAP_COLOUR = '#808080';
const GRID_TITLE_H = 30;
const GRID_LABEL_H = 18;

/** Pixel size of the PNG that `sampleGridPng` produces (exported for tests and layout). */
export function sampleGridSize(n: number, opts: SampleGridOptions = {}): { width: number; height: number; cols: number; rows: number } {
  const scale = opts.scale ?? 8;
  const cols = Math.max(1, Math.min(n, opts.cols ?? Math.ceil(Math.sqrt(n))));
  const rows = Math.max(1, Math.ceil(n / cols));
  const tile = 8 * scale;
  const labelH = opts.labels ? GRID_LABEL_H : 0;
  const titleH = opts.title ? GRID_TITLE_H : 0;
  return {
    width: cols * tile + (cols + 1) * GAP,
    height: titleH + rows * (tile + labelH) + (rows + 1) * GAP,
    cols,
    rows,
  };
}

/**
 * Draw n 8x8 images (n x 64 values, row-major, in [-1, 1]) as a grid of tiles separated by
 * 1-px grey gaps. As in the data, +1 (full ink) is white and -1 (paper) is black; values
 * outside [-1, 1] are clipped, NaN is drawn red so it cannot pass for a digit.
 */
export function sampleGridPng(images: Float64Array, n: number, opts: SampleGridOptions = {}): Buffer {
  if (!Number.isInteger(n) || n < 1) throw new Error(`sampleGridPng: n must be a positive integer, got ${n}`);
  if (images.length < n * 64) throw new Error(`sampleGridPng: need ${n * 64} values for ${n} images, got ${images.length}`);
  if (opts.labels && opts.labels.length < n) throw new Error(`sampleGridPng: ${opts.labels.length} labels for ${n} images`);
  const scale = opts.scale ?? 8;
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`sampleGridPng: scale must be a positive integer, got ${scale}`);
  const { width, height } = sampleGridSize(n, opts);
  const canvas = createCanvas(width, height);
  drawSampleGrid(canvas.getContext('2d'), images, n, opts);
  return canvas.toBuffer('image/png');
}

type Ctx2D = ReturnType<ReturnType<typeof createCanvas>['getContext']>;

/** A dark title centred on (x, y), squeezed to maxWidth. */
function centredTitle(ctx: Ctx2D, text: string, font: string, x: number, y: number, maxWidth: number): void {
  ctx.fillStyle = '#111111';
  ctx.font = font;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, x, y, maxWidth);
}

/** Draw a sample grid with its top-left corner at the context's origin (see sampleGridPng). */
function drawSampleGrid(ctx: Ctx2D, images: Float64Array, n: number, opts: SampleGridOptions): void {
  const scale = opts.scale ?? 8;
  const { width, height, cols } = sampleGridSize(n, opts);
  const tile = 8 * scale;
  const labelH = opts.labels ? GRID_LABEL_H : 0;
  const titleH = opts.title ? GRID_TITLE_H : 0;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  if (opts.title) centredTitle(ctx, opts.title, 'bold 16px sans-serif', width / 2, GRID_TITLE_H / 2, width - 4);
  // Grey gap lines between and around the tiles.
  ctx.fillStyle = GAP_COLOUR;
  ctx.fillRect(0, titleH, width, height - titleH);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.font = '14px sans-serif';
  for (let i = 0; i < n; i++) {
    const x0 = GAP + (i % cols) * (tile + GAP);
    const y0 = titleH + GAP + Math.floor(i / cols) * (tile + labelH + GAP);
    for (let p = 0; p < 64; p++) {
      const v = images[i * 64 + p];
      if (Number.isNaN(v)) {
        ctx.fillStyle = '#ff0000';
      } else {
        const g = Math.round(((Math.min(1, Math.max(-1, v)) + 1) / 2) * 255);
        ctx.fillStyle = `rgb(${g},${g},${g})`;
      }
      ctx.fillRect(x0 + (p % 8) * scale, y0 + Math.floor(p / 8) * scale, scale, scale);
    }
    if (opts.labels) {
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(x0, y0 + tile, tile, labelH);
      ctx.fillStyle = '#111111';
      ctx.fillText(opts.labels[i], x0 + tile / 2, y0 + tile + labelH / 2, tile);
    }
  }
}

/** One panel of a side-by-side figure: a sample grid with a title and caption lines under it. */
export interface GridPanel {
  images: Float64Array;
  n: number;
  title: string;
  caption?: string[];
}

const PANEL_PAD = 16;
const CAPTION_LINE_H = 20;
const HEADING_H = 36;

/** Several sample grids side by side in one PNG (e.g. the same network ideal and on a chip). */
export function sampleGridPanelsPng(panels: GridPanel[], opts: { cols?: number; scale?: number; heading?: string } = {}): Buffer {
  if (panels.length === 0) throw new Error('sampleGridPanelsPng: no panels');
  const sizes = panels.map((p) => sampleGridSize(p.n, { cols: opts.cols, scale: opts.scale, title: p.title }));
  const lines = Math.max(0, ...panels.map((p) => p.caption?.length ?? 0));
  const headingH = opts.heading ? HEADING_H : 0;
  const width = sizes.reduce((a, s) => a + s.width, 0) + PANEL_PAD * (panels.length + 1);
  const height = headingH + PANEL_PAD + Math.max(...sizes.map((s) => s.height)) + lines * CAPTION_LINE_H + PANEL_PAD;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  if (opts.heading) centredTitle(ctx, opts.heading, 'bold 18px sans-serif', width / 2, HEADING_H / 2 + 4, width - 8);
  let x = PANEL_PAD;
  panels.forEach((p, i) => {
    const y = headingH + PANEL_PAD;
    ctx.save();
    ctx.translate(x, y);
    drawSampleGrid(ctx, p.images, p.n, { cols: opts.cols, scale: opts.scale, title: p.title });
    ctx.restore();
    ctx.fillStyle = '#111111';
    ctx.font = '14px sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    (p.caption ?? []).forEach((line, k) => ctx.fillText(line, x, y + sizes[i].height + (k + 0.5) * CAPTION_LINE_H + 4, sizes[i].width));
    x += sizes[i].width + PANEL_PAD;
  });
  return canvas.toBuffer('image/png');
}
