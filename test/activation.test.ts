import { describe, expect, it } from 'vitest';
import { rho, rhoAndDeriv, rhoPrime, rhoSecond } from '../src/dynamics/activation.js';

const ref = (u: number) => 10 * Math.tanh((u / (1 + Math.exp(-u))) / 10);

describe('activation rho(u) = 10 tanh(silu(u)/10)', () => {
  const us = [-50, -8, -3, -1, -0.3, 0, 0.2, 1, 2.5, 7, 40];
  it('matches the definition', () => {
    for (const u of us) expect(rho(u)).toBeCloseTo(ref(u), 13);
  });
  it('rho and rho\' agree with central differences, rho\'\' with differences of rho\'', () => {
    const h = 1e-5;
    const out = new Float64Array(2);
    for (const u of us) {
      rhoAndDeriv(u, out, 0);
      expect(out[0]).toBeCloseTo(rho(u), 13);
      expect(out[1]).toBeCloseTo(rhoPrime(u), 13);
      expect(rhoPrime(u)).toBeCloseTo((ref(u + h) - ref(u - h)) / (2 * h), 8);
      expect(rhoSecond(u)).toBeCloseTo((rhoPrime(u + h) - rhoPrime(u - h)) / (2 * h), 7);
    }
  });
  it('the closed form of the paper for rho\'', () => {
    for (const u of us) {
      const s = 1 / (1 + Math.exp(-u));
      const t = Math.tanh((u * s) / 10);
      expect(rhoPrime(u)).toBeCloseTo((1 - t * t) * s * (1 + u * (1 - s)), 13);
    }
  });
});
