/**
 * Slow tier (`npm run test:slow`): a checkpoint past V8's largest string saves and loads. The
 * same writer and byte parser at ~6 MB are in test/checkpoint-guard.test.ts.
 */
import { describe, it } from 'vitest';
import type { Dims } from '../../src/circuit/params.js';
import { expectRoundTrip } from '../helpers/big-checkpoint.js';

describe('checkpoints of any allowed size save and load', () => {
  it('a checkpoint whose JSON exceeds the largest string V8 allows saves and loads bit-exactly', () => {
    // 64-2600-2600: about 28 million numbers, over 512 MiB of JSON (the old JSON.stringify limit).
    const d: Dims = { nx: 64, n1: 2600, n2: 2600 };
    expectRoundTrip(d, 2 ** 29);
  });
});
