/**
 * Opening an engine: the WebAssembly SIMD kernels on all cores ("fast", float32, the default;
 * the float64 workers where WebAssembly SIMD is missing) or the float64 TypeScript workers
 * ("js", the reference precision).
 */
import { createEngine, type RelaxEngine } from './engine.js';
import { createFastEngine } from './wasm-engine.js';

export type EngineKind = 'fast' | 'js';

export { createFastEngine };

/** An engine of the given kind on `threads` worker threads (default: all cores). Close it when done. */
export function openEngine(kind: EngineKind = 'fast', threads?: number): Promise<RelaxEngine> {
  return kind === 'fast' ? createFastEngine(threads) : Promise.resolve(createEngine(threads));
}
