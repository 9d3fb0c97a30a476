/**
 * A small declarative schema for circuit and experiment files: every field has a type, a
 * documented unit and default, and an allowed range. Validation turns a parsed JSON value
 * into a complete record (defaults filled in) or throws a one-line GradepError naming the
 * file, the field path and what is allowed. Quantities may be written with units
 * ("100 fF", "25 uS", "300 K"); they are converted with mathjs to the field's SI unit.
 */
import { mathjs } from '../util/mathjs.js';
import { GradepError } from '../util/errors.js';

export type FieldSpec = NumberField | EnumField | StringField | ObjectField | NumbersField | EnumsField;

/** A non-empty list of numbers, each checked like a NumberField. */
export interface NumbersField extends Omit<NumberField, 'kind' | 'default'> {
  kind: 'numbers';
  default: number[];
}

/** A non-empty list of distinct choices. */
export interface EnumsField {
  kind: 'enums';
  doc: string;
  values: readonly string[];
  default: string[];
}

export interface NumberField {
  kind: 'number';
  doc: string;
  /** SI unit the value is stored in ('' = dimensionless). Strings with units are converted to it. */
  unit: string;
  default: number;
  min?: number;
  max?: number;
  /** Exclusive bounds. */
  gt?: number;
  lt?: number;
  integer?: boolean;
}

export interface EnumField {
  kind: 'enum';
  doc: string;
  values: readonly string[];
  default: string;
}

export interface StringField {
  kind: 'string';
  doc: string;
  default: string;
  /** When set, the value must equal it (format tags). */
  exact?: string;
}

export interface ObjectField {
  kind: 'object';
  doc: string;
  fields: Record<string, FieldSpec>;
}

export function describeRange(f: NumberField): string {
  const parts: string[] = [];
  const u = f.unit ? ` ${f.unit}` : '';
  if (f.min !== undefined) parts.push(`>= ${f.min}${u}`);
  if (f.gt !== undefined) parts.push(`> ${f.gt}${u}`);
  if (f.max !== undefined) parts.push(`<= ${f.max}${u}`);
  if (f.lt !== undefined) parts.push(`< ${f.lt}${u}`);
  const kind = f.integer ? 'an integer' : f.unit ? `a number in ${f.unit} or a quantity string such as "1.5 ${f.unit}"` : 'a number';
  return parts.length ? `${kind} ${parts.join(' and ')}` : kind;
}

function fail(file: string, path: string, got: unknown, allowed: string): never {
  const shown = JSON.stringify(got);
  throw new GradepError(`${file}: ${path}: got ${shown === undefined ? 'nothing' : shown}, allowed ${allowed}`);
}

/** Parse one number field value (a number, or a quantity string converted to the field's unit); throws the one-line error. */
export function parseNumber(file: string, path: string, raw: unknown, f: NumberField): number {
  let v: number;
  if (typeof raw === 'number') v = raw;
  else if (typeof raw === 'string' && f.unit) {
    try {
      v = mathjs().unit(raw.trim()).toNumber(f.unit);
    } catch {
      fail(file, path, raw, describeRange(f));
    }
  } else fail(file, path, raw, describeRange(f));
  const ok =
    Number.isFinite(v) &&
    (!f.integer || Number.isInteger(v)) &&
    (f.min === undefined || v >= f.min) &&
    (f.max === undefined || v <= f.max) &&
    (f.gt === undefined || v > f.gt) &&
    (f.lt === undefined || v < f.lt);
  if (!ok) fail(file, path, raw, describeRange(f));
  return v;
}

/**
 * A value as its SI number in `unit`: numbers as they are, quantity strings ("30 ns")
 * converted with the same parser as validation; null when it is neither.
 */
export function quantityValue(raw: unknown, unit: string): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw !== 'string') return null;
  if (!unit) {
    const v = Number(raw.trim());
    return raw.trim() !== '' && Number.isFinite(v) ? v : null;
  }
  try {
    const v = mathjs().unit(raw.trim()).toNumber(unit);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** The leaf field at a dotted path ("synapse.g_dtod") of an object schema, or undefined. */
export function fieldAt(spec: ObjectField, path: string): Exclude<FieldSpec, ObjectField> | undefined {
  let f: FieldSpec = spec;
  for (const part of path.split('.')) {
    if (f.kind !== 'object' || !Object.prototype.hasOwnProperty.call(f.fields, part)) return undefined;
    f = f.fields[part];
  }
  return f.kind === 'object' ? undefined : f;
}

/** Validate `raw` against an object schema; returns the full record with defaults filled in. */
export function validateObject(file: string, path: string, raw: unknown, spec: ObjectField): Record<string, unknown> {
  const where = path || '(top level)';
  if (raw === undefined) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, where, raw, `an object with fields ${Object.keys(spec.fields).join(', ')}`);
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    // Own properties only: `in` would accept inherited names such as "constructor" or "toString".
    if (!Object.hasOwn(spec.fields, k)) {
      throw new GradepError(`${file}: ${path ? `${path}.` : ''}${k}: unknown field, allowed fields here: ${Object.keys(spec.fields).join(', ')}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(spec.fields)) {
    const p = path ? `${path}.${k}` : k;
    const v = Object.hasOwn(obj, k) ? obj[k] : undefined;
    switch (f.kind) {
      case 'object':
        out[k] = validateObject(file, p, v, f);
        break;
      case 'number':
        out[k] = v === undefined ? f.default : parseNumber(file, p, v, f);
        break;
      case 'enum':
        if (v === undefined) out[k] = f.default;
        else if (typeof v !== 'string' || !f.values.includes(v)) fail(file, p, v, `one of ${f.values.map((s) => JSON.stringify(s)).join(', ')}`);
        else out[k] = v;
        break;
      case 'numbers':
        if (v === undefined) out[k] = f.default;
        else if (!Array.isArray(v) || v.length === 0) fail(file, p, v, `a non-empty list, each ${describeRange({ ...f, kind: 'number', default: 0 })}`);
        else out[k] = v.map((x, i) => parseNumber(file, `${p}[${i}]`, x, { ...f, kind: 'number', default: 0 }));
        break;
      case 'enums':
        if (v === undefined) out[k] = f.default;
        else if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || !f.values.includes(x)) || new Set(v).size !== v.length) {
          fail(file, p, v, `a non-empty list of distinct values from ${f.values.map((x) => JSON.stringify(x)).join(', ')}`);
        } else out[k] = v;
        break;
      case 'string':
        if (v === undefined) {
          if (f.exact !== undefined) fail(file, p, v, JSON.stringify(f.exact));
          out[k] = f.default;
        } else if (typeof v !== 'string' || (f.exact !== undefined && v !== f.exact)) fail(file, p, v, f.exact !== undefined ? JSON.stringify(f.exact) : 'a string');
        else out[k] = v;
        break;
    }
  }
  return out;
}

/** Markdown table of every field: path, unit, default, allowed range, meaning. */
export function schemaTable(spec: ObjectField, prefix = ''): string[] {
  const rows: string[] = [];
  for (const [k, f] of Object.entries(spec.fields)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (f.kind === 'object') rows.push(...schemaTable(f, p));
    else if (f.kind === 'number') rows.push(`| \`${p}\` | ${f.unit || '-'} | ${f.default} | ${describeRange(f)} | ${f.doc} |`);
    else if (f.kind === 'numbers') rows.push(`| \`${p}\` | ${f.unit || '-'} | ${JSON.stringify(f.default)} | list, each ${describeRange({ ...f, kind: 'number', default: 0 })} | ${f.doc} |`);
    else if (f.kind === 'enums') rows.push(`| \`${p}\` | - | ${JSON.stringify(f.default)} | list of ${f.values.map((v) => JSON.stringify(v)).join(', ')} | ${f.doc} |`);
    else if (f.kind === 'enum') rows.push(`| \`${p}\` | - | ${JSON.stringify(f.default)} | ${f.values.map((v) => JSON.stringify(v)).join(', ')} | ${f.doc} |`);
    else rows.push(`| \`${p}\` | - | ${JSON.stringify(f.exact ?? f.default)} | string | ${f.doc} |`);
  }
  return rows;
}
