/** The sweep file schema (format "gradep-sweep/1"): top-level fields, the `quick` budgets, and the parsed spec. */
import { type FieldSpec, fieldAt, type NumberField, type ObjectField, parseNumber } from '../../circuit/schema.js';
import { GradepError } from '../../util/errors.js';
import { resolveInput as resolveInputFrom } from '../../util/json.js';
import { PACKAGE_ROOT } from '../../util/paths.js';

export const SWEEP_FORMAT = 'gradep-sweep/1';

export const SWEEP_ACTIONS = ['insitu', 'transfer', 'finetune', 'gradient', 'generate'] as const;
export type SweepAction = (typeof SWEEP_ACTIONS)[number];

/** Fields a `quick` object may override (besides `vary`): the budgets, seeds and actions. */
export const BUDGET_FIELDS: Record<string, FieldSpec> = {
  actions: {
    kind: 'enums',
    values: SWEEP_ACTIONS,
    default: ['insitu', 'transfer'],
    doc: 'insitu: GradEP training from scratch on the realised chip; transfer: the ideal checkpoint programmed onto it; finetune: the checkpoint trained further in situ; gradient: no training or sampling, the in-situ gradient estimate at the checkpoint compared with the exact gradient of the ideal network; generate: no chip, the checkpoint sampled on the ideal network with the settings of `generation`',
  },
  chip_seeds: { kind: 'numbers', unit: '', integer: true, min: 0, max: 2 ** 31 - 1, default: [0, 1, 2], doc: 'chips (replicates) per point; also the seed of training, sampling and gradient batches' },
  steps: { kind: 'number', unit: '', integer: true, min: 1, max: 1e6, default: 100, doc: '"insitu": training steps' },
  batch: { kind: 'number', unit: '', integer: true, min: 2, max: 1797, default: 32, doc: 'flow-matching batch of in-situ training ("insitu", "finetune") and of each gradient batch ("gradient")' },
  samples: { kind: 'number', unit: '', integer: true, min: 10, max: 100000, default: 100, doc: 'samples generated per point (on the chip; on the ideal network for "generate"; not "gradient")' },
  t1: { kind: 'number', unit: '', gt: 0, max: 100, default: 1.0, doc: 'generation horizon (flow time; 1 = the training horizon); may be varied as vary.t1' },
  finetune_steps: { kind: 'number', unit: '', integer: true, min: 1, max: 1e6, default: 50, doc: '"finetune": in-situ training steps from the checkpoint\'s params' },
  finetune_lr: { kind: 'number', unit: '', gt: 0, max: 1, default: 1e-4, doc: '"finetune": Adam learning rate (fresh optimizer state)' },
  gradient_batches: { kind: 'number', unit: '', integer: true, min: 1, max: 1000, default: 4, doc: '"gradient": batches the gradient is estimated on (batch k: drawFlowBatch(seed = chip seed, step = k))' },
};

/**
 * Generation on the ideal network ("generate" points): each field may be varied as
 * vary["generation.<field>"]. Fields a mode does not use are left out of the point's key.
 */
export const GENERATION_SCHEMA: ObjectField = {
  kind: 'object',
  doc: '"generate": sampling the checkpoint on the ideal network (no chip)',
  fields: {
    mode: {
      kind: 'enum',
      values: ['spring', 'energy_gd', 'analogue'],
      default: 'energy_gd',
      doc: 'spring / energy_gd: settle-then-step Euler flow with that velocity read-out; analogue: one continuous two-time-scale process (hidden nodes relax with tau, visible nodes follow the flow with ratio tau)',
    },
    hidden_T: { kind: 'number', unit: '', integer: true, min: 0, max: 100000, default: 0, doc: 'spring / energy_gd: hidden relaxation per velocity evaluation; 0 = the converged equilibrium (counted as relax.T paper steps), else T paper steps of relax.epsilon tau from h = 0' },
    ratio: { kind: 'number', unit: '', gt: 0, max: 1e5, default: 30, doc: 'analogue: time-scale ratio tau_x / tau_h' },
    eps: { kind: 'number', unit: '', gt: 0, max: 0.5, default: 0.1, doc: 'analogue: Euler step in units of tau' },
    ema: { kind: 'enum', values: ['params', 'ema'], default: 'params', doc: "which weights of the checkpoint generate (its params or their EMA)" },
    dt: { kind: 'number', unit: '', gt: 0, max: 1, default: 0.01, doc: 'spring / energy_gd: Euler step of the flow (flow time)' },
  },
};

export interface GenerationSpec {
  mode: 'spring' | 'energy_gd' | 'analogue';
  hidden_T: number;
  ratio: number;
  eps: number;
  ema: 'params' | 'ema';
  dt: number;
}

export const SWEEP_SCHEMA: ObjectField = {
  kind: 'object',
  doc: 'sweep',
  fields: {
    format: { kind: 'string', doc: 'file format tag', default: SWEEP_FORMAT, exact: SWEEP_FORMAT },
    name: { kind: 'string', doc: 'report name (--quick appends "-quick")', default: 'sweep' },
    description: { kind: 'string', doc: 'what the sweep asks', default: '' },
    base: { kind: 'string', doc: 'base circuit file (relative to the working directory or the package root)', default: 'circuits/reram.json' },
    checkpoint: { kind: 'string', doc: 'ideal checkpoint for "transfer", "finetune", "gradient" and "generate" points (its params, not the EMA, unless generation.ema)', default: 'reports/paper/checkpoint.json' },
    ...BUDGET_FIELDS,
    generation: GENERATION_SCHEMA,
  },
};

/** vary["chip_seed"] (alone or linked): the point's one chip seed instead of the list chip_seeds, so families of points may have different replicates. */
const CHIP_SEED_FIELD: NumberField = { kind: 'number', unit: '', integer: true, min: 0, max: 2 ** 31 - 1, default: 0, doc: 'chip seed of the point (replaces chip_seeds)' };

/** The sweep fields a vary entry may name besides circuit fields: t1, chip_seed and generation.<field>. */
export function sweepField(key: string): Exclude<FieldSpec, ObjectField> | undefined {
  if (key === 't1') return BUDGET_FIELDS.t1 as NumberField;
  if (key === 'chip_seed') return CHIP_SEED_FIELD;
  if (key.startsWith('generation.')) return fieldAt(GENERATION_SCHEMA, key.slice('generation.'.length));
  return undefined;
}

/** A vary value of a sweep field, checked against its range (`where` names the file's entry). */
export function parseSweepValue(file: string, where: string, key: string, v: unknown): number | string {
  const f = sweepField(key);
  if (!f) throw new GradepError(`${file}: ${where}: ${key} is no sweep field, allowed t1, chip_seed or generation.<field>`);
  if (f.kind === 'number') return parseNumber(file, where, v, f);
  if (f.kind === 'enum' && typeof v === 'string' && f.values.includes(v)) return v;
  throw new GradepError(`${file}: ${where}: got ${JSON.stringify(v) ?? 'nothing'}, allowed one of ${f.kind === 'enum' ? f.values.map((x) => JSON.stringify(x)).join(', ') : 'the field values'}`);
}

export const QUICK_SCHEMA: ObjectField = { kind: 'object', doc: 'quick budget', fields: BUDGET_FIELDS };

export interface SweepSpec {
  /** Engine the points run on (set by the CLI, not the file): "js" points are keyed apart. */
  engine?: 'fast' | 'js';
  format: string;
  name: string;
  description: string;
  base: string;
  checkpoint: string;
  actions: SweepAction[];
  chip_seeds: number[];
  steps: number;
  batch: number;
  samples: number;
  t1: number;
  finetune_steps: number;
  finetune_lr: number;
  gradient_batches: number;
  generation: GenerationSpec;
  /** Circuit field path -> value, applied to the base circuit of every point before `vary`. */
  set: Record<string, unknown>;
  /** Field path (e.g. "synapse.g_dtod", or "t1") -> values; the grid is their Cartesian product. Grids and random draws expanded. */
  vary: Record<string, unknown[]>;
  /** `vary` as written in the file (lists, grid and random objects), after `quick` when applied. */
  vary_source: Record<string, unknown>;
  /** Whether the file's `quick` object was applied (`--quick`). */
  quick: boolean;
}

/** Paths in a sweep file (base circuit, checkpoint): relative to the working directory or the package root. */
export function resolveInput(path: string, file: string, what: string): string {
  return resolveInputFrom(path, file, what, PACKAGE_ROOT);
}
