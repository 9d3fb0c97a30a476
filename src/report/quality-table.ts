/** Sample-quality metrics as an aligned plain-text table (eval output and run READMEs). */
import type { QualityMetrics } from '../metrics/quality.js';

export type QualityRow = [string, QualityMetrics];

export function qualityTable(rowsIn: QualityRow[]): string {
  const keys = ['fd', 'coverage', 'recognisability', 'class_balance', 'precision', 'recall', 'copy_rate', 'sharpness_w1'] as const;
  // fd_inf: FD extrapolated to infinite n (comparable across n; '-' below its minimum n).
  const head = ['set', 'n', 'fd', 'fd_inf', ...keys.slice(1)];
  const cell = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(4));
  const body = rowsIn.map(([name, m]) => [name, String(m.n), cell(m.fd), m.fd_inf == null ? '-' : cell(m.fd_inf), ...keys.slice(1).map((k) => cell(m[k]))]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n');
}

/**
 * Per-class frequencies (% of samples the evaluator assigns to each digit; the data hold
 * 10% each) as an aligned table; null when no row carries them.
 */
export function classFrequencyTable(rowsIn: QualityRow[]): string | null {
  const rows = rowsIn.filter(([, m]) => m.class_freq?.length === 10);
  if (rows.length === 0) return null;
  const head = ['set', ...Array.from({ length: 10 }, (_, k) => String(k))];
  const body = rows.map(([name, m]) => [name, ...(m.class_freq as number[]).map((f) => (100 * f).toFixed(1))]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
}

/** Reference rows (real, blurred, noise, ...) named in parentheses so they read apart from sample sets. */
export function referenceTableRows(refRows: Record<string, QualityMetrics>): QualityRow[] {
  return Object.entries(refRows).map(([k, v]) => [`(${k})`, v]);
}
