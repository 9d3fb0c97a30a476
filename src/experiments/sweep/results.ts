/** What a sweep point yields (one line of DIR/results.jsonl), and reading those lines back. */
import { join } from 'node:path';
import { type Convergence } from '../../metrics/convergence.js';
import { type QualityMetrics } from '../../metrics/quality.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { readKeyedJsonl } from '../../util/json.js';
import type { GenerationSpec } from './spec.js';

/** Gradient accuracy of a "gradient" point: the in-situ GradEP estimate against the exact gradient of the ideal network. */
export interface GradientStats {
  /** Cosine and relative error |g - g*| / |g*| per batch, averaged over the batches. */
  cosine: number;
  rel_error: number;
  /** The same for the gradients averaged over the batches (the cosine of the mean gradient). */
  cosine_mean_grad: number;
  rel_error_mean_grad: number;
  batches: number;
  /** Mean flow-matching MSE measured on the chip and of the ideal network, over the batches. */
  flow_mse: number;
  ideal_flow_mse: number;
  /** Largest residual |grad F| of the ideal free equilibria the exact gradient was taken at. */
  exact_residual_max: number;
}

interface ResultBase {
  key: string;
  index: number;
  overrides: Record<string, unknown>;
  chip_seed: number;
  seconds: number;
}

/** "insitu", "transfer", "finetune": trained (or not), sampled on the chip and scored. */
export interface SampledResult extends ResultBase {
  action: 'insitu' | 'transfer' | 'finetune';
  metrics: QualityMetrics;
  /** In-situ and fine-tuning runs: mean flow-matching MSE of the last 10 steps (null for transfer). */
  final_flow_mse: number | null;
  /** In-situ and fine-tuning runs: has the flow-MSE curve flattened (last 10% of steps vs the 10% before)? Absent in older results. */
  convergence?: Convergence;
  time_per_sample_s: number;
  /** Resistive (G V^2) energy per generated sample on the chip (J): the measured term of the cost model only. */
  energy_per_sample_j: number;
  /**
   * In-situ and fine-tuning runs: resistive energy of one training step (the whole batch, J),
   * mean over the run's steps (its log's energy_j); null for transfer. Absent in results
   * written before it was recorded: their reports draw the step's cost without it.
   */
  energy_per_step_j?: number | null;
  gradient?: undefined;
}

/** "gradient": no sampling, so no sample-quality numbers. */
export interface GradientResult extends ResultBase {
  action: 'gradient';
  metrics: null;
  final_flow_mse: null;
  time_per_sample_s: null;
  energy_per_sample_j: null;
  gradient: GradientStats;
}

/** "generate": sampled on the ideal network from the checkpoint (no chip, so no time or energy on one). */
export interface GeneratedResult extends ResultBase {
  action: 'generate';
  /** The point's horizon and generation settings, so the report can draw from results.jsonl alone. */
  t1: number;
  generation: GenerationSpec;
  metrics: QualityMetrics;
  /** Relaxation (physical) time per generated sample, in units of tau = C / G_L. */
  relaxation_tau: number;
  /** Velocity evaluations (settle-then-step) or Euler steps (analogue) per sample. */
  evaluations: number;
  final_flow_mse: null;
  time_per_sample_s: null;
  energy_per_sample_j: null;
  gradient?: undefined;
}

export type SweepResult = SampledResult | GradientResult | GeneratedResult;

/** A point whose relaxation diverged: recorded (so the rest of the sweep completes), with no numbers; reports skip it. */
export interface FailedResult extends ResultBase {
  action: SweepResult['action'];
  error: string;
  metrics: null;
}

/** One line of DIR/results.jsonl. */
export type SweepLine = SweepResult | FailedResult;

export const isFailed = (r: SweepLine): r is FailedResult => typeof (r as FailedResult).error === 'string';

/** One line for progress bars. */
export function resultSummary(r: SweepLine): string {
  if (isFailed(r)) return `failed: ${r.error}`;
  return r.action === 'gradient' ? `grad cosine ${r.gradient.cosine.toFixed(3)}` : `FD ${r.metrics.fd.toFixed(2)}`;
}

export function readResults(dir: string): Map<string, SweepLine> {
  return readKeyedJsonl<SweepLine>(join(dir, 'results.jsonl'));
}

/** Up to 100 samples of a point (DIR/samples/<key>.json), for the report's sample grids. */
export function writePointSamples(outDir: string, key: string, samples: Float64Array, n: number): void {
  const keep = Math.min(100, n);
  writeFileAtomic(join(outDir, 'samples', `${key}.json`), JSON.stringify(Array.from({ length: keep }, (_, i) => Array.from(samples.subarray(i * 64, (i + 1) * 64)))));
}
