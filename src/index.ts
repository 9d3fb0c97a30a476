/**
 * gradep as a library: the building blocks behind the CLI, in the order data flows through
 * them (docs/api.md has a worked example, docs/architecture.md the layout).
 */

// Spec: circuit files (devices and analyses), the network's shape and weights, phases.
export { CIRCUIT_FORMAT, CIRCUIT_SCHEMA, DEFAULT_CIRCUIT_FILE, loadCircuit, tauOf, validateCircuit, type AnalysisSpec, type CircuitSpec, type DeviceSpec } from './circuit/spec.js';
export { cloneParams, dimsOf, PAPER_DIMS, PARAM_NAMES, paramCount, stateSize, zeroParams, type Dims, type ParamName, type Params } from './circuit/params.js';
export { freeStart, nudgeTargets, type Phase } from './circuit/phase.js';
export { DEFAULT_EQUILIBRIUM, PAPER_RELAX, type EquilibriumOptions, type PaperOptions, type RelaxMethod, type RelaxSpec, type TransientOptions, type TransientSettings } from './circuit/analysis.js';
export { loadDigits, type DigitSet } from './data/optdigits.js';

// Build: a circuit spec made runnable; realised chips and their programming.
export { buildChip, buildSimulation, dimsOfCircuit, relaxSpecOf, transientOf, type RelaxMethodName, type Simulation } from './build/build.js';
export { chipParams, effectiveWeights, programWeights, realiseChip, type Chip, type EffectiveWeights } from './chip/chip.js';
export { dac, measure } from './chip/measure.js';
export { crossbarLines, type CrossbarDevices, type LineSums } from './chip/chip.js';
export { irDropWeights } from './chip/irdrop.js';
export { nudgeDac } from './chip/measure.js';

// Model: the ideal network's kernels and a realised chip's circuit equations.
export { accumulateEnergyParamGrad, computeDrives, energyGdVelocity, energyOf, freeEnergyOf, gradFromDrives, Scratch, type NeuronActivation } from './dynamics/network.js';
export { rho, rhoAndDeriv, rhoPrime } from './dynamics/activation.js';
export { CircuitModel, K_BOLTZMANN } from './dynamics/circuit.js';

// Engines: where phases relax (close an engine when done: it holds worker threads).
export { createEngine, LocalEngine, type RelaxEngine } from './solvers/engine.js';
export { openEngine, type EngineKind } from './solvers/fast-engine.js';
export { relaxEquilibrium, relaxPaper, type RelaxStats } from './solvers/relax.js';
export { relaxTransient, type TransientStats } from './solvers/transient.js';

// SPICE bridge: a realised chip as an ngspice netlist, run in process (ngspice 45 in WebAssembly) and compared.
export { fastestTau, stateNodeNames, writeNetlist, type NetlistOptions } from './spice/netlist.js';
export { compareWithSpice, runSpice, type SpiceCompareOptions, type SpiceComparison, type SpiceTrace } from './spice/run.js';
export { chipPhases, comparePhase, phaseNetlist, sampleStart, type ChipPhases, type SpicePhase } from './spice/check.js';

// Learning: gradient estimates (ideal and in situ), exact gradients, optimiser, checkpoints, training.
export { estimateColumns, type GradientEstimate, type PhaseStats } from './learning/estimate.js';
export { flowMse, gradepEstimate, type GradEPConfig } from './learning/gradep.js';
export { insituEstimate, insituEstimator, localGradient } from './learning/insitu.js';
export { compareGrads, exactFlowGradient } from './learning/exact-grad.js';
export { initParams } from './learning/init.js';
export { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_V1, loadCheckpoint, saveCheckpoint, type Checkpoint, type OverrideRecord, type TrainHyper } from './learning/checkpoint.js';
export { PAPER_RECIPE, runTraining, type StepRow, type TrainEvent, type TrainOptions } from './experiments/train.js';

// Flow matching and generation: ideal, on a chip, and fully analogue.
export { BatchPrefetcher, drawFlowBatch, type FlowBatch, type Pairing } from './flow/batch.js';
export { eulerEvaluations, generate, generateSnapshots, velocity, type SampleOptions, type SampleResult, type VelocityMode } from './flow/sample.js';
export { generateOnChip, type ChipSampleOptions, type ChipSampleResult } from './flow/sample-chip.js';
export { generateAnalogue, type AnalogueOptions } from './flow/analogue.js';

// Metrics: sample quality against the data, with reference rows.
export { evaluateSamples, fdExtrapolated, referenceRows, type QualityMetrics, type QualityOptions } from './metrics/quality.js';
export { bootstrapInterval, differenceInterval, meanInterval, type Difference, type Interval } from './metrics/intervals.js';
// The cost model (docs/energy.md): counts, energy and time per term, the digital baseline.
export {
  adcEnergy,
  costBars,
  costBreakdown,
  countOps,
  dacEnergy,
  deviceCount,
  digitalBaseline,
  type CostBreakdown,
  type CostTerm,
  type MeasuredResistive,
  type OpCounts,
} from './metrics/cost.js';
export type { CostSpec } from './circuit/spec.js';

// Experiments and reports: sweeps over circuit fields, and their figures.
export { collectSweep, loadSweep, parseShard, readResults, runSweep, sweepPoints, type SweepPoint, type SweepResult, type SweepSpec } from './experiments/sweep/index.js';
export { relaxOnChip } from './experiments/relax-chip.js';
export { writeSweepReport } from './report/sweep-report.js';

// Device models (simple / pcm / reram) and update modes (write_verify, pulsed).
export { deviceReader, deviceWriter, lastWriteStats, pcmDriftExponents, pcmNuMoments, pcmProgramStd, pcmReadStd, type WriteStats } from './chip/device-model.js';
export { writeVerify, writeVerifyArray, type VerifyResult } from './chip/write-verify.js';
export { applyPulses, applyUpdate, loadWeights, pulseCount, pulsedTrainer, realisePulsed, type PulsedArray, type PulsedDevices } from './chip/pulsed.js';
export { PROGRAM_MODEL_FIELDS, type PcmSpec, type ProgramModelSpec, type PulsedSpec, type ReramSpec } from './circuit/device-schema.js';
