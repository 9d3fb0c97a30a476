/**
 * PNG figures for reports: line charts (chart.js rendered headless through chartjs-node-canvas)
 * and grids of 8x8 digit samples (drawn pixel by pixel on a canvas).
 *
 * The canvas backend is @napi-rs/canvas (Skia, prebuilt, no system libraries). package.json's
 * `overrides` installs it under the module name `canvas`, which is the name chartjs-node-canvas
 * requires and the only name that resolves here, so it is imported as 'canvas'.
 */
import type { Plugin } from 'chart.js';
import { chartConfig, type LineChartSpec, type LineSeries } from './chart-config.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { createCanvas, Image } from 'canvas';

export type { LineChartSpec, LineSeries } from './chart-config.js';

/**
 * Okabe & Ito (2008) colour-blind-safe palette (black first entry moved last), then a few
 * Tableau colours for charts with more than eight series.
 */
export const PALETTE = [
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

/** Render a chart (lines with optional +-yErr bands, or dots per category) to a PNG buffer. */
export function lineChartPng(spec: LineChartSpec): Buffer {
  const width = spec.width ?? 900;
  const height = spec.height ?? 560;
  spec.series.forEach(checkSeries);
  const config = chartConfig(spec, { fontSize: FONT_SIZE, titleSize: TITLE_FONT_SIZE, palette: PALETTE });
  return renderer(width, height).renderToBufferSync({ ...config, plugins: [whiteBackground] }, 'image/png');
}

function checkSeries(s: LineSeries): void {
  if (s.x.length !== s.y.length) {
    throw new Error(`lineChartPng: series "${s.label}" has ${s.x.length} x values but ${s.y.length} y values`);
  }
  if (s.yErr && s.yErr.length !== s.y.length) {
    throw new Error(`lineChartPng: series "${s.label}" has ${s.yErr.length} yErr values for ${s.y.length} points`);
  }
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
// Grid titles wrap onto lines of this font rather than being squeezed to the grid's width
// (a 331-px grid of 10 tiles at scale 4 is drawn at its own size in index.html: 15 px stays legible).
const GRID_TITLE_FONT = 'bold 15px sans-serif';
const GRID_TITLE_LINE_H = 20;
const GRID_TITLE_PAD = 8;
let measure: Ctx2D | undefined;

/** The title broken at spaces into lines that fit maxWidth at the grid-title font. */
export function gridTitleLines(text: string, maxWidth: number): string[] {
  measure ??= createCanvas(1, 1).getContext('2d');
  measure.font = GRID_TITLE_FONT;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && measure.measureText(next).width > maxWidth) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  return [...lines, line];
}

function gridTitleHeight(title: string | undefined, width: number): number {
  return title ? GRID_TITLE_PAD + gridTitleLines(title, width - 8).length * GRID_TITLE_LINE_H : 0;
}

function drawGridTitle(ctx: Ctx2D, title: string, width: number): void {
  gridTitleLines(title, width - 8).forEach((l, k) => centredTitle(ctx, l, GRID_TITLE_FONT, width / 2, GRID_TITLE_PAD / 2 + (k + 0.5) * GRID_TITLE_LINE_H, width - 4));
}
const GRID_LABEL_H = 18;

/** Pixel size of the PNG that `sampleGridPng` produces (exported for tests and layout). */
export function sampleGridSize(n: number, opts: SampleGridOptions = {}): { width: number; height: number; cols: number; rows: number } {
  const scale = opts.scale ?? 8;
  const cols = Math.max(1, Math.min(n, opts.cols ?? Math.ceil(Math.sqrt(n))));
  const rows = Math.max(1, Math.ceil(n / cols));
  const tile = 8 * scale;
  const labelH = opts.labels ? GRID_LABEL_H : 0;
  const width = cols * tile + (cols + 1) * GAP;
  const titleH = gridTitleHeight(opts.title, width);
  return {
    width,
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
  const titleH = gridTitleHeight(opts.title, width);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  if (opts.title) drawGridTitle(ctx, opts.title, width);
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

/**
 * A grid PNG drawn before (its samples no longer at hand) under a new title: everything above
 * the first grey gap row (the old title strip) is replaced by the wrapped title.
 */
export function retitleGridPng(png: Buffer, title: string): Buffer {
  // Image decodes a buffer synchronously (@napi-rs/canvas), so reports stay synchronous.
  const img = new Image();
  img.src = png;
  const probe = createCanvas(img.width, img.height);
  const pctx = probe.getContext('2d');
  pctx.drawImage(img, 0, 0);
  const col = pctx.getImageData(0, 0, 1, img.height).data;
  let top = 0;
  while (top < img.height && !(col[top * 4] === 128 && col[top * 4 + 1] === 128 && col[top * 4 + 2] === 128)) top++;
  if (top === img.height) return png;
  const titleH = gridTitleHeight(title, img.width);
  const canvas = createCanvas(img.width, titleH + img.height - top);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  drawGridTitle(ctx, title, img.width);
  ctx.drawImage(img, 0, top, img.width, img.height - top, 0, titleH, img.width, img.height - top);
  return canvas.toBuffer('image/png');
}
