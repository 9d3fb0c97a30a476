import { describe, expect, it } from 'vitest';
import { convergence } from '../src/metrics/convergence.js';
import { Rng } from '../src/util/rng.js';

describe('convergence of a loss curve (last 10% of steps against the 10% before)', () => {
  it('a curve still falling as 1/t is not flat; an exponential long past its time constant is', () => {
    const falling = Array.from({ length: 200 }, (_, t) => 1 + 10 / (t + 1));
    const c = convergence(falling)!;
    // Windows of 20 steps: means of 1 + 10/(t+1) over t = 160..179 and 180..199, by hand.
    const mean = (a: number, b: number): number => { let s = 0; for (let t = a; t <= b; t++) s += 1 + 10 / (t + 1); return s / (b - a + 1); };
    expect(c.window).toBe(20);
    expect(c.improvement).toBeCloseTo((mean(160, 179) - mean(180, 199)) / mean(160, 179), 12);
    expect(c.flat).toBe(c.improvement < 0.02);
    const steep = convergence(Array.from({ length: 200 }, (_, t) => 1 + 100 / (t + 1)))!;
    expect(steep.flat).toBe(false);
    const done = convergence(Array.from({ length: 200 }, (_, t) => 0.3 + Math.exp(-t / 10)))!;
    expect(done.flat).toBe(true);
    expect(Math.abs(done.improvement)).toBeLessThan(1e-6);
  });

  it('noise gives an interval around the improvement; too short a log gives null', () => {
    const rng = new Rng(5, 'test', 'conv');
    const noisy = Array.from({ length: 400 }, () => 0.4 + 0.05 * rng.normal());
    const c = convergence(noisy)!;
    expect(c.lo!).toBeLessThan(c.improvement);
    expect(c.hi!).toBeGreaterThan(c.improvement);
    expect(c.lo!).toBeLessThan(0);
    expect(c.hi!).toBeGreaterThan(0);
    expect(convergence([1, 2, 3])).toBeNull();
    expect(() => convergence([1, 2, 3, 4], 0.9)).toThrow(/frac/);
  });
});
