/**
 * The GradEP weight measurement in WebAssembly (src/learning/local-grad.ts, the register-blocked
 * outerSub of assembly/outer.ts) must give accumulateEnergyParamGrad's sums bit for bit, on the
 * paper's layer sizes and on sizes that leave rows and columns outside the 2 x 8 blocks.
 */
import { describe, expect, it } from 'vitest';
import { type Dims, PAPER_DIMS, stateSize, zeroParams } from '../src/circuit/params.js';
import { accumulateEnergyParamGrad } from '../src/dynamics/network.js';
import { accumulateLocalGrad } from '../src/learning/local-grad.js';
import { wasmAvailable } from '../src/solvers/wasm-engine.js';
import { Rng } from '../src/util/rng.js';

function states(d: Dims, B: number, seed: number): Float64Array {
  const r = new Rng(seed, 'local-grad-test');
  const s = new Float64Array(B * stateSize(d));
  for (let i = 0; i < s.length; i++) s[i] = 2 * r.normal();
  return s;
}

describe.runIf(wasmAvailable())('accumulateLocalGrad', () => {
  for (const [name, d, B] of [['paper sizes', PAPER_DIMS, 53], ['odd sizes', { nx: 13, n1: 7, n2: 10 }, 37], ['one sample', { nx: 9, n1: 3, n2: 17 }, 1]] as const) {
    it(`is accumulateEnergyParamGrad bit for bit (${name}, two accumulations of opposite sign)`, () => {
      const sP = states(d, B, 1);
      const sM = states(d, B, 2);
      const ref = zeroParams(d);
      const got = zeroParams(d);
      const scratch = () => [new Float64Array(d.n1), new Float64Array(d.n2)] as const;
      accumulateEnergyParamGrad(d, sP, 0, B, 0.37, ref, ...scratch());
      accumulateEnergyParamGrad(d, sM, 0, B, -0.37, ref, ...scratch());
      accumulateLocalGrad(d, sP, B, 0.37, got, ...scratch());
      accumulateLocalGrad(d, sM, B, -0.37, got, ...scratch());
      for (const k of ['W0', 'W1', 'b0', 'b1', 'bx'] as const) {
        expect(Array.from(got[k])).toEqual(Array.from(ref[k]));
        expect(got[k].some((v) => v !== 0)).toBe(true);
      }
    });
  }
});
