/** Merging shard directories. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GradepError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { readResults, type SweepLine } from './results.js';

/** Merge shard directories into `outDir/results.jsonl` (one line per point, index order). */
export function collectSweep(dirs: string[], outDir: string): SweepLine[] {
  const all = new Map<string, SweepLine>();
  for (const d of dirs) {
    if (!existsSync(join(d, 'results.jsonl'))) throw new GradepError(`${d}: no results.jsonl to collect`);
    for (const [k, r] of readResults(d)) all.set(k, r);
  }
  const rows = [...all.values()].sort((a, b) => a.index - b.index);
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, 'results.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  return rows;
}
