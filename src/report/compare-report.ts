/** The demo's comparison as one short terminal table and one PNG of side-by-side sample grids. */
import type { SampleSet } from '../experiments/compare-samples.js';
import { sampleGridPanelsPng } from './figures.js';

/** SI value with a prefix: 3.0e-5 s -> "30 us". */
export function si(v: number, unit: string): string {
  const prefixes: [number, string][] = [[1e-15, 'f'], [1e-12, 'p'], [1e-9, 'n'], [1e-6, 'u'], [1e-3, 'm'], [1, '']];
  let [scale, p] = prefixes[0];
  for (const [s, q] of prefixes) if (Math.abs(v) >= s) [scale, p] = [s, q];
  return `${Number((v / scale).toPrecision(3))} ${p}${unit}`;
}

const dash = (v: number | null, unit: string) => (v === null ? '-' : si(v, unit));

/** Aligned plain-text table: set, n, FD, recognisability, coverage, time and energy per sample. */
export function compareTable(sets: SampleSet[], real: SampleSet): string {
  const head = ['set', 'n', 'FD', 'recognisable', 'classes', 'time/sample', 'resistive energy/sample'];
  const body = [...sets, real].map((s) => [s.name, String(s.metrics.n), s.metrics.fd.toFixed(2), s.metrics.recognisability.toFixed(2), String(s.metrics.coverage), dash(s.timePerSample, 's'), dash(s.energyPerSample, 'J')]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n');
}

/** One PNG: the sample sets side by side, each captioned with its quality (and chip cost). */
export function comparePng(sets: SampleSet[], real: SampleSet, heading: string): Buffer {
  const panels = sets.map((s) => ({
    images: s.samples,
    n: s.metrics.n,
    title: s.name,
    caption: [
      `FD ${s.metrics.fd.toFixed(2)} (real digits at n = ${real.metrics.n}: ${real.metrics.fd.toFixed(2)})`,
      `recognisable ${s.metrics.recognisability.toFixed(2)} (real: ${real.metrics.recognisability.toFixed(2)})`,
      s.energyPerSample === null ? 'ideal network: no physical time' : `${dash(s.timePerSample, 's')}, ${dash(s.energyPerSample, 'J')} (resistive) per sample`,
    ],
  }));
  return sampleGridPanelsPng(panels, { scale: 4, heading });
}
