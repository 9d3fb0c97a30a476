import { existsSync, readFileSync } from 'node:fs';
import { GradepError } from '../util/errors.js';
import { packagePath } from '../util/paths.js';

export const N_PIXELS = 64;

/** A data set of 8x8 digits, pixels scaled to [-1, 1] (v/16*2-1, as the paper), row-major, batch-major. */
export interface DigitSet {
  n: number;
  /** n x 64, values in [-1, 1]. */
  images: Float64Array;
  labels: Int32Array;
  file: string;
}

/**
 * The two UCI files. `tes` (1797 rows = scikit-learn digits) trains the generative model;
 * `tra` (3823 rows, 30 other writers) is reserved for evaluation and never reaches training.
 */
export type DigitSplit = 'tes' | 'tra';

export function digitsPath(split: DigitSplit): string {
  return packagePath('data', 'optdigits', `optdigits.${split}`);
}

/** Parse and validate a UCI optdigits file; every bad line is an error with file and line number. */
export function loadDigitsFile(file: string): DigitSet {
  if (!existsSync(file)) throw new GradepError(`${file}: data file not found`);
  const text = readFileSync(file, 'utf8');
  const lines = text.split(/\r?\n/);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li].trim();
    if (line === '') continue;
    const fields = line.split(',');
    const where = `${file}:${li + 1}`;
    if (fields.length !== N_PIXELS + 1) {
      throw new GradepError(`${where}: expected 65 comma-separated integers (64 pixels 0..16 and a label 0..9), got ${fields.length} fields`);
    }
    const px: number[] = new Array(N_PIXELS);
    for (let j = 0; j <= N_PIXELS; j++) {
      const s = fields[j].trim();
      if (!/^\d+$/.test(s)) {
        throw new GradepError(`${where}: field ${j + 1} is ${JSON.stringify(s)}, expected an integer ${j < N_PIXELS ? '0..16 (pixel)' : '0..9 (label)'}`);
      }
      const v = Number(s);
      if (j < N_PIXELS) {
        if (v > 16) throw new GradepError(`${where}: pixel ${j + 1} is ${v}, allowed 0..16`);
        px[j] = v;
      } else {
        if (v > 9) throw new GradepError(`${where}: label is ${v}, allowed 0..9`);
        labels.push(v);
      }
    }
    rows.push(px);
  }
  if (rows.length === 0) throw new GradepError(`${file}: no data rows`);
  const n = rows.length;
  const images = new Float64Array(n * N_PIXELS);
  for (let i = 0; i < n; i++) for (let j = 0; j < N_PIXELS; j++) images[i * N_PIXELS + j] = (rows[i][j] / 16) * 2 - 1;
  return { n, images, labels: Int32Array.from(labels), file };
}

const cache = new Map<DigitSplit, DigitSet>();

/** Load one of the shipped splits (cached). */
export function loadDigits(split: DigitSplit): DigitSet {
  let d = cache.get(split);
  if (!d) {
    d = loadDigitsFile(digitsPath(split));
    cache.set(split, d);
  }
  return d;
}
