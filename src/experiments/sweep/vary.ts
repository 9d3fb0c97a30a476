/**
 * The vary grammar: per field a list of values, a grid or random draws; linked fields ("a+b")
 * move together as tuples. Also the `set` object, whose keys are circuit field paths too.
 */
import { type NumberField, fieldAt, parseNumber } from '../../circuit/schema.js';
import { CIRCUIT_SCHEMA } from '../../circuit/spec.js';
import { GradepError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { isObject, show } from './check.js';
import { parseSweepValue, sweepField } from './spec.js';

/** Grid and random values: 12 significant digits (deterministic, and no 0.30000000000000004 in tables). */
const tidy = (v: number) => Number(v.toPrecision(12));

/** The number field a vary key stands for (a numeric sweep or circuit field), null for choice fields. */
function numericField(key: string): NumberField | null {
  const f = sweepField(key) ?? fieldAt(CIRCUIT_SCHEMA, key);
  return f && f.kind === 'number' ? f : null;
}

/** A vary or set key must name a leaf field of the circuit (or, for vary, a sweep field: t1, chip_seed, generation.<field>). */
function checkFieldPath(file: string, where: string, key: string, allowSweep: boolean): void {
  if (sweepField(key)) {
    if (allowSweep) return;
    throw new GradepError(`${file}: ${where}: got ${JSON.stringify(key)}, allowed a circuit field path (${key} is a sweep field: write it at the top level, or vary it)`);
  }
  if (!fieldAt(CIRCUIT_SCHEMA, key)) {
    const more = allowSweep ? ', or a sweep field "t1", "chip_seed" or "generation.<field>"' : '';
    throw new GradepError(`${file}: ${where}: got ${JSON.stringify(key)}, allowed a circuit field path such as "synapse.g_dtod" or "transient.t_free"${more} (gradep circuit --schema lists them)`);
  }
}

const VARY_FORMS = 'a non-empty list of values, { "grid": [low, high, n], "scale": "linear" | "log" }, { "random": "uniform" | "loguniform", "low": a, "high": b, "n": k, "seed": s } or { "random": "normal", "mean": m, "std": s, "n": k, "seed": s }';

function onlyFields(file: string, where: string, o: Record<string, unknown>, allowed: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new GradepError(`${file}: ${where}.${k}: unknown field, allowed fields here: ${allowed.join(', ')}`);
}

function finite(file: string, where: string, v: unknown, allowed = 'a finite number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed ${allowed}`);
  return v;
}

function intIn(file: string, where: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed an integer ${lo}..${hi}`);
  return v;
}

/**
 * The values of one vary entry (`where` = "vary.<key>" or "quick.vary.<key>"): a list as
 * written, or a grid / random draws in the field's SI unit. Random draws come from
 * Rng(seed, "vary", key), so the same file always gives the same values.
 */
export function expandVary(file: string, where: string, key: string, v: unknown): unknown[] {
  if (key.includes('+')) return linkedValues(file, where, key, v);
  if (Array.isArray(v)) return listValues(file, where, key, v);
  if (!isObject(v)) throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed ${VARY_FORMS}`);
  const f = numericField(key);
  if (!f) throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed a list of values (grids and random draws need a numeric field; ${key} is a choice)`);
  let values: number[];
  if ('grid' in v) values = gridValues(file, where, v);
  else if ('random' in v) values = randomValues(file, where, key, v);
  else throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed ${VARY_FORMS}`);
  // Every value must fit the field (in its SI unit): a grid end or a normal tail out of range fails here.
  values.forEach((x, i) => parseNumber(file, `${where}[${i}]`, x, f));
  return values;
}

function linkedValues(file: string, where: string, key: string, v: unknown): unknown[] {
  // Linked fields ("a+b"): one list of tuples, the fields move together (e.g. a node
  // capacitance with the solver step and phase durations scaled to its time constant).
  const parts = key.split('+');
  const allowed = `a non-empty list of [${parts.join(', ')}] tuples (${parts.length} numbers or quantity strings each)`;
  if (!Array.isArray(v) || v.length === 0) throw new GradepError(`${file}: ${where}: got ${show(v)}, allowed ${allowed}`);
  v.forEach((t, i) => {
    if (!Array.isArray(t) || t.length !== parts.length || t.some((x) => typeof x !== 'number' && typeof x !== 'string')) throw new GradepError(`${file}: ${where}[${i}]: got ${show(t)}, allowed ${allowed}`);
    // Sweep fields are no circuit fields: their values are checked here.
    parts.forEach((part, j) => {
      if (sweepField(part)) parseSweepValue(file, `${where}[${i}][${j}] (${part})`, part, t[j]);
    });
  });
  return v;
}

function listValues(file: string, where: string, key: string, v: unknown[]): unknown[] {
  if (v.length === 0) throw new GradepError(`${file}: ${where}: got [], allowed ${VARY_FORMS}`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' && typeof x !== 'string') throw new GradepError(`${file}: ${where}[${i}]: got ${show(x)}, allowed a number or a string (a quantity with its unit such as "30 ns", or a choice)`);
  });
  // Sweep fields are no circuit fields: check their values here (circuit values are checked by the circuit schema).
  if (sweepField(key)) {
    v.forEach((x, i) => parseSweepValue(file, `${where}[${i}]`, key, x));
    return v;
  }
  // Check each value here, so an error names its entry (vary.<field>[i]) rather than the circuit field.
  const f = numericField(key);
  const choice = fieldAt(CIRCUIT_SCHEMA, key);
  if (f) v.forEach((x, i) => parseNumber(file, `${where}[${i}]`, x, f));
  else if (choice?.kind === 'enum') {
    v.forEach((x, i) => {
      if (!choice.values.includes(x as string)) throw new GradepError(`${file}: ${where}[${i}]: got ${show(x)}, allowed one of ${choice.values.map((c) => JSON.stringify(c)).join(', ')}`);
    });
  }
  return v;
}

/** { "grid": [low, high, n], "scale" }: n points, both ends exact, the inner ones tidied. */
function gridValues(file: string, where: string, v: Record<string, unknown>): number[] {
  onlyFields(file, where, v, ['grid', 'scale']);
  const g = v.grid;
  const gridAllowed = '[low, high, n]: numbers low < high and an integer n of 2..1000 (n points, both ends included)';
  if (!Array.isArray(g) || g.length !== 3) throw new GradepError(`${file}: ${where}.grid: got ${show(g)}, allowed ${gridAllowed}`);
  const lo = finite(file, `${where}.grid`, g[0], gridAllowed);
  const hi = finite(file, `${where}.grid`, g[1], gridAllowed);
  if (!(lo < hi) || typeof g[2] !== 'number' || !Number.isInteger(g[2]) || g[2] < 2 || g[2] > 1000) throw new GradepError(`${file}: ${where}.grid: got ${show(g)}, allowed ${gridAllowed}`);
  const n = g[2];
  const scale = v.scale ?? 'linear';
  if (scale !== 'linear' && scale !== 'log') throw new GradepError(`${file}: ${where}.scale: got ${show(scale)}, allowed "linear" or "log"`);
  if (scale === 'log' && !(lo > 0)) throw new GradepError(`${file}: ${where}.grid: got ${show(g)}, allowed low > 0 with "scale": "log"`);
  return Array.from({ length: n }, (_, i) => {
    if (i === 0) return lo;
    if (i === n - 1) return hi;
    return tidy(scale === 'log' ? lo * (hi / lo) ** (i / (n - 1)) : lo + ((hi - lo) * i) / (n - 1));
  });
}

/** { "random": ... }: n draws from Rng(seed, "vary", key). */
function randomValues(file: string, where: string, key: string, v: Record<string, unknown>): number[] {
  const kind = v.random;
  if (kind !== 'uniform' && kind !== 'loguniform' && kind !== 'normal') throw new GradepError(`${file}: ${where}.random: got ${show(kind)}, allowed "uniform", "loguniform" or "normal"`);
  const n = intIn(file, `${where}.n`, v.n, 1, 1000);
  const seed = v.seed === undefined ? 0 : intIn(file, `${where}.seed`, v.seed, 0, 2 ** 31 - 1);
  const r = new Rng(seed, 'vary', key);
  if (kind === 'normal') {
    onlyFields(file, where, v, ['random', 'mean', 'std', 'n', 'seed']);
    const mean = finite(file, `${where}.mean`, v.mean);
    const std = finite(file, `${where}.std`, v.std, 'a finite number > 0');
    if (!(std > 0)) throw new GradepError(`${file}: ${where}.std: got ${show(v.std)}, allowed a finite number > 0`);
    return Array.from({ length: n }, () => tidy(mean + std * r.normal()));
  } else {
    onlyFields(file, where, v, ['random', 'low', 'high', 'n', 'seed']);
    const lo = finite(file, `${where}.low`, v.low, kind === 'loguniform' ? 'a finite number > 0' : 'a finite number');
    const hi = finite(file, `${where}.high`, v.high, `a finite number > low (${lo})`);
    if (!(hi > lo)) throw new GradepError(`${file}: ${where}.high: got ${show(v.high)}, allowed a finite number > low (${lo})`);
    if (kind === 'loguniform' && !(lo > 0)) throw new GradepError(`${file}: ${where}.low: got ${show(v.low)}, allowed a finite number > 0 with "random": "loguniform"`);
    return Array.from({ length: n }, () => {
      const u = r.uniform();
      return tidy(kind === 'loguniform' ? Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * u) : lo + (hi - lo) * u);
    });
  }
}

export function checkVaryObject(file: string, where: string, vary: unknown, allowEmpty: boolean): Record<string, unknown> {
  if (!isObject(vary) || (!allowEmpty && Object.keys(vary).length === 0)) {
    throw new GradepError(`${file}: ${where}: got ${show(vary)}, allowed an object mapping circuit fields (or "t1", "chip_seed", "generation.<field>") to values, e.g. { "synapse.g_dtod": [0, 0.05] } or { "synapse.g_dtod": { "grid": [0, 0.2, 5] } }`);
  }
  for (const k of Object.keys(vary)) {
    const parts = k.split('+');
    if (parts.length > 1 && new Set(parts).size !== parts.length) throw new GradepError(`${file}: ${where}.${k}: a field is linked twice, allowed distinct circuit field paths joined by "+"`);
    for (const part of parts) checkFieldPath(file, `${where}.${k}`, part, true);
  }
  const fields = Object.keys(vary).flatMap((k) => k.split('+'));
  const dup = fields.find((f, i) => fields.indexOf(f) !== i);
  if (dup) throw new GradepError(`${file}: ${where}: ${dup} is varied twice, allowed each circuit field in one vary entry`);
  return vary;
}

export function checkSet(file: string, set: unknown): Record<string, unknown> {
  if (set === undefined) return {};
  if (!isObject(set)) throw new GradepError(`${file}: set: got ${show(set)}, allowed an object mapping circuit field paths to values, e.g. { "noise.temperature": 0 }`);
  for (const [k, v] of Object.entries(set)) {
    checkFieldPath(file, `set.${k}`, k, false);
    if (typeof v !== 'number' && typeof v !== 'string') throw new GradepError(`${file}: set.${k}: got ${show(v)}, allowed a number or a string (a quantity with its unit such as "30 ns", or a choice)`);
  }
  return set;
}
