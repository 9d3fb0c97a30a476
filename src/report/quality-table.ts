/** Sample-quality metrics as an aligned plain-text table (eval output and run READMEs). */
import type { QualityMetrics } from '../metrics/quality.js';

export type QualityRow = [string, QualityMetrics];

export function qualityTable(rowsIn: QualityRow[]): string {
  const keys = ['fd', 'coverage', 'recognisability', 'class_balance', 'precision', 'recall', 'copy_rate', 'sharpness_w1'] as const;
  const head = ['set', 'n', ...keys];
  const body = rowsIn.map(([name, m]) => [name, String(m.n), ...keys.map((k) => (Number.isInteger(m[k]) ? String(m[k]) : m[k].toFixed(4)))]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n');
}

/** Reference rows (real, blurred, noise, ...) named in parentheses so they read apart from sample sets. */
export function referenceTableRows(refRows: Record<string, QualityMetrics>): QualityRow[] {
  return Object.entries(refRows).map(([k, v]) => [`(${k})`, v]);
}
