/**
 * Checkpoints: one JSON file, `format: "gradep-checkpoint/1"` (documented in README.md).
 * Weights are written out x in as nested arrays (W0: n1 arrays of nx), float64 values
 * written in shortest round-trip form, so save -> load is bit-exact and resumes exactly.
 */
import { existsSync } from 'node:fs';
import { readJsonFile } from '../util/json.js';
import { type Dims, dimsOf, type Params, PARAM_NAMES, zeroParams } from '../circuit/params.js';
import { type CircuitSpec, validateCircuit } from '../circuit/spec.js';
import { GradepError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { AdamState } from './optimizer.js';

export const CHECKPOINT_FORMAT = 'gradep-checkpoint/1';

export interface TrainHyper {
  lambda: number;
  alpha: number;
  beta: number;
  epsilon: number;
  T: number;
  relax: 'paper' | 'equilibrium' | 'transient';
  tol: number;
  max_iter: number;
  memory: number;
  eta: number;
  lr: number;
  adam_beta1: number;
  adam_beta2: number;
  adam_eps: number;
  clip: number;
  ema_decay: number;
  batch: number;
  pairing: 'ot' | 'independent';
  init_gain: number;
}

export interface Checkpoint {
  format: string;
  created: string;
  step: number;
  seeds: { run: number };
  circuit: CircuitSpec;
  circuit_file: string;
  hyper: TrainHyper;
  params: Params;
  ema_params: Params;
  optimizer: AdamState;
  last: { flow_mse: number | null };
}

type Nested = number[] | number[][];

function paramsToJson(p: Params, d: Dims): Record<string, Nested> {
  const rows = (a: Float64Array, r: number, c: number) => Array.from({ length: r }, (_, i) => Array.from(a.subarray(i * c, (i + 1) * c)));
  return { W0: rows(p.W0, d.n1, d.nx), b0: Array.from(p.b0), W1: rows(p.W1, d.n2, d.n1), b1: Array.from(p.b1), bx: Array.from(p.bx) };
}

function paramsFromJson(raw: unknown, d: Dims, file: string, field: string): Params {
  const p = zeroParams(d);
  if (typeof raw !== 'object' || raw === null) throw new GradepError(`${file}: ${field}: missing, expected an object with W0, b0, W1, b1, bx`);
  const o = raw as Record<string, unknown>;
  const shape: Record<string, [number, number]> = { W0: [d.n1, d.nx], b0: [d.n1, 0], W1: [d.n2, d.n1], b1: [d.n2, 0], bx: [d.nx, 0] };
  for (const k of PARAM_NAMES) {
    const [r, c] = shape[k];
    const v = o[k];
    const what = c ? `${r} arrays of ${c} finite numbers` : `${r} finite numbers`;
    if (!Array.isArray(v) || v.length !== r) throw new GradepError(`${file}: ${field}.${k}: expected ${what}`);
    for (let i = 0; i < r; i++) {
      if (c) {
        const row = v[i];
        if (!Array.isArray(row) || row.length !== c) throw new GradepError(`${file}: ${field}.${k}[${i}]: expected an array of ${c} finite numbers`);
        for (let j = 0; j < c; j++) {
          if (typeof row[j] !== 'number' || !Number.isFinite(row[j])) throw new GradepError(`${file}: ${field}.${k}[${i}][${j}]: expected a finite number`);
          p[k][i * c + j] = row[j];
        }
      } else {
        if (typeof v[i] !== 'number' || !Number.isFinite(v[i])) throw new GradepError(`${file}: ${field}.${k}[${i}]: expected a finite number`);
        p[k][i] = v[i];
      }
    }
  }
  return p;
}

export function saveCheckpoint(path: string, ck: Checkpoint): void {
  const d = dimsOf(ck.params);
  const out = {
    format: CHECKPOINT_FORMAT,
    created: ck.created,
    step: ck.step,
    seeds: ck.seeds,
    circuit_file: ck.circuit_file,
    circuit: ck.circuit,
    hyper: ck.hyper,
    last: ck.last,
    params: paramsToJson(ck.params, d),
    ema_params: paramsToJson(ck.ema_params, d),
    optimizer: { kind: 'adam', t: ck.optimizer.t, m: paramsToJson(ck.optimizer.m, d), v: paramsToJson(ck.optimizer.v, d) },
  };
  writeFileAtomic(path, JSON.stringify(out));
}

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new GradepError(`${path}: checkpoint not found`);
  const raw = readJsonFile(path, 'checkpoint') as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) throw new GradepError(`${path}: expected a JSON object`);
  if (raw.format !== CHECKPOINT_FORMAT) throw new GradepError(`${path}: format: got ${JSON.stringify(raw.format)}, allowed "${CHECKPOINT_FORMAT}"`);
  const circuit = validateCircuit(raw.circuit, `${path} (circuit)`);
  const d: Dims = { nx: circuit.layers.visible, n1: circuit.layers.hidden1, n2: circuit.layers.hidden2 };
  const step = raw.step;
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new GradepError(`${path}: step: got ${JSON.stringify(step)}, allowed an integer >= 0`);
  const opt = raw.optimizer as Record<string, unknown> | undefined;
  if (!opt || typeof opt.t !== 'number') throw new GradepError(`${path}: optimizer: expected { kind: "adam", t, m, v }`);
  const hyper = raw.hyper as TrainHyper | undefined;
  if (!hyper || typeof hyper !== 'object') throw new GradepError(`${path}: hyper: expected an object`);
  const seeds = raw.seeds as { run: number } | undefined;
  if (!seeds || typeof seeds.run !== 'number') throw new GradepError(`${path}: seeds.run: expected an integer`);
  return {
    format: CHECKPOINT_FORMAT,
    created: String(raw.created ?? ''),
    step,
    seeds,
    circuit,
    circuit_file: String(raw.circuit_file ?? ''),
    hyper,
    params: paramsFromJson(raw.params, d, path, 'params'),
    ema_params: paramsFromJson(raw.ema_params, d, path, 'ema_params'),
    optimizer: { t: opt.t, m: paramsFromJson(opt.m, d, path, 'optimizer.m'), v: paramsFromJson(opt.v, d, path, 'optimizer.v') },
    last: (raw.last as { flow_mse: number | null }) ?? { flow_mse: null },
  };
}
