/**
 * Slow tier (`npm run test:slow`): a checkpoint past V8's largest string saves and loads. The
 * same writer and byte parser at ~6 MB are in test/checkpoint-guard.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dims } from '../../src/circuit/params.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/learning/checkpoint.js';
import { bigCheckpoint } from '../helpers/big-checkpoint.js';

describe('checkpoints of any allowed size save and load', () => {
  it('a checkpoint whose JSON exceeds the largest string V8 allows saves and loads bit-exactly', () => {
    // 64-2600-2600: about 28 million numbers, over 512 MiB of JSON (the old JSON.stringify limit).
    const d: Dims = { nx: 64, n1: 2600, n2: 2600 };
    const { ck, params, v } = bigCheckpoint(d);
    const dir = mkdtempSync(join(tmpdir(), 'gradep-big-'));
    const file = join(dir, 'checkpoint.json');
    try {
      saveCheckpoint(file, ck);
      expect(statSync(file).size).toBeGreaterThan(2 ** 29);
      const back = loadCheckpoint(file);
      expect(back.circuit.layers).toEqual(ck.circuit.layers);
      for (const k of ['W0', 'W1', 'bx'] as const) {
        expect(Buffer.from(back.params[k].buffer).equals(Buffer.from(params[k].buffer))).toBe(true);
        expect(Buffer.from(back.optimizer.v[k].buffer).equals(Buffer.from(v[k].buffer))).toBe(true);
      }
      expect(back.optimizer.t).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
