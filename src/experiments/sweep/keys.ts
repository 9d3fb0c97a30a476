/**
 * Point-key versions. Version 1 (sweeps before key versions were recorded) named the
 * checkpoint by its path, so replacing the file kept the old results; version 2 names it by a
 * hash of its contents. DIR/sweep.json records the version and the hash the keys were made
 * with, so `gradep report` recomputes the same keys without reading the checkpoint again.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { resolveInput, type SweepSpec } from './spec.js';

export const KEY_VERSION = 2;

/** How a run's point keys name the checkpoint. */
export interface PointKeys {
  version: 1 | 2;
  /** sha256 of the checkpoint's bytes (version 2, when an action uses the checkpoint), else null. */
  checkpoint_sha256: string | null;
}

/** For checks that only compare points of one sweep with each other (the checkpoint part is common to all). */
export const COMPARE_KEYS: PointKeys = { version: KEY_VERSION, checkpoint_sha256: null };

/** sha256 of a file, read in chunks (checkpoints may be larger than one string). */
export function sha256File(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 22);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** Whether any action reads the checkpoint (in-situ-only sweeps need no checkpoint file). */
export const usesCheckpoint = (spec: SweepSpec) => spec.actions.some((a) => a !== 'insitu');

/** The keys a new run makes: the current version, the checkpoint hashed now. */
export function currentKeys(spec: SweepSpec, file: string): PointKeys {
  return { version: KEY_VERSION, checkpoint_sha256: usesCheckpoint(spec) ? sha256File(resolveInput(spec.checkpoint, file, 'checkpoint')) : null };
}

/** The keys recorded in DIR/sweep.json (`keys`); a file without them was written with version 1. */
export function recordedKeys(meta: Record<string, unknown>): PointKeys {
  const k = meta.keys as Partial<PointKeys> | undefined;
  if (k && k.version === KEY_VERSION) return { version: KEY_VERSION, checkpoint_sha256: typeof k.checkpoint_sha256 === 'string' ? k.checkpoint_sha256 : null };
  return { version: 1, checkpoint_sha256: null };
}

/** What stands for the checkpoint in a point's identity. */
export function checkpointId(spec: SweepSpec, keys: PointKeys): unknown {
  return keys.version === 1 ? spec.checkpoint : { sha256: keys.checkpoint_sha256 };
}
