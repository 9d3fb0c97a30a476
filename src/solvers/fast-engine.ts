/** The fastest engine available here: WebAssembly SIMD kernels on all cores, else the float64 workers. */
export { createFastEngine } from './wasm-engine.js';
