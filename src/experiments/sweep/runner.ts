/** Running a sweep: this shard's points not yet in DIR/results.jsonl, on a pool of engines. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type RelaxEngine } from '../../solvers/engine.js';
import { appendLine, writeFileAtomic } from '../../util/atomic.js';
import { runPoint } from './actions.js';
import { SweepContext } from './context.js';
import { sweepPoints } from './points.js';
import { readResults, type SweepResult } from './results.js';
import { type SweepSpec } from './spec.js';

export type SweepEvent = { type: 'point'; done: number; total: number; result: SweepResult; cached: boolean };

/** Run this shard's points that DIR/results.jsonl does not hold yet, `jobs` at a time. */
export async function runSweep(spec: SweepSpec, file: string, outDir: string, shard: { i: number; n: number }, jobs: number, makeEngine: () => Promise<RelaxEngine>, onEvent: (e: SweepEvent) => void = () => {}): Promise<SweepResult[]> {
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, 'sweep.json'), JSON.stringify({ file, spec }, null, 1));
  const mine = sweepPoints(spec, file).filter((p) => p.index % shard.n === shard.i);
  const done = readResults(outDir);
  const ctx = new SweepContext(spec, file, outDir);
  const results: SweepResult[] = [];
  let count = 0;
  for (const p of mine) {
    const cached = done.get(p.key);
    if (cached) {
      // Numbered as the point is now (values added to or dropped from the file renumber points).
      const r = { ...cached, index: p.index };
      results.push(r);
      onEvent({ type: 'point', done: ++count, total: mine.length, result: r, cached: true });
    }
  }
  const todo = mine.filter((p) => !done.has(p.key));
  ctx.pending = todo;
  let next = 0;
  const worker = async () => {
    const engine = await makeEngine();
    try {
      while (next < todo.length) {
        const p = todo[next++];
        const r = await runPoint(p, ctx, engine);
        appendLine(join(outDir, 'results.jsonl'), JSON.stringify(r));
        results.push(r);
        onEvent({ type: 'point', done: ++count, total: mine.length, result: r, cached: false });
      }
    } finally {
      await engine.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, todo.length)) }, worker));
  return results.sort((a, b) => a.index - b.index);
}
