/** Library entry: the building blocks behind the gradep CLI. */
export * from './dynamics/network.js';
export * from './solvers/relax.js';
export * from './solvers/engine.js';
export * from './learning/gradep.js';
export * from './learning/exact-grad.js';
export * from './learning/checkpoint.js';
export * from './flow/sample.js';
export * from './flow/batch.js';
export * from './circuit/spec.js';
export * from './experiments/train.js';
export * from './metrics/quality.js';
