/**
 * How a sweep report draws its swept fields: each field's axis (label with unit, values as SI
 * numbers or categories), the cases of linked tuples named by what they change from the base
 * circuit, and the base circuit as a field lookup.
 */
import { fieldAt, quantityValue } from '../circuit/schema.js';
import { CIRCUIT_SCHEMA, validateCircuit } from '../circuit/spec.js';
import { resolveInput, sweepField, type SweepSpec } from '../experiments/sweep/index.js';
import { readJsonFile } from '../util/json.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How a swept field is drawn: its axis label (with unit), and each value as a number (SI, or the position of a choice). */
export interface Axis {
  label: string;
  x: (v: unknown) => number;
  show: (v: unknown) => string;
  /** Set for a categorical field (string choices, an ablation's cases): x is the index into this list. */
  categories?: string[];
}

/** The base circuit's value of a field (SI), for naming an ablation's cases by what they change. */
export type BaseValue = (field: string) => unknown;

export function axisOf(field: string, values: unknown[], base?: BaseValue): Axis {
  if (field.includes('+')) {
    // Linked fields: drawn against the first, the others named in the label.
    const [first, ...others] = field.split('+');
    const a = axisOf(first, values.map((v) => (Array.isArray(v) ? v[0] : v)));
    const at = (v: unknown) => (Array.isArray(v) ? v[0] : v);
    const firsts = values.map((v) => a.x(at(v)));
    if (a.categories || new Set(firsts).size !== firsts.length || firsts.some((x) => !Number.isFinite(x))) {
      // The first field cannot order the tuples (e.g. an ablation): one category per case.
      return caseAxis(field, values, base);
    }
    return { label: `${a.label}, with ${others.join(', ')} linked`, x: (v) => a.x(at(v)), show: (v) => a.show(at(v)) };
  }
  // 12 significant digits: "30 ns" is drawn at 3e-8, not at the parser's 3.0000000000000004e-8.
  const si = (v: unknown, unit: string) => {
    const x = quantityValue(v, unit);
    return x === null ? NaN : Number(x.toPrecision(12));
  };
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  if (field === 't1') return { label: 't1 (generation horizon, flow time)', x: (v) => si(v, ''), show };
  const f = fieldAt(CIRCUIT_SCHEMA, field) ?? sweepField(field);
  if (f && f.kind === 'number') {
    const unit = f.unit || (/\brelative\b/.test(f.doc) ? 'relative' : '');
    // Resolutions where 0 means "continuous" / "ideal": drawn to the right of the finite ones, not at 0.
    const zero = /\b0 = (continuous|ideal)\b/.exec(f.doc);
    const finiteVals = values.map((v) => si(v, f.unit)).filter((x) => Number.isFinite(x) && x !== 0);
    if (zero && values.some((v) => si(v, f.unit) === 0) && finiteVals.length > 0) {
      const at = Math.max(...finiteVals) + 2;
      return {
        label: `${field} (${zero[1]} drawn at ${at})`,
        x: (v) => (si(v, f.unit) === 0 ? at : si(v, f.unit)),
        show: (v) => (si(v, f.unit) === 0 ? zero[1] : show(v)),
      };
    }
    return {
      label: unit ? `${field} (${unit})` : field,
      x: (v) => si(v, f.unit),
      show: (v) => (typeof v === 'number' && f.unit ? `${v} ${f.unit}` : show(v)),
    };
  }
  // Choices: one category each, in the order of the vary list.
  const pos = values.map(show);
  return { label: field, x: (v) => pos.indexOf(show(v)), show, categories: pos };
}

/** Whether a linked field's value differs from the base circuit's (numbers compared in SI). */
function differs(field: string, v: unknown, base?: BaseValue): boolean {
  const b = base?.(field);
  if (b === undefined) return true;
  const f = fieldAt(CIRCUIT_SCHEMA, field);
  if (f?.kind === 'number' && typeof b === 'number') {
    const x = quantityValue(v, f.unit);
    return x === null || Math.abs(x - b) > 1e-9 * Math.max(Math.abs(x), Math.abs(b));
  }
  return JSON.stringify(v) !== JSON.stringify(b);
}

const isZero = (field: string, v: unknown) => quantityValue(v, fieldAt(CIRCUIT_SCHEMA, field)?.kind === 'number' ? (fieldAt(CIRCUIT_SCHEMA, field) as { unit: string }).unit : '') === 0;

/** The cases of a linked tuple, each named by the fields it changes from the base ("synapse.g_dtod = 0", "all 12 = 0"). */
function caseAxis(field: string, values: unknown[], base?: BaseValue): Axis {
  const names = field.split('+');
  const name = (t: unknown): string => {
    const vals = Array.isArray(t) ? t : [t];
    const diff = names.map((n, i) => [n, vals[i]] as const).filter(([n, v]) => differs(n, v, base));
    if (diff.length === 0) return 'base circuit';
    if (diff.length <= 2) return diff.map(([n, v]) => `${n} = ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
    const zero = diff.every(([n, v]) => isZero(n, v));
    const what = diff.length === names.length ? `all ${names.length}` : `${diff.length} fields`;
    return zero ? `${what} = 0` : `${what} changed`;
  };
  const pos = values.map((v) => JSON.stringify(v));
  const raw = values.map(name);
  // Two cases with the same short name keep their position, so neither hides the other.
  const cats = raw.map((l, i) => (raw.indexOf(l) !== raw.lastIndexOf(l) ? `${l} (#${i})` : l));
  return {
    label: `case (${names.length} linked fields; named by the fields that differ from the base circuit)`,
    x: (v) => pos.indexOf(JSON.stringify(v)),
    show: (v) => cats[pos.indexOf(JSON.stringify(v))] ?? JSON.stringify(v),
    categories: cats,
  };
}

/** The base circuit of the sweep (with its `set`), validated, as a field lookup; undefined where it cannot be read. */
export function baseLookup(spec: SweepSpec, file: string): BaseValue | undefined {
  try {
    const raw = readJsonFile(resolveInput(spec.base, file, 'base'), 'circuit') as Record<string, unknown>;
    for (const [f, v] of Object.entries(spec.set ?? {})) {
      const parts = f.split('.');
      let o = raw;
      for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>;
      o[parts[parts.length - 1]] = v;
    }
    const c = validateCircuit(raw, spec.base) as unknown as Record<string, unknown>;
    return (field) => field.split('.').reduce<unknown>((o, p) => (isRecord(o) ? o[p] : undefined), c);
  } catch {
    // A base circuit no longer at hand: every linked field counts as changed.
    return undefined;
  }
}
