/** Small CLI helpers: reading user JSON inputs with one-line errors, number options. */
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
