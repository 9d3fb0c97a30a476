import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GradepError } from './errors.js';

/** Parse a user's JSON file; a missing file or bad JSON is a one-line error naming the file. */
export function readJsonFile(file: string, what: string): unknown {
  if (!existsSync(file)) throw new GradepError(`${file}: ${what} file not found`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GradepError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Records of a JSONL file keyed by their `key` field; lines cut by a crash are skipped. */
export function readKeyedJsonl<T extends { key: string }>(path: string): Map<string, T> {
  const m = new Map<string, T>();
  if (!existsSync(path)) return m;
  for (const l of readFileSync(path, 'utf8').split('\n')) {
    if (!l.trim()) continue;
    try {
      const r = JSON.parse(l) as T;
      m.set(r.key, r);
    } catch {
      // a cut line: its record is recomputed
    }
  }
  return m;
}

/** A file named in a spec: relative to the working directory, the package root, or the spec's folder. */
export function resolveInput(path: string, file: string, what: string, root: string): string {
  for (const c of [resolve(path), resolve(root, path), resolve(dirname(file), path)]) if (existsSync(c)) return c;
  throw new GradepError(`${file}: ${what}: ${JSON.stringify(path)} not found (relative to the working directory or the package root)`);
}
