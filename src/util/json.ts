import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GradepError } from './errors.js';

/** Files above this size are parsed from bytes: their text may exceed V8's largest string (~512 MiB). */
const LARGE_JSON_BYTES = 256 * 1024 * 1024;

/** Parse a user's JSON file; a missing file or bad JSON is a one-line error naming the file. */
export function readJsonFile(file: string, what: string): unknown {
  if (!existsSync(file)) throw new GradepError(`${file}: ${what} file not found`);
  if (statSync(file).isDirectory()) throw new GradepError(`${file}: is a directory, allowed a ${what} file`);
  // Past V8's string limit (large checkpoints) the bytes are parsed directly.
  if (statSync(file).size > LARGE_JSON_BYTES) {
    try {
      return parseJsonBuffer(readFileSync(file));
    } catch (e) {
      throw new GradepError(`${file}: not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
    }
  }
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

const WS = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) WS[c] = 1;

/**
 * JSON.parse for UTF-8 bytes of any length: never builds the whole text as one string.
 * Containers are walked here; every flat array (no string, array or object inside, the
 * bulk of a checkpoint) and every scalar goes through JSON.parse, so values are exactly
 * what JSON.parse gives.
 */
export function parseJsonBuffer(buf: Buffer): unknown {
  let i = 0;
  const fail = (msg: string): never => {
    throw new SyntaxError(`${msg} at position ${i}`);
  };
  const skip = () => {
    while (i < buf.length && WS[buf[i]]) i++;
  };
  const expect = (c: number) => {
    skip();
    if (buf[i] !== c) fail(`expected '${String.fromCharCode(c)}'`);
    i++;
  };
  const slice = (from: number, to: number) => JSON.parse(buf.toString('utf8', from, to)) as unknown;
  const stringEnd = (from: number) => {
    let j = from + 1;
    while (j < buf.length && buf[j] !== 0x22) j += buf[j] === 0x5c ? 2 : 1;
    if (j >= buf.length) fail('unterminated string');
    return j + 1;
  };
  const value = (): unknown => {
    skip();
    const c = buf[i];
    if (c === 0x7b) return object();
    if (c === 0x5b) return array();
    const from = i;
    if (c === 0x22) i = stringEnd(i);
    else while (i < buf.length && !WS[buf[i]] && buf[i] !== 0x2c && buf[i] !== 0x5d && buf[i] !== 0x7d) i++;
    if (i === from) fail('expected a value');
    return slice(from, i);
  };
  const array = (): unknown[] => {
    const from = i;
    let j = i + 1;
    while (j < buf.length && buf[j] !== 0x5d && buf[j] !== 0x5b && buf[j] !== 0x7b && buf[j] !== 0x22) j++;
    if (buf[j] === 0x5d) {
      i = j + 1;
      return slice(from, i) as unknown[];
    }
    i++;
    const out: unknown[] = [];
    skip();
    if (buf[i] === 0x5d) return (i++, out);
    for (;;) {
      out.push(value());
      skip();
      if (buf[i] === 0x5d) return (i++, out);
      expect(0x2c);
    }
  };
  const object = (): Record<string, unknown> => {
    i++;
    const out: Record<string, unknown> = {};
    skip();
    if (buf[i] === 0x7d) return (i++, out);
    for (;;) {
      skip();
      if (buf[i] !== 0x22) fail('expected a key');
      const from = i;
      i = stringEnd(i);
      const key = slice(from, i) as string;
      expect(0x3a);
      // Own property, as JSON.parse makes it (plain assignment of "__proto__" would not).
      Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true });
      skip();
      if (buf[i] === 0x7d) return (i++, out);
      expect(0x2c);
    }
  };
  const v = value();
  skip();
  if (i !== buf.length) fail('unexpected data after the value');
  return v;
}

/**
 * The path of the first non-finite number in a JSON-like value (objects, arrays, typed
 * arrays), e.g. `grads.W0[3][5]`, with the number; null when every number is finite.
 * JSON would write such a number as null, silently.
 */
export function firstNonFinite(v: unknown, path: string): { path: string; value: number } | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : { path, value: v };
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = v as unknown as ArrayLike<number>;
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return { path: `${path}[${i}]`, value: a[i] };
    return null;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = firstNonFinite(v[i], `${path}[${i}]`);
      if (r) return r;
    }
    return null;
  }
  if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const r = firstNonFinite(x, path ? `${path}.${k}` : k);
      if (r) return r;
    }
  }
  return null;
}

/** JSON text of a result that has only finite numbers; otherwise a one-line error naming `what` and the field. */
export function finiteJson(doc: unknown, what: string): string {
  const bad = firstNonFinite(doc, '');
  if (bad) throw new GradepError(`${what}: ${bad.path} is ${bad.value} (a relaxation diverged: check the inputs' scale and the circuit's stability); nothing written`);
  return JSON.stringify(doc);
}
