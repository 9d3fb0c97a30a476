/** Sweep points: the grid x actions x chip seeds, each keyed by a hash of what its result depends on. */
import { createHash } from 'node:crypto';
import { validateObject } from '../../circuit/schema.js';
import { type CircuitSpec, circuitIdentity, validateCircuit } from '../../circuit/spec.js';
import { GradepError } from '../../util/errors.js';
import { readJsonFile } from '../../util/json.js';
import { show } from './check.js';
import { checkpointId, currentKeys, type PointKeys } from './keys.js';
import { GENERATION_SCHEMA, type GenerationSpec, parseSweepValue, resolveInput, type SweepAction, type SweepSpec, sweepField } from './spec.js';

export interface SweepPoint {
  index: number;
  key: string;
  overrides: Record<string, unknown>;
  action: SweepAction;
  chip_seed: number;
  /** Generation horizon of this point (vary.t1 or the sweep's t1). */
  t1: number;
  /** "generate": the sweep's generation settings with this point's vary values. */
  generation: GenerationSpec;
  circuit: CircuitSpec;
}

/** A combination's values split by kind: circuit field paths, and the sweep fields t1, chip_seed, generation.<field>. */
interface Combo {
  circuitSets: [string, unknown][];
  t1?: number;
  chipSeed?: number;
  generation: Partial<Record<keyof GenerationSpec, unknown>>;
}

function splitCombo(file: string, overrides: Record<string, unknown>): Combo {
  const c: Combo = { circuitSets: [], generation: {} };
  const put = (where: string, field: string, v: unknown) => {
    if (!sweepField(field)) return void c.circuitSets.push([field, v]);
    const x = parseSweepValue(file, where, field, v);
    if (field === 't1') c.t1 = x as number;
    else if (field === 'chip_seed') c.chipSeed = x as number;
    else c.generation[field.slice('generation.'.length) as keyof GenerationSpec] = x;
  };
  for (const [f, v] of Object.entries(overrides)) {
    if (f.includes('+')) f.split('+').forEach((part, i) => put(`vary.${f}[${i}]`, part, (v as unknown[])[i]));
    else put(`vary.${f}`, f, v);
  }
  return c;
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
function pointIdentity(spec: SweepSpec, circuit: CircuitSpec, action: SweepAction, chip_seed: number, t1: number, gen: GenerationSpec, ck: unknown): unknown {
  // Fields added since results were committed count only when set (spec.ts KEY_NEUTRAL_AT_DEFAULT).
  const id = actionIdentity(spec, circuitIdentity(circuit), action, chip_seed, t1, gen, ck);
  // Results depend on the engine (float32 kernels vs the float64 reference): the reference's points get their own keys.
  return spec.engine === 'js' ? { ...(id as object), engine: 'js' } : id;
}

/** `ck` stands for the checkpoint: its path (key version 1) or its contents' hash (version 2, keys.ts). */
function actionIdentity(spec: SweepSpec, circuit: CircuitSpec, action: SweepAction, chip_seed: number, t1: number, gen: GenerationSpec, ck: unknown): unknown {
  switch (action) {
    case 'insitu':
    case 'transfer':
      // Unchanged from the first format, so existing results stay valid.
      return { circuit, action, chip_seed, steps: spec.steps, batch: spec.batch, samples: spec.samples, t1, checkpoint: action === 'transfer' ? ck : null };
    case 'finetune':
      return { circuit, action, chip_seed, finetune_steps: spec.finetune_steps, finetune_lr: spec.finetune_lr, batch: spec.batch, samples: spec.samples, t1, checkpoint: ck };
    case 'gradient':
      return { circuit, action, chip_seed, batch: spec.batch, gradient_batches: spec.gradient_batches, checkpoint: ck };
    case 'generate':
      return { circuit, action, chip_seed, samples: spec.samples, t1, checkpoint: ck, generation: generationIdentity(gen) };
  }
}

/** Only the generation fields the mode uses: a point's key does not change with the others, and varying them is a twin error. */
export function generationIdentity(g: GenerationSpec): Partial<GenerationSpec> {
  return g.mode === 'analogue' ? { mode: g.mode, ratio: g.ratio, eps: g.eps, ema: g.ema } : { mode: g.mode, hidden_T: g.hidden_T, dt: g.dt, ema: g.ema };
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
  // Sweep directories written before "generate" existed hold no generation settings: the defaults.
  const genBase = { ...validateObject(file, 'generation', {}, GENERATION_SCHEMA), ...spec.generation } as GenerationSpec;
  for (const overrides of combos) {
    const raw = structuredClone(baseRaw);
    const combo = splitCombo(file, overrides);
    for (const [f, v] of combo.circuitSets) setPath(raw, f, v);
    // Errors name the sweep file and the overridden field path.
    const circuit = validateCircuit(raw, `${file} (vary on ${spec.base})`);
    const t1 = combo.t1 ?? spec.t1;
    const generation = { ...genBase, ...combo.generation } as GenerationSpec;
    for (const action of spec.actions) {
      for (const chip_seed of combo.chipSeed === undefined ? spec.chip_seeds : [combo.chipSeed]) {
        const key = createHash('sha256').update(JSON.stringify(pointIdentity(spec, circuit, action, chip_seed, t1, generation, ck))).digest('hex').slice(0, 16);
        const pt: SweepPoint = { index: points.length, key, overrides, action, chip_seed, t1, generation, circuit };
        const twin = seen.get(key);
        if (twin) {
          throw new GradepError(
            `${file}: vary: points #${twin.index} ${show(twin.overrides)} and #${pt.index} ${show(overrides)} (${action}, chip ${chip_seed}) are the same run, allowed distinct values${twinHint(action, overrides)}`,
          );
        }
        seen.set(key, pt);
        points.push(pt);
      }
    }
  }
  return points;
}

function twinHint(action: SweepAction, overrides: Record<string, unknown>): string {
  const keys = Object.keys(overrides).flatMap((k) => k.split('+'));
  if (action === 'gradient' && keys.includes('t1')) return ' (t1 has no effect on "gradient" points: vary t1 in a sweep without them)';
  if (action === 'generate' && keys.some((k) => k.startsWith('generation.'))) return ' (generation.hidden_T and dt have no effect with mode "analogue", ratio and eps only with it)';
  if (keys.some((k) => k.startsWith('generation.'))) return ' (generation fields change only "generate" points)';
  return '';
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
