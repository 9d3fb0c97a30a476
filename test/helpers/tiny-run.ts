/** The tiny circuit of test/fixtures and a training run on it, shared by the checkpoint and resume tests. */
import { type CircuitSpec, loadCircuit } from '../../src/circuit/spec.js';
import type { TrainOptions } from '../../src/experiments/train.js';
import { packagePath } from '../../src/util/paths.js';

export const TINY_FILE = packagePath('test', 'fixtures', 'tiny-circuit.json');
export const V1_CHECKPOINT = packagePath('test', 'fixtures', 'checkpoint-v1.json');
export const tiny = loadCircuit(TINY_FILE);

/** A run of `steps` on the tiny circuit into outDir (batch 4, seed 5, equilibrium, a checkpoint every step). */
export function tinyRun(outDir: string, steps: number, resume = false, extra: Partial<TrainOptions> = {}): TrainOptions {
  return { circuit: tiny as CircuitSpec, circuitFile: TINY_FILE, steps, batch: 4, seed: 5, pairing: 'ot', relax: 'equilibrium', outDir, resume, checkpointEvery: 1, ...extra };
}
