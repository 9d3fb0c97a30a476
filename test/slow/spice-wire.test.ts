/**
 * Slow tier (`npm run test:slow`): line resistance through ngspice on the 64-6-5 network of
 * docs/spice.md's table (the wire network of every cell makes it the costliest case, ~30 s).
 * test/spice.test.ts runs the same case on 64-1-1.
 */
import { describe, it } from 'vitest';
import { expectAgreement } from '../helpers/spice-case.js';

describe('gradep and ngspice agree node by node (64-6-5, strong weights)', () => {
  it('line resistance (r_wire 300 ohm, exact IR-drop model): free, +beta and -beta phases within 1e-3 state units', async () => {
    await expectAgreement('line resistance', { synapse: { r_wire: 300, ir_model: 'exact', g_dtod: 0.2 } });
  });
});
