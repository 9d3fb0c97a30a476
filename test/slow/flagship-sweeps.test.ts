/**
 * Slow tier (`npm run test:slow`, after `npm test` has built dist/): every committed sweep file
 * but the one test/sweep.test.ts runs, end to end on its --quick budget, then reported.
 */
import { describe, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAST_FLAGSHIPS, FLAGSHIPS, runFlagship } from '../helpers/flagship.js';

const dir = mkdtempSync(join(tmpdir(), 'gradep-flagship-'));

describe('the flagship sweeps', () => {
  for (const f of FLAGSHIPS.filter((x) => !FAST_FLAGSHIPS.includes(x))) it(`${f} runs with --quick and reports`, () => runFlagship(dir, f));
});
