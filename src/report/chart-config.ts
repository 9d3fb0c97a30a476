/**
 * The chart.js configuration of every report chart, shared by the PNG figures (figures.ts) and
 * index.html: the functions below are embedded in the page as source (CHART_JS_SOURCE), so the
 * browser draws the same ticks, bands and categories as the PNGs. They must stay
 * self-contained: no imports, and only each other (by name) and globals.
 */
import type { ChartConfiguration } from 'chart.js';

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
  /** Axis titles, with units, e.g. "time (s)": a trailing SI unit in parentheses gives SI tick labels. */
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  logY?: boolean;
  logX?: boolean;
  /** Categorical x (e.g. the cases of an ablation): x values are indices into this list; drawn as dots with std bars, no lines. */
  categories?: string[];
  /** With categories: each series a segment of one stacked bar per category (e.g. the terms of a cost breakdown). */
  stacked?: boolean;
  width?: number;
  height?: number;
}

export interface ChartStyle {
  fontSize: number;
  titleSize: number;
  palette: string[];
}

/** A value with an SI prefix and 3 significant digits: 3e-8 with unit "s" is "30 ns", 2e-9 J is "2 nJ". */
export function siTick(v: number, unit: string): string {
  if (v === 0) return '0';
  if (!unit) {
    const a = Math.abs(v);
    return a < 1e-3 || a >= 1e6 ? Number(v.toPrecision(3)).toExponential() : String(Number(v.toPrecision(3)));
  }
  const prefixes = ['f', 'p', 'n', 'u', 'm', '', 'k', 'M', 'G', 'T'];
  const e = Math.min(4, Math.max(-5, Math.floor(Math.log10(Math.abs(v)) / 3 + 1e-9)));
  return `${Number((v / 10 ** (3 * e)).toPrecision(3))} ${prefixes[e + 5]}${unit}`;
}

/** The SI unit an axis title names in parentheses ("energy (J)", "t_free (s), with window linked"), or "" for none. */
export function axisUnit(label: string): string {
  const units = [...label.matchAll(/\(([A-Za-z]+)\)/g)].map((m) => m[1]);
  return units.find((u) => ['s', 'J', 'F', 'S', 'V', 'A', 'W', 'Ohm', 'Hz', 'm'].includes(u)) ?? '';
}

/** Tick labels: SI-prefixed; on log axes only 1, 2 and 5 times a power of ten (chart.js labels every minor tick). */
export function tickFormat(unit: string, log: boolean): (v: number | string, i?: number, ticks?: { value: number }[]) => string {
  return (v, _i?: number, ticks?: { value: number }[]) => {
    if (typeof v !== 'number') return String(v);
    // A linear axis crossing zero can put a rounding residue (1e-23 J) where 0 belongs.
    const step = ticks && ticks.length > 1 ? Math.abs(ticks[1].value - ticks[0].value) : 0;
    if (!log && step > 0 && Math.abs(v) < 1e-9 * step) return '0';
    if (!log) return siTick(Number(v.toPrecision(12)), unit);
    if (v <= 0) return '';
    const p = 10 ** Math.floor(Math.log10(v) + 1e-9);
    const mant = Math.round(v / p);
    return [1, 2, 5].includes(mant) && Math.abs(v / (mant * p) - 1) < 1e-6 ? siTick(mant * p, unit) : '';
  };
}

function bandColour(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255}, ${alpha})`;
}

/** Datasets of a line chart: per series a shaded std band (two edges, the upper filled down to the lower) and its line. */
export function lineDatasets(c: LineChartSpec, palette: string[]): object[] {
  const out: object[] = [];
  const refDash = referenceDashes(c);
  c.series.forEach((s, i) => {
    const colour = s.reference ? '#555555' : palette[i % palette.length];
    const pts = (y: number[]) => s.x.map((x, j) => ({ x, y: y[j] }));
    if (s.yErr) {
      const err = s.yErr;
      const fill = bandColour(colour, 0.18);
      // On a log axis a band reaching <= 0 cannot be drawn: its lower edge is clamped to a tenth of y.
      const lo = s.y.map((y, j) => (c.logY && y - Math.abs(err[j]) <= 0 ? y / 10 : y - Math.abs(err[j])));
      const band = { borderWidth: 0, pointRadius: 0, backgroundColor: fill, borderColor: fill, bandOf: s.label };
      out.push({ ...band, label: '', data: pts(lo), fill: false });
      out.push({ ...band, label: '', data: pts(s.y.map((y, j) => y + Math.abs(err[j]))), fill: '-1' });
    }
    const dash = s.reference ? refDash[i] : i >= palette.length ? [8, 4] : [];
    const radius = s.reference || s.x.length > 60 ? 0 : 3;
    out.push({ label: s.label, data: pts(s.y), borderColor: colour, backgroundColor: colour, borderWidth: 2.5, borderDash: dash, pointRadius: radius, fill: false, tension: 0 });
  });
  return out;
}

/** Dash pattern of each reference series (by series index): several references stay distinguishable in grey. */
export function referenceDashes(c: LineChartSpec): number[][] {
  const patterns = [[10, 6], [3, 4], [16, 4, 3, 4]];
  let k = 0;
  return c.series.map((s) => (s.reference ? patterns[k++ % patterns.length] : []));
}

/** Datasets of a categorical chart: per series a dot per category and a thin bar from mean - std to mean + std; no lines. */
export function categoryDatasets(c: LineChartSpec, palette: string[]): object[] {
  const n = (c.categories ?? []).length;
  const out: object[] = [];
  const refDash = referenceDashes(c);
  c.series.forEach((s, i) => {
    const colour = s.reference ? '#555555' : palette[i % palette.length];
    const at = (f: (j: number) => unknown) => Array.from({ length: n }, (_, k) => (s.x.indexOf(k) >= 0 ? f(s.x.indexOf(k)) : null));
    if (s.reference) {
      // A level across all categories (one category: a point, so it still shows).
      out.push({ type: 'line', label: s.label, data: Array.from({ length: n }, () => s.y[0]), borderColor: colour, backgroundColor: colour, borderDash: refDash[i], borderWidth: 2, pointRadius: n > 1 ? 0 : 4, pointStyle: 'line' });
      return;
    }
    out.push({ type: 'line', label: s.label, data: at((j) => s.y[j]), showLine: false, borderColor: colour, backgroundColor: colour, pointRadius: 6, pointHoverRadius: 8 });
    const err = s.yErr;
    if (err && err.some((e) => e > 0)) {
      const lo = (j: number) => (c.logY && s.y[j] - Math.abs(err[j]) <= 0 ? s.y[j] / 10 : s.y[j] - Math.abs(err[j]));
      const fill = bandColour(colour, 0.35);
      out.push({ type: 'bar', label: '', bandOf: s.label, data: at((j) => [lo(j), s.y[j] + Math.abs(err[j])]), backgroundColor: fill, borderColor: fill, grouped: false, barPercentage: 0.25 });
    }
  });
  return out;
}

/** Datasets of a stacked bar chart: per series one segment per category (missing categories 0). */
export function stackedDatasets(c: LineChartSpec, palette: string[]): object[] {
  const n = (c.categories ?? []).length;
  return c.series.map((s, i) => {
    const colour = palette[i % palette.length];
    return { type: 'bar', label: s.label, data: Array.from({ length: n }, (_, k) => (s.x.indexOf(k) >= 0 ? s.y[s.x.indexOf(k)] : 0)), backgroundColor: colour, borderColor: colour, stack: 'terms' };
  });
}

/** The whole chart.js configuration: title, legend of one entry per series (bands have none), axes with SI 1-2-5 ticks. */
export function chartConfig(c: LineChartSpec, style: ChartStyle): ChartConfiguration {
  const cat = Array.isArray(c.categories);
  const ticks = (label: string, log: boolean) => ({ font: { size: style.fontSize }, autoSkip: !log, callback: tickFormat(axisUnit(label), log) });
  const title = (text: string) => ({ display: true, text, font: { size: style.fontSize + 1 } });
  const x = cat
    ? { type: 'category', title: title(c.xLabel), ticks: { font: { size: style.fontSize }, autoSkip: false, maxRotation: 50 } }
    : { type: c.logX ? 'logarithmic' : 'linear', title: title(c.xLabel), ticks: ticks(c.xLabel, Boolean(c.logX)) };
  const stack = cat && Boolean(c.stacked);
  const datasets = stack ? stackedDatasets(c, style.palette) : cat ? categoryDatasets(c, style.palette) : lineDatasets(c, style.palette);
  return {
    type: cat ? 'bar' : 'line',
    data: cat ? { labels: c.categories, datasets } : { datasets },
    options: {
      responsive: false,
      animation: false,
      parsing: cat ? undefined : false,
      layout: { padding: 12 },
      plugins: {
        title: { display: true, text: c.title, font: { size: style.titleSize, weight: 'bold' } },
        legend: { display: true, position: 'top', labels: { font: { size: style.fontSize }, filter: (item: { text?: string }) => Boolean(item.text) } },
      },
      scales: { x: { ...x, stacked: stack }, y: { type: c.logY ? 'logarithmic' : 'linear', stacked: stack, title: title(c.yLabel), ticks: ticks(c.yLabel, Boolean(c.logY)) } },
    },
  } as unknown as ChartConfiguration;
}

/** The functions above as browser source, for index.html (the page calls chartConfig). */
export const CHART_JS_SOURCE = [siTick, axisUnit, tickFormat, bandColour, referenceDashes, lineDatasets, categoryDatasets, stackedDatasets, chartConfig].map(String).join('\n');

/** Whether positive values span more than a decade (they are then drawn on a log axis). */
export function spansDecade(values: number[]): boolean {
  const v = values.filter(Number.isFinite);
  return v.length > 1 && v.every((x) => x > 0) && Math.max(...v) / Math.min(...v) > 10;
}
