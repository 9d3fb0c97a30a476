/**
 * What the demo shows: the same task sampled three ways at one sample count, scored with the
 * same evaluator beside real digits at that count (FD depends on n): a freshly trained
 * network on the ideal circuit, the committed paper checkpoint on the ideal circuit, and the
 * paper checkpoint transferred onto a realised chip (physical time and energy per sample).
 */
import { buildChip, buildSimulation } from '../build/build.js';
import type { Params } from '../circuit/params.js';
import type { CircuitSpec } from '../circuit/spec.js';
import { generateOnChip } from '../flow/sample-chip.js';
import { generate } from '../flow/sample.js';
import type { Checkpoint } from '../learning/checkpoint.js';
import { evaluateSamples, type QualityMetrics, realSubset } from '../metrics/quality.js';
import type { RelaxEngine } from '../solvers/engine.js';

export interface SampleSet {
  name: string;
  /** Where the weights come from and what they ran on. */
  source: string;
  samples: Float64Array;
  metrics: QualityMetrics;
  /** Per generated sample on a chip (null on the ideal network, solved to equilibrium). */
  timePerSample: number | null;
  energyPerSample: number | null;
}

export interface CompareOptions {
  n: number;
  seed: number;
  chipSeed: number;
  onStep?: (label: string, k: number, total: number) => void;
}

/** Energy_gd samples (t1 = 1, dt = 0.01) of a checkpoint's weights on the ideal network. */
async function ideal(engine: RelaxEngine, ck: Checkpoint, p: Params, o: CompareOptions, label: string): Promise<Float64Array> {
  const sim = buildSimulation(ck.circuit, 'equilibrium');
  const r = await generate(engine, p, sim.dims, { mode: 'energy_gd', lambda: sim.lambda, alpha: sim.alpha, relax: sim.relax!, n: o.n, t1: 1.0, dt: 0.01, seed: o.seed, onStep: (k, t) => o.onStep?.(label, k, t) });
  return r.samples;
}

/** The three sample sets and the real-digit reference, all at n = o.n. */
export async function compareSampleSets(engine: RelaxEngine, trained: Checkpoint, paper: Checkpoint, chip: CircuitSpec, chipName: string, o: CompareOptions): Promise<{ sets: SampleSet[]; real: SampleSet }> {
  const sets: SampleSet[] = [];
  const add = (name: string, source: string, samples: Float64Array, t: number | null = null, e: number | null = null) =>
    sets.push({ name, source, samples, metrics: evaluateSamples(samples, o.n), timePerSample: t, energyPerSample: e });
  add('this run, ideal', `${trained.step} steps of this demo, ideal circuit`, await ideal(engine, trained, trained.params, o, 'this run'));
  add('paper, ideal', `committed paper checkpoint (${paper.step} steps), ideal circuit`, await ideal(engine, paper, paper.params, o, 'paper ideal'));
  const sim = buildSimulation(chip, 'transient');
  const g = await generateOnChip(engine, sim, buildChip(chip, o.chipSeed), paper.params, { mode: 'energy_gd', n: o.n, t1: 1.0, dt: 0.01, seed: o.seed, onStep: (k, t) => o.onStep?.(chipName, k, t) });
  add(`paper, ${chipName}`, `committed paper checkpoint programmed onto a ${chipName} chip (seed ${o.chipSeed})`, g.samples, g.timePerSample, g.energyPerSample);
  const realImages = realSubset(o.n, 0);
  const real: SampleSet = { name: '(real digits)', source: 'held-out optdigits.tra digits', samples: realImages, metrics: evaluateSamples(realImages, o.n), timePerSample: null, energyPerSample: null };
  return { sets, real };
}
