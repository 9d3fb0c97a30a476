/** Small CLI helpers: reading user JSON inputs with one-line errors, number options, output paths. */
import { closeSync, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { GradepError } from '../util/errors.js';

export { readJsonFile as readJson } from '../util/json.js';

/** A JSON array of `dim`-vectors of finite numbers, flattened. */
export function vectors(raw: unknown, dim: number, file: string, field: string): { n: number; data: Float64Array } {
  if (!Array.isArray(raw) || raw.length === 0) throw new GradepError(`${file}: ${field}: expected a non-empty array of ${dim}-number arrays`);
  const data = new Float64Array(raw.length * dim);
  raw.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== dim) throw new GradepError(`${file}: ${field}[${i}]: expected an array of ${dim} finite numbers`);
    row.forEach((v, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new GradepError(`${file}: ${field}[${i}][${j}]: got ${JSON.stringify(v)}, allowed a finite number`);
      data[i * dim + j] = v;
    });
  });
  return { n: raw.length, data };
}

export function rows(a: Float64Array, dim: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < a.length / dim; i++) out.push(Array.from(a.subarray(i * dim, (i + 1) * dim)));
  return out;
}

function numberParser(name: string, check: (v: number) => boolean, allowed: string) {
  return (s: string): number => {
    const v = Number(s);
    if (s.trim() === '' || !check(v)) throw new InvalidArgumentError(`${name}: got ${JSON.stringify(s)}, allowed ${allowed}`);
    return v;
  };
}

export const intIn = (name: string, lo: number, hi: number) => numberParser(name, (v) => Number.isInteger(v) && v >= lo && v <= hi, `an integer ${lo}..${hi}`);
export const posNum = (name: string, hi = Infinity) => numberParser(name, (v) => Number.isFinite(v) && v > 0 && v <= hi, hi === Infinity ? 'a number > 0' : `a number in (0, ${hi}]`);

/**
 * Check an output path before any work, so a long run does not fail at its last write: a
 * `file` must not be a directory, a `dir` must not be a file, and the nearest existing
 * folder on the way must be a directory in which a file can be created (probed, not
 * guessed from mode bits: root passes access checks on read-only mounts such as /proc).
 */
export function checkOutPath(flag: string, path: string, kind: 'file' | 'dir'): void {
  const p = resolve(path);
  const bad = (why: string) => new GradepError(`${flag}: ${path}: ${why}`);
  if (existsSync(p)) {
    const isDir = statSync(p).isDirectory();
    if (kind === 'file' && isDir) throw bad('is a directory, allowed a file path');
    if (kind === 'dir' && !isDir) throw bad('exists and is not a directory, allowed a directory');
  }
  let folder = kind === 'dir' && existsSync(p) ? p : dirname(p);
  while (!existsSync(folder)) folder = dirname(folder);
  if (!statSync(folder).isDirectory()) throw bad(`${folder} is a file, allowed a path whose folders are directories`);
  const probe = join(folder, `.gradep-probe-${process.pid}.tmp`);
  try {
    closeSync(openSync(probe, 'w'));
  } catch (e) {
    throw bad(`cannot create files in ${folder} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  rmSync(probe, { force: true });
}
