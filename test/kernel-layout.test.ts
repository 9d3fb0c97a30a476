/**
 * The context block of the WebAssembly kernels comes from one table, src/solvers/kernel-layout.json:
 * CTX (TypeScript side) is read from it and assembly/layout.ts (AssemblyScript side, committed)
 * is generated from it. Checks both against the table and the table against itself.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CTX } from '../src/solvers/wasm-layout.js';
import { packagePath } from '../src/util/paths.js';
// @ts-expect-error plain-JS generator without type declarations
import { kernelName, OUT_PATH, readTable, render } from '../scripts/gen-kernel-layout.mjs';

interface Entry {
  offset: number;
  type: string;
  comment: string;
  section?: string;
}
interface Table {
  size: number;
  types: Record<string, { bytes: number; meaning: string }>;
  entries: Record<string, Entry>;
}

const table = readTable() as Table;
const entries = Object.entries(table.entries);

describe('kernel context-block layout', () => {
  it('CTX holds exactly the table offsets and SIZE', () => {
    const expected: Record<string, number> = { SIZE: table.size };
    for (const [name, e] of entries) expected[name] = e.offset;
    expect({ ...CTX }).toEqual(expected);
  });

  it('every entry has a known type and a comment', () => {
    for (const [name, e] of entries) {
      expect(table.types[e.type], name).toBeDefined();
      expect(Number.isInteger(e.offset), name).toBe(true);
      expect(e.comment.length, name).toBeGreaterThan(0);
    }
  });

  it('offsets are distinct, aligned, non-overlapping and inside the block', () => {
    const spans = entries
      .map(([name, e]) => ({ name, at: e.offset, bytes: table.types[e.type].bytes, vec: name.startsWith('V_') }))
      .sort((a, b) => a.at - b.at);
    expect(new Set(spans.map((s) => s.at)).size).toBe(spans.length);
    for (const s of spans) {
      expect(s.at % 4, s.name).toBe(0);
      // natural alignment of wider entries (f64: 8); vectors: 16
      expect(s.at % Math.min(s.bytes, 16), s.name).toBe(0);
      if (s.vec) {
        expect(s.at % 16, s.name).toBe(0);
        expect(s.bytes, s.name).toBe(16);
      }
      expect(s.at, s.name).toBeGreaterThanOrEqual(0);
      expect(s.at + s.bytes, s.name).toBeLessThanOrEqual(table.size);
    }
    for (let k = 1; k < spans.length; k++) {
      const p = spans[k - 1];
      expect(p.at + p.bytes, `${p.name} overlaps ${spans[k].name}`).toBeLessThanOrEqual(spans[k].at);
    }
  });

  it('the kernels see the same names as before the table (C_ prefix except O_ and V_)', () => {
    expect(kernelName('NX')).toBe('C_NX');
    expect(kernelName('REG')).toBe('C_REG');
    expect(kernelName('O_S')).toBe('O_S');
    expect(kernelName('V_E5')).toBe('V_E5');
  });

  it('assembly/layout.ts is up to date with the table (node scripts/gen-kernel-layout.mjs)', () => {
    const committed = readFileSync(packagePath(OUT_PATH), 'utf8');
    expect(committed).toBe(render(table));
    // and it declares every entry at the table's offset
    for (const [name, e] of entries) {
      expect(committed).toContain(`export const ${kernelName(name)} = ${e.offset};`);
    }
  });
});
