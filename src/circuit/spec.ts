/**
 * The circuit description: the paper's network as an (ideal, for now) analogue circuit.
 * Physical fields (capacitances, conductances, noise, mismatch) extend this schema later;
 * every field has a documented unit, default and range (see `gradep circuit --schema`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { GradepError } from '../util/errors.js';
import { packagePath } from '../util/paths.js';
import type { ObjectField } from './schema.js';
import { validateObject } from './schema.js';

export const CIRCUIT_FORMAT = 'gradep-circuit/1';

export const CIRCUIT_SCHEMA: ObjectField = {
  kind: 'object',
  doc: 'circuit',
  fields: {
    format: { kind: 'string', doc: 'file format tag', default: CIRCUIT_FORMAT, exact: CIRCUIT_FORMAT },
    name: { kind: 'string', doc: 'short name', default: 'unnamed' },
    description: { kind: 'string', doc: 'what this circuit is', default: '' },
    source: { kind: 'string', doc: 'where its numbers come from', default: '' },
    layers: {
      kind: 'object',
      doc: 'layer sizes',
      fields: {
        visible: { kind: 'number', unit: '', integer: true, min: 1, max: 4096, default: 64, doc: 'visible nodes (pixels); 64 for 8x8 digits' },
        hidden1: { kind: 'number', unit: '', integer: true, min: 1, max: 4096, default: 128, doc: 'first hidden layer' },
        hidden2: { kind: 'number', unit: '', integer: true, min: 1, max: 4096, default: 128, doc: 'second hidden layer' },
      },
    },
    activation: {
      kind: 'object',
      doc: 'activation element',
      fields: {
        kind: { kind: 'enum', values: ['scaled_tanh_silu'], default: 'scaled_tanh_silu', doc: 'rho(u) = 10 tanh(silu(u)/10) (PAPER.md)' },
      },
    },
    spring: {
      kind: 'object',
      doc: 'spring element tying x to x_t',
      fields: {
        lambda: { kind: 'number', unit: '', gt: 0, max: 1e4, default: 15, doc: 'spring stiffness lambda (relative to the node leak, dimensionless)' },
      },
    },
    readout: {
      kind: 'object',
      doc: 'velocity read-out v = alpha lambda (x* - x_t)',
      fields: {
        alpha: { kind: 'number', unit: '', gt: 0, max: 1e4, default: 2, doc: 'output scale alpha' },
      },
    },
    nudge: {
      kind: 'object',
      doc: 'nudge element (cost C = (alpha lambda)^2/2 |x - x_target|^2)',
      fields: {
        beta: { kind: 'number', unit: '', gt: 0, max: 1, default: 1.25e-3, doc: 'nudge strength beta; phases at +beta and -beta' },
      },
    },
    relax: {
      kind: 'object',
      doc: 'relaxation of each phase',
      fields: {
        method: { kind: 'enum', values: ['paper', 'equilibrium'], default: 'paper', doc: 'paper: T gradient steps of size epsilon (reference); equilibrium: Anderson-accelerated solve to tol' },
        epsilon: { kind: 'number', unit: '', gt: 0, max: 1, default: 0.1, doc: 'paper step size epsilon = dt/tau' },
        T: { kind: 'number', unit: '', integer: true, min: 1, max: 1000000, default: 300, doc: 'paper steps per phase' },
        tol: { kind: 'number', unit: '', gt: 0, max: 1, default: 1e-6, doc: 'equilibrium: stop when the Euclidean norm of grad F of a sample is below tol (absolute)' },
        max_iter: { kind: 'number', unit: '', integer: true, min: 1, max: 100000, default: 300, doc: 'equilibrium: Anderson iterations before the safe fallback' },
        memory: { kind: 'number', unit: '', integer: true, min: 0, max: 50, default: 10, doc: 'equilibrium: Anderson memory (0 = plain preconditioned steps)' },
        eta: { kind: 'number', unit: '', gt: 0, max: 1, default: 1, doc: 'equilibrium: step of the preconditioned map g(s) = s - eta P grad F' },
      },
    },
  },
};

export interface CircuitSpec {
  format: string;
  name: string;
  description: string;
  source: string;
  layers: { visible: number; hidden1: number; hidden2: number };
  activation: { kind: 'scaled_tanh_silu' };
  spring: { lambda: number };
  readout: { alpha: number };
  nudge: { beta: number };
  relax: { method: 'paper' | 'equilibrium'; epsilon: number; T: number; tol: number; max_iter: number; memory: number; eta: number };
}

/** Validate a parsed circuit; `file` names it in errors. */
export function validateCircuit(raw: unknown, file: string): CircuitSpec {
  const c = validateObject(file, '', raw, CIRCUIT_SCHEMA) as unknown as CircuitSpec;
  // The paper dynamics x <- x - eps (1 + lambda + beta kappa) (...) is stable only when
  // eps (1 + lambda + beta kappa) < 2 (PAPER.md: lambda above ~19 diverges at eps = 0.1).
  const kappa = (c.readout.alpha * c.spring.lambda) ** 2;
  const stiff = 1 + c.spring.lambda + c.nudge.beta * kappa;
  if (c.relax.method === 'paper' && c.relax.epsilon * stiff >= 2) {
    throw new GradepError(
      `${file}: relax.epsilon: got ${c.relax.epsilon}, allowed epsilon * (1 + lambda + beta (alpha lambda)^2) < 2, i.e. epsilon < ${(2 / stiff).toPrecision(4)} for this spring and nudge (the paper relaxation diverges otherwise)`,
    );
  }
  return c;
}

export function loadCircuit(file: string): CircuitSpec {
  if (!existsSync(file)) throw new GradepError(`${file}: circuit file not found`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GradepError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return validateCircuit(raw, file);
}

export const DEFAULT_CIRCUIT_FILE = packagePath('circuits', 'paper.json');
