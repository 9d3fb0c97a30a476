/**
 * Opening an engine: the WebAssembly SIMD kernels on all cores ("fast", float32, the default;
 * the float64 workers where WebAssembly SIMD is missing) or the float64 TypeScript workers
 * ("js", the reference precision).
 */
import { createEngine, type RelaxEngine } from './engine.js';
import { createFastEngine, WasmEngine } from './wasm-engine.js';

export type EngineKind = 'fast' | 'js';

export { createFastEngine };

/** An engine of the given kind on `threads` worker threads (default: all cores). Close it when done. */
export function openEngine(kind: EngineKind = 'fast', threads?: number): Promise<RelaxEngine> {
  return kind === 'fast' ? createFastEngine(threads) : Promise.resolve(createEngine(threads));
}

/**
 * The numerics an engine computes with, as a checkpoint records them: `wasm-f32-fma` or
 * `wasm-f32` (the WebAssembly kernels, with or without relaxed FMA) or `js-f64` (the
 * TypeScript workers, also what "fast" falls back to). Thread count is not part of it:
 * results do not depend on it.
 */
export function engineName(e: RelaxEngine): string {
  if (e instanceof WasmEngine) return e.fma ? 'wasm-f32-fma' : 'wasm-f32';
  return 'js-f64';
}
