import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCanvas, loadImage } from 'canvas';
import { describe, expect, it } from 'vitest';
import { gridTitleLines, lineChartPng, retitleGridPng, sampleGridPng, sampleGridSize } from '../src/report/figures.js';
import { axisUnit, chartConfig, siTick, spansDecade, tickFormat } from '../src/report/chart-config.js';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Check the PNG signature and read width/height from the IHDR chunk (the first chunk). */
function pngSize(buf: Buffer): { width: number; height: number } {
  expect([...buf.subarray(0, 8)]).toEqual(PNG_MAGIC);
  expect(buf.toString('ascii', 12, 16)).toBe('IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

/** Decode a PNG to RGBA through the canvas backend. */
async function decode(buf: Buffer): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  const img = await loadImage(buf);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: ctx.getImageData(0, 0, img.width, img.height).data };
}

// Set GRADEP_FIG_OUT=/tmp/somewhere to keep the rendered examples for a look.
const OUT = process.env.GRADEP_FIG_OUT;
function keep(name: string, buf: Buffer): void {
  if (!OUT) return;
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, name), buf);
}

describe('lineChartPng', () => {
  it('renders a PNG of the requested size, with error bands and log axes', () => {
    const x = [1, 2, 4, 8, 16, 32];
    const buf = lineChartPng({
      title: 'Frechet distance vs training steps',
      xLabel: 'training steps (thousands)',
      yLabel: 'FD (evaluator features)',
      series: [
        { label: 'GradEP', x, y: x.map((v) => 40 / v + 1), yErr: x.map((v) => 4 / v) },
        { label: 'backprop', x, y: x.map((v) => 30 / v + 0.5), yErr: x.map((v) => 3 / v) },
        { label: 'real vs real', x, y: x.map(() => 0.8) },
      ],
      logX: true,
      logY: true,
      width: 800,
      height: 500,
    });
    expect(pngSize(buf)).toEqual({ width: 800, height: 500 });
    keep('line.png', buf);
  });

  it('has a white, opaque background and default size 900x560', async () => {
    const buf = lineChartPng({ title: 't', xLabel: 'x (s)', yLabel: 'y (V)', series: [{ label: 'a', x: [0, 1], y: [0, 1] }] });
    const img = await decode(buf);
    expect([img.width, img.height]).toEqual([900, 560]);
    // top-left corner pixel: opaque white
    expect([...img.data.subarray(0, 4)]).toEqual([255, 255, 255, 255]);
  });

  it('rejects mismatched series', () => {
    expect(() => lineChartPng({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ label: 'a', x: [0, 1], y: [0] }] })).toThrow(/1 y values/);
  });
});

describe('sampleGridPng', () => {
  it('has the expected size: tiles of 8*scale px with 1-px gaps, title and label strips', () => {
    const imgs = new Float64Array(10 * 64);
    const plain = pngSize(sampleGridPng(imgs, 10, { cols: 5 }));
    expect(plain).toEqual({ width: 5 * 64 + 6, height: 2 * 64 + 3 });
    expect(sampleGridSize(10, { cols: 5 })).toMatchObject(plain);
    const fancy = { cols: 4, scale: 3, title: 'samples', labels: Array.from({ length: 10 }, (_, i) => String(i)) };
    const s = pngSize(sampleGridPng(imgs, 10, fancy));
    expect(s).toEqual({ width: 4 * 24 + 5, height: sampleGridSize(10, fancy).height });
    expect(s.height).toBeGreaterThan(3 * 24 + 4);
    // default: ceil(sqrt(n)) columns
    expect(pngSize(sampleGridPng(new Float64Array(64 * 64), 64))).toEqual({ width: 8 * 64 + 9, height: 8 * 64 + 9 });
  });

  it('draws +1 white, -1 black, clips out-of-range values, grey gaps', async () => {
    const white = sampleGridPng(new Float64Array(4 * 64).fill(1), 4, { cols: 2, scale: 2 });
    const black = sampleGridPng(new Float64Array(4 * 64).fill(-1), 4, { cols: 2, scale: 2 });
    expect(white.equals(black)).toBe(false);
    const over = sampleGridPng(new Float64Array(4 * 64).fill(7), 4, { cols: 2, scale: 2 });
    const w = await decode(white);
    const b = await decode(black);
    const o = await decode(over);
    const px = (im: { width: number; data: Uint8ClampedArray }, x: number, y: number) => [...im.data.subarray((y * im.width + x) * 4, (y * im.width + x) * 4 + 4)];
    expect([w.width, w.height]).toEqual([2 * 16 + 3, 2 * 16 + 3]);
    expect(px(w, 5, 5)).toEqual([255, 255, 255, 255]);
    expect(px(b, 5, 5)).toEqual([0, 0, 0, 255]);
    expect(px(o, 20, 20)).toEqual([255, 255, 255, 255]);
    expect(px(b, 0, 0)).toEqual([128, 128, 128, 255]); // gap
    expect(px(b, 17, 5)).toEqual([128, 128, 128, 255]); // gap between columns
  });

  it('maps each image pixel to a scale x scale block in row-major order', async () => {
    const img = new Float64Array(64).fill(-1);
    img[0 * 8 + 7] = 1; // top-right
    img[5 * 8 + 2] = 0; // mid grey at row 5, col 2
    const d = await decode(sampleGridPng(img, 1, { scale: 4 }));
    const at = (x: number, y: number) => d.data[(y * d.width + x) * 4];
    expect(at(1 + 7 * 4 + 2, 1 + 2)).toBe(255);
    expect(at(1 + 6 * 4 + 2, 1 + 2)).toBe(0);
    expect(at(1 + 2 * 4 + 1, 1 + 5 * 4 + 3)).toBe(128);
  });

  it('renders a labelled, titled example of the real digits', async () => {
    const { loadDigits } = await import('../src/data/optdigits.js');
    const d = loadDigits('tes');
    const n = 30;
    const buf = sampleGridPng(d.images.subarray(0, n * 64), n, {
      cols: 10,
      title: 'optdigits.tes, first 30',
      labels: Array.from(d.labels.subarray(0, n), (l) => `label ${l}`),
    });
    expect(pngSize(buf)).toEqual({ width: sampleGridSize(n, { cols: 10 }).width, height: sampleGridSize(n, { cols: 10, title: 'x', labels: [] }).height });
    keep('grid.png', buf);
  });

  it('rejects bad arguments', () => {
    expect(() => sampleGridPng(new Float64Array(64), 2)).toThrow(/need 128 values/);
    expect(() => sampleGridPng(new Float64Array(64), 0)).toThrow(/positive integer/);
  });
});

describe('chart formatting shared by the PNGs and index.html', () => {
  it('labels ticks with SI prefixes, and log axes only at 1, 2 and 5 times a power of ten', () => {
    expect(siTick(3e-8, 's')).toBe('30 ns');
    expect(siTick(2e-9, 'J')).toBe('2 nJ');
    expect(siTick(2.5e-8, '')).toBe('2.5e-8');
    expect(siTick(0.25, '')).toBe('0.25');
    expect(axisUnit('energy per generated sample (J)')).toBe('J');
    expect(axisUnit('t1 (generation horizon, flow time)')).toBe('');
    expect(axisUnit('transient.t_free (s), with measure.window linked')).toBe('s');
    const log = tickFormat('J', true);
    expect([1e-9, 2e-9, 3e-9, 5e-9, 7e-9, 1e-8].map((v) => log(v))).toEqual(['1 nJ', '2 nJ', '', '5 nJ', '', '10 nJ']);
    expect(tickFormat('s', false)(3.0000000000000004e-8)).toBe('30 ns');
    expect(tickFormat('J', false)(1.1e-23, 2, [{ value: -2e-8 }, { value: -1e-8 }, { value: 1.1e-23 }])).toBe('0');
  });

  it('puts quantities spanning more than a decade on a log axis', () => {
    expect(spansDecade([1e-9, 5e-9, 2e-8])).toBe(true);
    expect(spansDecade([1, 10])).toBe(false);
    expect(spansDecade([-1, 100])).toBe(false);
  });

  it('gives one legend entry per series: std bands have none', () => {
    const spec = { title: 't', xLabel: 'x (s)', yLabel: 'y', series: [{ label: 'a', x: [1, 2], y: [1, 2], yErr: [0.1, 0.2] }, { label: 'b', x: [1, 2], y: [2, 3] }] };
    const cfg = chartConfig(spec, { fontSize: 14, titleSize: 17, palette: ['#0072B2', '#D55E00'] }) as unknown as { data: { datasets: { label: string; fill?: unknown }[] } };
    expect(cfg.data.datasets.map((d) => d.label).filter(Boolean)).toEqual(['a', 'b']);
    expect(cfg.data.datasets.some((d) => d.fill === '-1')).toBe(true);
  });

  it('draws a categorical chart: one dot per case, no lines, std as bars', () => {
    const spec = { title: 'ablation', xLabel: 'case', yLabel: 'FD', categories: ['base circuit', 'synapse.bits = 0', 'all 12 = 0'], series: [{ label: 'transfer', x: [0, 1, 2], y: [10, 8, 3], yErr: [2, 2, 0.1] }] };
    const cfg = chartConfig(spec, { fontSize: 14, titleSize: 17, palette: ['#0072B2'] }) as unknown as { type: string; data: { labels: string[]; datasets: { type: string; showLine?: boolean; data: unknown[] }[] } };
    expect(cfg.type).toBe('bar');
    expect(cfg.data.labels).toEqual(spec.categories);
    const dots = cfg.data.datasets.find((d) => d.type === 'line');
    expect(dots?.showLine).toBe(false);
    expect(cfg.data.datasets.find((d) => d.type === 'bar')?.data[0]).toEqual([8, 12]);
    expect(pngSize(lineChartPng({ ...spec, width: 600, height: 400 }))).toEqual({ width: 600, height: 400 });
  });

  it('wraps long grid titles instead of squeezing them, and retitles an old grid keeping its tiles', async () => {
    const long = '#12 transfer, chip 0, program.write_noise_rel = 0, synapse.g_dtod = 0: FD 9.95';
    const lines = gridTitleLines(long, 323);
    expect(lines.length).toBeGreaterThan(1);
    expect(sampleGridSize(100, { cols: 10, scale: 4, title: long }).height).toBeGreaterThan(sampleGridSize(100, { cols: 10, scale: 4, title: 'short' }).height);
    const imgs = new Float64Array(4 * 64).fill(1);
    const old = sampleGridPng(imgs, 4, { cols: 2, scale: 4, title: 'old' });
    const fresh = retitleGridPng(old, long);
    const a = await decode(old);
    const b = await decode(fresh);
    expect(b.width).toBe(a.width);
    // The tile area (from the first grey gap row down) is unchanged.
    const tiles = (d: typeof a) => d.data.subarray(d.data.length - (8 * 4 * 2 + 3) * d.width * 4);
    expect(Buffer.from(tiles(b)).equals(Buffer.from(tiles(a)))).toBe(true);
  });
});
