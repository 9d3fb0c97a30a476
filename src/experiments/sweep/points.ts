/** Sweep points: the grid x actions x chip seeds, each keyed by a hash of what its result depends on. */
import { createHash } from 'node:crypto';
import { type NumberField, parseNumber } from '../../circuit/schema.js';
import { type CircuitSpec, validateCircuit } from '../../circuit/spec.js';
import { GradepError } from '../../util/errors.js';
import { readJsonFile } from '../../util/json.js';
import { show } from './check.js';
import { checkpointId, currentKeys, type PointKeys } from './keys.js';
import { BUDGET_FIELDS, resolveInput, type SweepAction, type SweepSpec } from './spec.js';

export interface SweepPoint {
  index: number;
  key: string;
  overrides: Record<string, unknown>;
  action: SweepAction;
  chip_seed: number;
  /** Generation horizon of this point (vary.t1 or the sweep's t1). */
  t1: number;
  circuit: CircuitSpec;
}

function setPath(obj: Record<string, unknown>, path: string, v: unknown): void {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof o[p] !== 'object' || o[p] === null) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = v;
}

/** What a point's result depends on, per action: its key is a hash of this. */
function pointIdentity(spec: SweepSpec, circuit: CircuitSpec, action: SweepAction, chip_seed: number, t1: number, ck: unknown): unknown {
  const id = actionIdentity(spec, circuit, action, chip_seed, t1, ck);
  // Results depend on the engine (float32 kernels vs the float64 reference): the reference's points get their own keys.
  return spec.engine === 'js' ? { ...(id as object), engine: 'js' } : id;
}

/** `ck` stands for the checkpoint: its path (key version 1) or its contents' hash (version 2, keys.ts). */
function actionIdentity(spec: SweepSpec, circuit: CircuitSpec, action: SweepAction, chip_seed: number, t1: number, ck: unknown): unknown {
  switch (action) {
    case 'insitu':
    case 'transfer':
      // Unchanged from the first format, so existing results stay valid.
      return { circuit, action, chip_seed, steps: spec.steps, batch: spec.batch, samples: spec.samples, t1, checkpoint: action === 'transfer' ? ck : null };
    case 'finetune':
      return { circuit, action, chip_seed, finetune_steps: spec.finetune_steps, finetune_lr: spec.finetune_lr, batch: spec.batch, samples: spec.samples, t1, checkpoint: ck };
    case 'gradient':
      return { circuit, action, chip_seed, batch: spec.batch, gradient_batches: spec.gradient_batches, checkpoint: ck };
  }
}

/** All points in index order: grid (last field fastest) x actions x chip seeds; keys made as `keys` says (default: a new run's). */
export function sweepPoints(spec: SweepSpec, file: string, keys: PointKeys = currentKeys(spec, file)): SweepPoint[] {
  const ck = checkpointId(spec, keys);
  const baseFile = resolveInput(spec.base, file, 'base');
  const baseRaw = readJsonFile(baseFile, 'circuit') as Record<string, unknown>;
  const set = spec.set ?? {};
  if (Object.keys(set).length > 0) {
    for (const [f, v] of Object.entries(set)) setPath(baseRaw, f, v);
    validateCircuit(baseRaw, `${file} (set on ${spec.base})`);
  }
  const fields = Object.keys(spec.vary);
  const combos: Record<string, unknown>[] = [{}];
  for (const f of fields) {
    const next: Record<string, unknown>[] = [];
    for (const c of combos) for (const v of spec.vary[f]) next.push({ ...c, [f]: v });
    combos.splice(0, combos.length, ...next);
  }
  const points: SweepPoint[] = [];
  const seen = new Map<string, SweepPoint>();
  for (const overrides of combos) {
    const raw = structuredClone(baseRaw);
    for (const [f, v] of Object.entries(overrides)) {
      if (f === 't1') continue;
      if (f.includes('+')) f.split('+').forEach((part, i) => setPath(raw, part, (v as unknown[])[i]));
      else setPath(raw, f, v);
    }
    // Errors name the sweep file and the overridden field path.
    const circuit = validateCircuit(raw, `${file} (vary on ${spec.base})`);
    const t1 = 't1' in overrides ? parseNumber(file, 'vary.t1', overrides.t1, BUDGET_FIELDS.t1 as NumberField) : spec.t1;
    for (const action of spec.actions) {
      for (const chip_seed of spec.chip_seeds) {
        const key = createHash('sha256').update(JSON.stringify(pointIdentity(spec, circuit, action, chip_seed, t1, ck))).digest('hex').slice(0, 16);
        const pt: SweepPoint = { index: points.length, key, overrides, action, chip_seed, t1, circuit };
        const twin = seen.get(key);
        if (twin) {
          throw new GradepError(
            `${file}: vary: points #${twin.index} ${show(twin.overrides)} and #${pt.index} ${show(overrides)} (${action}, chip ${chip_seed}) are the same run, allowed distinct values${action === 'gradient' && 't1' in overrides ? ' (t1 has no effect on "gradient" points: vary t1 in a sweep without them)' : ''}`,
          );
        }
        seen.set(key, pt);
        points.push(pt);
      }
    }
  }
  return points;
}

/** Parse "--shard i/N". */
export function parseShard(s: string | undefined): { i: number; n: number } {
  if (s === undefined) return { i: 0, n: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const i = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i >= n) throw new GradepError(`--shard: got ${JSON.stringify(s)}, allowed i/N with 0 <= i < N, e.g. 0/4`);
  return { i, n };
}
