/** The fastest engine available here (placeholder until the WebAssembly engine lands: the worker engine). */
import { createEngine, type RelaxEngine } from './engine.js';

export async function createFastEngine(threads?: number): Promise<RelaxEngine> {
  return createEngine(threads);
}
