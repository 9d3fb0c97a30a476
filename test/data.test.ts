import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDigits, loadDigitsFile } from '../src/data/optdigits.js';

const tmp = mkdtempSync(join(tmpdir(), 'gradep-data-'));
const line = (px: number[], label: number) => [...px, label].join(',');

describe('optdigits loader', () => {
  it('loads both shipped splits with the documented sizes and scales to [-1, 1]', () => {
    const tes = loadDigits('tes');
    const tra = loadDigits('tra');
    expect(tes.n).toBe(1797);
    expect(tra.n).toBe(3823);
    expect(Math.min(...tes.images)).toBe(-1);
    expect(Math.max(...tes.images)).toBe(1);
    // v/16*2-1: pixel value 4 -> -0.5
    const f = join(tmp, 'one.txt');
    writeFileSync(f, line(Array(64).fill(4), 3) + '\n');
    const one = loadDigitsFile(f);
    expect(one.images[0]).toBe(-0.5);
    expect(one.labels[0]).toBe(3);
    // every class present in the training split
    expect(new Set(tes.labels).size).toBe(10);
  });
  const bad: [string, string, RegExp][] = [
    ['short', line(Array(63).fill(0), 1), /short\.txt:2: expected 65 comma-separated integers/],
    ['pixel', line([...Array(63).fill(0), 17], 1), /pixel\.txt:2: pixel 64 is 17, allowed 0\.\.16/],
    ['label', line(Array(64).fill(0), 12), /label\.txt:2: label is 12, allowed 0\.\.9/],
    ['text', line([...Array(10).fill(0), 'x' as unknown as number, ...Array(53).fill(0)], 1), /text\.txt:2: field 11 is "x", expected an integer 0\.\.16 \(pixel\)/],
  ];
  for (const [name, l, re] of bad) {
    it(`rejects a bad line (${name}) with file and line number`, () => {
      const f = join(tmp, `${name}.txt`);
      writeFileSync(f, line(Array(64).fill(1), 0) + '\n' + l + '\n');
      expect(() => loadDigitsFile(f)).toThrow(re);
    });
  }
  it('rejects a missing file', () => {
    expect(() => loadDigitsFile(join(tmp, 'nope.tes'))).toThrow(/nope\.tes: data file not found/);
  });
});
