/** The sweep file schema (format "gradep-sweep/1"): top-level fields, the `quick` budgets, and the parsed spec. */
import { type FieldSpec, type ObjectField } from '../../circuit/schema.js';
import { resolveInput as resolveInputFrom } from '../../util/json.js';
import { PACKAGE_ROOT } from '../../util/paths.js';

export const SWEEP_FORMAT = 'gradep-sweep/1';

export const SWEEP_ACTIONS = ['insitu', 'transfer', 'finetune', 'gradient'] as const;
export type SweepAction = (typeof SWEEP_ACTIONS)[number];

/** Fields a `quick` object may override (besides `vary`): the budgets, seeds and actions. */
export const BUDGET_FIELDS: Record<string, FieldSpec> = {
  actions: {
    kind: 'enums',
    values: SWEEP_ACTIONS,
    default: ['insitu', 'transfer'],
    doc: 'insitu: GradEP training from scratch on the realised chip; transfer: the ideal checkpoint programmed onto it; finetune: the checkpoint trained further in situ; gradient: no training or sampling, the in-situ gradient estimate at the checkpoint compared with the exact gradient of the ideal network',
  },
  chip_seeds: { kind: 'numbers', unit: '', integer: true, min: 0, max: 2 ** 31 - 1, default: [0, 1, 2], doc: 'chips (replicates) per point; also the seed of training, sampling and gradient batches' },
  steps: { kind: 'number', unit: '', integer: true, min: 1, max: 1e6, default: 100, doc: '"insitu": training steps' },
  batch: { kind: 'number', unit: '', integer: true, min: 2, max: 1797, default: 32, doc: 'flow-matching batch of in-situ training ("insitu", "finetune") and of each gradient batch ("gradient")' },
  samples: { kind: 'number', unit: '', integer: true, min: 10, max: 100000, default: 100, doc: 'samples generated on the chip per point (all actions but "gradient")' },
  t1: { kind: 'number', unit: '', gt: 0, max: 100, default: 1.0, doc: 'generation horizon (flow time; 1 = the training horizon); may be varied as vary.t1' },
  finetune_steps: { kind: 'number', unit: '', integer: true, min: 1, max: 1e6, default: 50, doc: '"finetune": in-situ training steps from the checkpoint\'s params' },
  finetune_lr: { kind: 'number', unit: '', gt: 0, max: 1, default: 1e-4, doc: '"finetune": Adam learning rate (fresh optimizer state)' },
  gradient_batches: { kind: 'number', unit: '', integer: true, min: 1, max: 1000, default: 4, doc: '"gradient": batches the gradient is estimated on (batch k: drawFlowBatch(seed = chip seed, step = k))' },
};

export const SWEEP_SCHEMA: ObjectField = {
  kind: 'object',
  doc: 'sweep',
  fields: {
    format: { kind: 'string', doc: 'file format tag', default: SWEEP_FORMAT, exact: SWEEP_FORMAT },
    name: { kind: 'string', doc: 'report name (--quick appends "-quick")', default: 'sweep' },
    description: { kind: 'string', doc: 'what the sweep asks', default: '' },
    base: { kind: 'string', doc: 'base circuit file (relative to the working directory or the package root)', default: 'circuits/reram.json' },
    checkpoint: { kind: 'string', doc: 'ideal checkpoint for "transfer", "finetune" and "gradient" points (its params, not the EMA)', default: 'reports/paper/checkpoint.json' },
    ...BUDGET_FIELDS,
  },
};

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
