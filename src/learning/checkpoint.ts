/**
 * Checkpoints: one JSON file, `format: "gradep-checkpoint/2"` (documented in docs/model.md).
 * Weights are written out x in as nested arrays (W0: n1 arrays of nx), float64 values
 * written in shortest round-trip form, so save -> load is bit-exact and resumes exactly.
 * The file is streamed to disk (never built as one string) so every size the circuit schema
 * allows saves; `gradep-checkpoint/1` files load with their unrecorded identity fields null.
 */
import { existsSync } from 'node:fs';
import { firstNonFinite, readJsonFile } from '../util/json.js';
import { type Dims, dimsOf, type Params, PARAM_NAMES, zeroParams } from '../circuit/params.js';
import { type CircuitSpec, validateCircuit } from '../circuit/spec.js';
import { GradepError } from '../util/errors.js';
import { writeFileAtomicStream } from '../util/atomic.js';
import type { AdamState } from './optimizer.js';
import { validateHyper } from './hyper.js';

export { type TrainHyper, validateHyper } from './hyper.js';
import type { TrainHyper } from './hyper.js';

export const CHECKPOINT_FORMAT = 'gradep-checkpoint/2';
/** The first format: no chip seed, engine or overrides recorded. */
export const CHECKPOINT_FORMAT_V1 = 'gradep-checkpoint/1';

/** A resume that changed the experiment (`--override-circuit`): from which step, and what changed. */
export interface OverrideRecord {
  step: number;
  fields: { field: string; was: unknown; now: unknown }[];
}

export interface Checkpoint {
  /** The format of the file it was loaded from (saving always writes CHECKPOINT_FORMAT). */
  format: string;
  created: string;
  step: number;
  /** `chip`: the realised chip's mismatch seed of in-situ (transient) training; null for ideal relaxations, or unknown in a /1 file. */
  seeds: { run: number; chip: number | null };
  /** The numerics that computed it (`js-f64`, `wasm-f32`, `wasm-f32-fma`); null: unknown (a /1 file). */
  engine: string | null;
  circuit: CircuitSpec;
  circuit_file: string;
  hyper: TrainHyper;
  params: Params;
  ema_params: Params;
  optimizer: AdamState;
  last: { flow_mse: number | null };
  overrides: OverrideRecord[];
}

const SHAPE = (d: Dims): Record<string, [number, number]> => ({ W0: [d.n1, d.nx], b0: [d.n1, 0], W1: [d.n2, d.n1], b1: [d.n2, 0], bx: [d.nx, 0] });

/** One params record as JSON text pieces; a non-finite number stops the write (JSON would make it null). */
function putParams(put: (s: string) => void, p: Params, d: Dims, file: string, field: string): void {
  const shape = SHAPE(d);
  PARAM_NAMES.forEach((k, n) => {
    const [r, c] = shape[k];
    const a = p[k];
    const bad = firstNonFinite(a, `${field}.${k}`);
    if (bad) {
      const i = Number(/\[(\d+)\]$/.exec(bad.path)![1]);
      const at = c ? `${field}.${k}[${Math.floor(i / c)}][${i % c}]` : bad.path;
      throw new GradepError(`${file}: ${at} is ${bad.value}; not written (the previous checkpoint is kept)`);
    }
    put(`${n ? ',' : '{'}"${k}":`);
    if (!c) put(`[${a.join(',')}]`);
    else for (let i = 0; i < r; i++) put(`${i ? ',' : '['}[${a.subarray(i * c, (i + 1) * c).join(',')}]`);
    if (c) put(']');
  });
  put('}');
}

export function saveCheckpoint(path: string, ck: Checkpoint): void {
  const d = dimsOf(ck.params);
  const head = {
    format: CHECKPOINT_FORMAT,
    created: ck.created,
    step: ck.step,
    seeds: ck.seeds,
    engine: ck.engine,
    circuit_file: ck.circuit_file,
    circuit: ck.circuit,
    hyper: ck.hyper,
    last: ck.last,
    overrides: ck.overrides,
  };
  const bad = firstNonFinite({ ...head, optimizer: { t: ck.optimizer.t } }, '');
  if (bad) throw new GradepError(`${path}: ${bad.path} is ${bad.value}; not written (the previous checkpoint is kept)`);
  writeFileAtomicStream(path, (put) => {
    put(JSON.stringify(head).slice(0, -1));
    put(',"params":');
    putParams(put, ck.params, d, path, 'params');
    put(',"ema_params":');
    putParams(put, ck.ema_params, d, path, 'ema_params');
    put(`,"optimizer":{"kind":"adam","t":${ck.optimizer.t},"m":`);
    putParams(put, ck.optimizer.m, d, path, 'optimizer.m');
    put(',"v":');
    putParams(put, ck.optimizer.v, d, path, 'optimizer.v');
    put('}}');
  });
}

/** Weights of the circuit's shape; `min` bounds every entry (Adam's v is >= 0). */
function paramsFromJson(raw: unknown, d: Dims, file: string, field: string, min = -Infinity): Params {
  const p = zeroParams(d);
  if (typeof raw !== 'object' || raw === null) throw new GradepError(`${file}: ${field}: missing, expected an object with W0, b0, W1, b1, bx`);
  const o = raw as Record<string, unknown>;
  const allowed = min === -Infinity ? 'a finite number' : `a finite number >= ${min}`;
  const num = (x: unknown, at: string): number => {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new GradepError(`${file}: ${at}: expected a finite number`);
    if (x < min) throw new GradepError(`${file}: ${at}: got ${x}, allowed ${allowed}`);
    return x;
  };
  for (const k of PARAM_NAMES) {
    const [r, c] = SHAPE(d)[k];
    const v = o[k];
    const what = c ? `${r} arrays of ${c} finite numbers` : `${r} finite numbers`;
    if (!Array.isArray(v) || v.length !== r) throw new GradepError(`${file}: ${field}.${k}: expected ${what}`);
    for (let i = 0; i < r; i++) {
      if (!c) {
        p[k][i] = num(v[i], `${field}.${k}[${i}]`);
        continue;
      }
      const row = v[i];
      if (!Array.isArray(row) || row.length !== c) throw new GradepError(`${file}: ${field}.${k}[${i}]: expected an array of ${c} finite numbers`);
      for (let j = 0; j < c; j++) p[k][i * c + j] = num(row[j], `${field}.${k}[${i}][${j}]`);
    }
  }
  return p;
}

const isSeed = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 2 ** 31 - 1;

/** The identity fields: seeds, engine, overrides (a /1 file has only seeds.run). */
function identityOf(raw: Record<string, unknown>, path: string, v1: boolean): Pick<Checkpoint, 'seeds' | 'engine' | 'overrides'> {
  const seeds = raw.seeds as Record<string, unknown> | undefined;
  if (!seeds || !isSeed(seeds.run)) throw new GradepError(`${path}: seeds.run: got ${JSON.stringify(seeds?.run)}, allowed an integer 0..2147483647`);
  if (v1) return { seeds: { run: seeds.run, chip: null }, engine: null, overrides: [] };
  if (seeds.chip !== null && !isSeed(seeds.chip)) throw new GradepError(`${path}: seeds.chip: got ${JSON.stringify(seeds.chip)}, allowed null or an integer 0..2147483647`);
  if (raw.engine !== null && (typeof raw.engine !== 'string' || !raw.engine)) throw new GradepError(`${path}: engine: got ${JSON.stringify(raw.engine)}, allowed null (unknown) or an engine name such as "js-f64"`);
  const ov = raw.overrides;
  const okOverride = (o: unknown) => typeof o === 'object' && o !== null && Number.isInteger((o as OverrideRecord).step) && Array.isArray((o as OverrideRecord).fields);
  if (!Array.isArray(ov) || !ov.every(okOverride)) throw new GradepError(`${path}: overrides: expected an array of { step, fields: [{ field, was, now }] }`);
  return { seeds: { run: seeds.run, chip: seeds.chip }, engine: raw.engine as string | null, overrides: ov as OverrideRecord[] };
}

/** Adam's state: t a step count, m finite, v finite and >= 0 (a negative v would make sqrt(v) NaN). */
function optimizerOf(raw: unknown, d: Dims, path: string): AdamState {
  const opt = raw as Record<string, unknown> | undefined;
  if (!opt || typeof opt !== 'object') throw new GradepError(`${path}: optimizer: expected { kind: "adam", t, m, v }`);
  if (opt.kind !== 'adam') throw new GradepError(`${path}: optimizer.kind: got ${JSON.stringify(opt.kind)}, allowed "adam"`);
  const t = opt.t;
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw new GradepError(`${path}: optimizer.t: got ${JSON.stringify(t)}, allowed an integer >= 0`);
  return { t, m: paramsFromJson(opt.m, d, path, 'optimizer.m'), v: paramsFromJson(opt.v, d, path, 'optimizer.v', 0) };
}

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new GradepError(`${path}: checkpoint not found`);
  const raw = readJsonFile(path, 'checkpoint') as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GradepError(`${path}: expected a JSON object`);
  const v1 = raw.format === CHECKPOINT_FORMAT_V1;
  if (raw.format !== CHECKPOINT_FORMAT && !v1) throw new GradepError(`${path}: format: got ${JSON.stringify(raw.format)}, allowed "${CHECKPOINT_FORMAT}" (or "${CHECKPOINT_FORMAT_V1}")`);
  // A stored circuit records what its run used: the newer step-accuracy rule applies to new runs only.
  const circuit = validateCircuit(raw.circuit, `${path} (circuit)`, { stepAccuracy: false });
  const d: Dims = { nx: circuit.layers.visible, n1: circuit.layers.hidden1, n2: circuit.layers.hidden2 };
  const step = raw.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new GradepError(`${path}: step: got ${JSON.stringify(step)}, allowed an integer >= 0`);
  const hyper = validateHyper(raw.hyper, circuit, path);
  const last = raw.last as { flow_mse?: unknown } | undefined;
  const mse = last?.flow_mse ?? null;
  if (mse !== null && (typeof mse !== 'number' || !Number.isFinite(mse) || mse < 0)) throw new GradepError(`${path}: last.flow_mse: got ${JSON.stringify(mse)}, allowed null or a finite number >= 0`);
  return {
    format: raw.format as string,
    created: String(raw.created ?? ''),
    step,
    ...identityOf(raw, path, v1),
    circuit,
    circuit_file: String(raw.circuit_file ?? ''),
    hyper,
    params: paramsFromJson(raw.params, d, path, 'params'),
    ema_params: paramsFromJson(raw.ema_params, d, path, 'ema_params'),
    optimizer: optimizerOf(raw.optimizer, d, path),
    last: { flow_mse: mse },
  };
}
