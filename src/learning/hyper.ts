/**
 * A training run's hyperparameters as a checkpoint records them, and their validation on
 * load: every field's type and range, and the circuit-derived ones equal to the circuit's
 * (the estimator reads `hyper`, the relaxation reads the circuit: they must not disagree).
 */
import type { CircuitSpec } from '../circuit/spec.js';
import { GradepError } from '../util/errors.js';

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

type Check = [(v: unknown) => boolean, string];

const num = (ok: (x: number) => boolean, allowed: string): Check => [(v) => typeof v === 'number' && Number.isFinite(v) && ok(v), allowed];
const pos = num((x) => x > 0, 'a number > 0');
const int = (lo: number, hi = Infinity): Check => num((x) => Number.isInteger(x) && x >= lo && x <= hi, hi === Infinity ? `an integer >= ${lo}` : `an integer ${lo}..${hi}`);
const oneOf = (...xs: string[]): Check => [(v) => typeof v === 'string' && xs.includes(v), xs.map((x) => JSON.stringify(x)).join(' or ').replace(/ or (?=.* or )/g, ', ')];
const unit = (closed: boolean): Check => num((x) => x >= 0 && (closed ? x <= 1 : x < 1), closed ? 'a number in [0, 1]' : 'a number in [0, 1)');

/** Type and range of every field (ranges as the CLI flags and the circuit schema allow). */
const HYPER_CHECKS: Record<keyof TrainHyper, Check> = {
  lambda: pos,
  alpha: pos,
  beta: pos,
  epsilon: pos,
  T: int(1),
  relax: oneOf('paper', 'equilibrium', 'transient'),
  tol: pos,
  max_iter: int(1),
  memory: int(0),
  eta: pos,
  lr: num((x) => x > 0 && x <= 1, 'a number in (0, 1]'),
  adam_beta1: unit(false),
  adam_beta2: unit(false),
  adam_eps: pos,
  clip: pos,
  ema_decay: unit(true),
  batch: int(2, 1797),
  pairing: oneOf('ot', 'independent'),
  init_gain: pos,
};

/** The hyper fields a circuit determines, with the circuit field each comes from. */
export function circuitHyper(c: CircuitSpec): [keyof TrainHyper, string, number][] {
  return [
    ['lambda', 'spring.lambda', c.spring.lambda],
    ['alpha', 'readout.alpha', c.readout.alpha],
    ['beta', 'nudge.beta', c.nudge.beta],
    ['epsilon', 'relax.epsilon', c.relax.epsilon],
    ['T', 'relax.T', c.relax.T],
    ['tol', 'relax.tol', c.relax.tol],
    ['max_iter', 'relax.max_iter', c.relax.max_iter],
    ['memory', 'relax.memory', c.relax.memory],
    ['eta', 'relax.eta', c.relax.eta],
  ];
}

/** A checkpoint's `hyper`, checked field by field; `file` names it in errors. */
export function validateHyper(raw: unknown, circuit: CircuitSpec, file: string): TrainHyper {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new GradepError(`${file}: hyper: expected an object with ${Object.keys(HYPER_CHECKS).join(', ')}`);
  const h = raw as Record<string, unknown>;
  for (const [k, [ok, allowed]] of Object.entries(HYPER_CHECKS)) {
    if (!ok(h[k])) throw new GradepError(`${file}: hyper.${k}: got ${h[k] === undefined ? 'undefined' : JSON.stringify(h[k])}, allowed ${allowed}`);
  }
  for (const [k, field, v] of circuitHyper(circuit)) {
    if (h[k] !== v) throw new GradepError(`${file}: hyper.${k}: got ${JSON.stringify(h[k])}, allowed ${JSON.stringify(v)} (the circuit's ${field})`);
  }
  const out = {} as Record<string, unknown>;
  for (const k of Object.keys(HYPER_CHECKS)) out[k] = h[k];
  return out as unknown as TrainHyper;
}
