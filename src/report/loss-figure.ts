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

export interface LossFigureOptions {
  note?: (msg: string) => void;
  /** One legend label per log (default: the free-phase flow-matching MSE, or the file name). */
  labels?: string[];
  /** x axis: the training step (default) or the cumulative wall time in seconds (the logs' `seconds`). */
  x?: 'step' | 'seconds';
}

/** Loss curves of one or more training logs on one figure (several logs compare runs). */
export function lossFigure(logPath: string | string[], pngPath: string, title: string, opts: LossFigureOptions | ((msg: string) => void) = {}): void {
  const o: LossFigureOptions = typeof opts === 'function' ? { note: opts } : opts;
  const paths = Array.isArray(logPath) ? logPath : [logPath];
  if (o.labels && o.labels.length !== paths.length) throw new GradepError(`--label: got ${o.labels.length} labels for ${paths.length} logs, allowed one per --log`);
  const series = paths.map((path, i) => {
    const rows = readLog(path, o.note);
    let t = 0;
    const x = o.x === 'seconds' ? rows.map((r) => (t += r.seconds)) : rows.map((r) => r.step);
    const label = o.labels?.[i] ?? (paths.length === 1 ? 'free-phase flow-matching MSE' : path);
    return { label, x, y: rows.map((r) => r.flow_mse) };
  });
  const png = lineChartPng({
    title,
    xLabel: o.x === 'seconds' ? 'wall time (s, sum of the per-step times)' : 'training step',
    yLabel: 'flow-matching MSE (per pixel)',
    series,
    logY: true,
  });
  writeFileAtomic(pngPath, png);
}
