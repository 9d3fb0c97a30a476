/**
 * Hardware non-ideality sweeps (experiments/sweep-*.json, format "gradep-sweep/1").
 * A sweep is the grid of every combination of the listed circuit-field values, times the
 * actions (train in situ on the realised chip / transfer an ideal checkpoint onto it /
 * measure its gradient / generate from it on the ideal network), times the chip seeds. Every point is addressable by index, and its result depends only on
 * (spec, point, seed): it is keyed by a hash of them, appended as one line to
 * DIR/results.jsonl, and never recomputed, so an interrupted sweep resumes where it stopped.
 * `--shard i/N` runs the points with index % N == i; `collect` merges shard directories.
 * Points run under per-point locks (lock.ts), so concurrent processes may share a directory.
 */
export { collectSweep } from './collect.js';
export { currentKeys, KEY_VERSION, type PointKeys, recordedKeys } from './keys.js';
export { loadSweep } from './load.js';
export { parseShard, type SweepPoint, sweepPoints } from './points.js';
export { type FailedResult, type GeneratedResult, type GradientResult, type GradientStats, isFailed, readResults, resultSummary, type SampledResult, type SweepLine, type SweepResult } from './results.js';
export { runSweep, type SweepEvent } from './runner.js';
export { GENERATION_SCHEMA, type GenerationSpec, resolveInput, SWEEP_ACTIONS, SWEEP_FORMAT, SWEEP_SCHEMA, type SweepAction, type SweepSpec, sweepField } from './spec.js';
export { expandVary } from './vary.js';
