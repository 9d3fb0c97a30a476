/** The relaxation engine of a command, chosen by the global --engine and --threads options. */
import type { Command } from 'commander';
import type { RelaxEngine } from '../solvers/engine.js';
import { type EngineKind, openEngine } from '../solvers/fast-engine.js';
import { GradepError } from '../util/errors.js';

/** The global --threads, already checked by its parser (intIn) for every command. */
export function threadsOf(cmd: Command): number | undefined {
  return cmd.optsWithGlobals().threads as number | undefined;
}

/**
 * The engine for a command: the WebAssembly float32 kernels (fast, the default) or the
 * float64 TypeScript workers (`--engine js`, the reference precision).
 */
export function engineKind(cmd: Command): EngineKind {
  const kind = (cmd.optsWithGlobals().engine as string | undefined) ?? 'fast';
  if (kind !== 'fast' && kind !== 'js') throw new GradepError(`--engine: got ${JSON.stringify(kind)}, allowed "fast" or "js"`);
  return kind;
}

/** Runs `f` with the command's engine and always closes it (its workers keep the process alive). */
export async function withEngine<T>(cmd: Command, f: (e: RelaxEngine) => Promise<T>): Promise<T> {
  const engine = await openEngine(engineKind(cmd), threadsOf(cmd));
  try {
    return await f(engine);
  } finally {
    await engine.close();
  }
}
