/** The loss curve of a training run, read from its log.jsonl (shared by demo, plot-log and report-run). */
import { readFileSync } from 'node:fs';
import type { StepRow } from '../experiments/train.js';
import { writeFileAtomic } from '../util/atomic.js';
import { lineChartPng } from './figures.js';

export function readLog(path: string): StepRow[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as StepRow);
}

export function lossFigure(logPath: string, pngPath: string, title: string): void {
  const rows = readLog(logPath);
  const png = lineChartPng({
    title,
    xLabel: 'training step',
    yLabel: 'flow-matching MSE (per pixel)',
    series: [{ label: 'free-phase flow-matching MSE', x: rows.map((r) => r.step), y: rows.map((r) => r.flow_mse) }],
    logY: true,
  });
  writeFileAtomic(pngPath, png);
}
