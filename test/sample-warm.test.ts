/**
 * Warm-started sampling (SampleOptions.warmStart): each velocity evaluation relaxes from the
 * previous evaluation's hidden state. Where the energy has one basin (the paper
 * initialisation) the samples agree with cold starts to the relaxation tolerance; on trained
 * weights warm starts can settle in another basin (measured in docs/performance.md), which is
 * why cold starts stay the default.
 */
import { describe, expect, it } from 'vitest';
import { PAPER_DIMS } from '../src/circuit/params.js';
import { DEFAULT_EQUILIBRIUM, type RelaxSpec } from '../src/circuit/analysis.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { initParams } from '../src/learning/init.js';
import { generate, WARM_START_DEFAULT, type VelocityMode } from '../src/flow/sample.js';

const d = PAPER_DIMS;
const spec = (tol: number): RelaxSpec => ({ method: 'equilibrium', paper: { eps: 0.1, T: 300 }, equilibrium: { ...DEFAULT_EQUILIBRIUM, tol } });

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('warm-started sampling', () => {
  it('is off by default (cold starts: the reference semantics)', () => {
    expect(WARM_START_DEFAULT).toBe(false);
  });

  for (const mode of ['energy_gd', 'spring'] as VelocityMode[]) {
    it(`agrees with cold starts to the relaxation tolerance on one basin, with fewer iterations (${mode})`, async () => {
      const p = initParams(d, 1);
      const e = new LocalEngine();
      const run = (tol: number, warmStart: boolean) => generate(e, p, d, { mode, lambda: 15, alpha: 2, relax: spec(tol), n: 8, t1: 0.5, dt: 0.01, seed: 0, warmStart });
      const cold = await run(1e-6, false);
      const warm = await run(1e-6, true);
      const tight = await run(1e-9, false);
      // The tolerance's own effect on cold samples sets the scale (measured ~4e-8 / 1.3e-7).
      const scale = maxAbsDiff(cold.samples, tight.samples);
      expect(maxAbsDiff(warm.samples, cold.samples)).toBeLessThan(Math.max(4 * scale, 1e-6));
      expect(maxAbsDiff(warm.samples, tight.samples)).toBeLessThan(Math.max(4 * scale, 1e-6));
      expect(warm.relax.iterationsMean).toBeLessThan(cold.relax.iterationsMean);
      expect(warm.evaluations).toBe(cold.evaluations);
    });
  }
});
