/** Options and choices shared by several commands (same flags, texts and defaults everywhere). */
import { Option } from 'commander';
import type { CircuitSpec } from '../circuit/spec.js';

export type Relax = 'paper' | 'equilibrium';
export type TrainRelax = Relax | 'transient';

/** Ideal commands (velocity, grad) on a circuit whose own method is the transient: use equilibrium. */
export function idealMethod(c: CircuitSpec): Relax {
  return c.relax.method === 'transient' ? 'equilibrium' : c.relax.method;
}

export const relaxOption = () => new Option('--relax <method>', 'relaxation: paper (T steps of epsilon, reference) or equilibrium (converge to tol)').choices(['paper', 'equilibrium']);
export const modeOption = () => new Option('--mode <mode>', 'velocity mode').choices(['spring', 'energy_gd']).default('energy_gd');
