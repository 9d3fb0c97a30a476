import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GradepError } from './errors.js';

/** Parse a user's JSON file; a missing file or bad JSON is a one-line error naming the file. */
export function readJsonFile(file: string, what: string): unknown {
  if (!existsSync(file)) throw new GradepError(`${file}: ${what} file not found`);
  if (statSync(file).isDirectory()) throw new GradepError(`${file}: is a directory, allowed a ${what} file`);
  return parseJsonText(readFileSync(file, 'utf8'), file);
}

/**
 * JSON.parse with one-line errors naming `file`: a syntax error with its line and column
 * (V8 quotes the offending text, newlines included), and a number literal too large for a
 * double (1e400 parses to Infinity, which later checks would print as null) with its field.
 */
export function parseJsonText(text: string, file: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new GradepError(`${file}: not valid JSON (${syntaxMessage(text, (e as Error).message)})`);
  }
  // Only a literal with a 3-digit exponent or 309+ digits can overflow: skip the walk otherwise.
  if (/[eE]\+?\d{3}|\d{309}/.test(text)) {
    const path = nonFinitePath(v, '');
    if (path !== null) {
      const literal = text.match(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g)?.find((t) => !t.startsWith('"') && !Number.isFinite(Number(t)));
      throw new GradepError(`${file}: ${path || '(top level)'}: got ${literal ?? 'a number'} (not a finite number), allowed a finite number`);
    }
  }
  return v;
}

function syntaxMessage(text: string, message: string): string {
  // Drop V8's quoted excerpt (`, "..." is not valid JSON`), which spans lines.
  const head = message.replace(/, (?:\.\.\.)?"[\s\S]*$/, '');
  const at = /at position (\d+)/.exec(head);
  if (!at) return head.replace(/\s+/g, ' ');
  const before = text.slice(0, Number(at[1])).split('\n');
  return head.replace(/at position \d+.*$/, `at line ${before.length} column ${before[before.length - 1].length + 1}`).replace(/\s+/g, ' ');
}

/** Path ("a.b[2]") of the first non-finite number in a parsed value, or null. */
function nonFinitePath(v: unknown, path: string): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : path;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = nonFinitePath(v[i], `${path}[${i}]`);
      if (p !== null) return p;
    }
  } else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const p = nonFinitePath(x, path ? `${path}.${k}` : k);
      if (p !== null) return p;
    }
  }
  return null;
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
