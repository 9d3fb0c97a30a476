/** The loss curve of a training run, read from its log.jsonl (shared by demo, plot-log and report-run). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { StepRow } from '../experiments/train.js';
import { writeFileAtomic } from '../util/atomic.js';
import { GradepError } from '../util/errors.js';
import { lineChartPng } from './figures.js';

/**
 * The step rows of a log.jsonl. A line that does not parse (a run killed mid-write leaves a
 * cut last line) is skipped, with a note through `note`, as the training runner drops it on resume.
 */
export function readLog(path: string, note: (msg: string) => void = () => {}): StepRow[] {
  if (!existsSync(path)) throw new GradepError(`${path}: log file not found`);
  if (statSync(path).isDirectory()) throw new GradepError(`${path}: is a directory, allowed a log.jsonl file`);
  const rows: StepRow[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((l, i) => {
      if (!l.trim()) return;
      let r: unknown;
      try {
        r = JSON.parse(l);
      } catch {
        r = null;
      }
      const ok = typeof r === 'object' && r !== null && typeof (r as StepRow).step === 'number';
      if (ok) rows.push(r as StepRow);
      else note(`note: ${path}: line ${i + 1} is not a complete step record (cut by a killed run?), skipped`);
    });
  return rows;
}

export function lossFigure(logPath: string, pngPath: string, title: string, note?: (msg: string) => void): void {
  const rows = readLog(logPath, note);
  const png = lineChartPng({
    title,
    xLabel: 'training step',
    yLabel: 'flow-matching MSE (per pixel)',
    series: [{ label: 'free-phase flow-matching MSE', x: rows.map((r) => r.step), y: rows.map((r) => r.flow_mse) }],
    logY: true,
  });
  writeFileAtomic(pngPath, png);
}
