/** A point's training directory (DIR/points/<key>): what an interrupted run left there, checked before resuming it. */
import { closeSync, existsSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FORMAT } from '../../learning/checkpoint.js';

/** The `format` of a checkpoint file, read from its first bytes (saveCheckpoint writes it first); null if not found there. */
function formatOf(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(256);
    const n = readSync(fd, b, 0, b.length, 0);
    return /"format"\s*:\s*"([^"]*)"/.exec(b.subarray(0, n).toString('utf8'))?.[1] ?? null;
  } finally {
    closeSync(fd);
  }
}

/**
 * A point interrupted under older code holds a checkpoint of an older format, which records
 * no engine or chip seed and cannot be resumed as the same experiment: the point counts as
 * not started. Its directory is removed; the returned note says so (null when nothing was).
 */
export function clearOutdatedPoint(outDir: string, key: string): string | null {
  const runDir = join(outDir, 'points', key);
  const ck = join(runDir, 'checkpoint.json');
  if (!existsSync(ck)) return null;
  const format = formatOf(ck);
  if (format === CHECKPOINT_FORMAT) return null;
  rmSync(runDir, { recursive: true, force: true });
  return `${ck}: format ${JSON.stringify(format)} from older code cannot be resumed; the point is recomputed from the start`;
}
