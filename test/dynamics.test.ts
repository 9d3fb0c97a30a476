import { describe, expect, it } from 'vitest';
import { computeDrives, freeEnergyOf, gradFromDrives, Scratch } from '../src/dynamics/network.js';
import type { Phase } from '../src/circuit/phase.js';
import { stateSize } from '../src/circuit/params.js';
import { relaxPaper } from '../src/solvers/relax.js';
import { rho, rhoPrime } from '../src/dynamics/activation.js';
import { randomParams, randomState, randomVectors, TINY } from './helpers/fixtures.js';

describe('paper-exact relaxation step', () => {
  it('matches the update equations of the paper written out by hand', () => {
    // nx = 2, n1 = 2, n2 = 1, all weights explicit.
    const d = { nx: 2, n1: 2, n2: 1 };
    const p = {
      W0: Float64Array.from([0.5, -0.25, 0.1, 0.3]), // h1_0 <- x, h1_1 <- x
      b0: Float64Array.from([0.05, -0.1]),
      W1: Float64Array.from([0.7, -0.4]),
      b1: Float64Array.from([0.2]),
      bx: Float64Array.from([0.01, -0.02]),
    };
    const s = Float64Array.from([0.3, -0.6, 0.4, -0.2, 0.8]); // x0 x1 h1_0 h1_1 h2_0
    const xt = Float64Array.from([0.25, -0.5]);
    const xtg = Float64Array.from([0.35, -0.45]);
    const eps = 0.1;
    const lam = 15;
    const bk = 1.25e-3 * (2 * 15) ** 2;
    const [x0, x1, a, b, c] = s;
    const r1 = [rho(a), rho(b)];
    const r2 = rho(c);
    // x <- (1-eps)x + eps(bx + W0^T rho(h1)) - eps lam (x - xt) - eps beta kappa (x - xtarget)
    const ex0 = (1 - eps) * x0 + eps * (0.01 + 0.5 * r1[0] + 0.1 * r1[1]) - eps * lam * (x0 - 0.25) - eps * bk * (x0 - 0.35);
    const ex1 = (1 - eps) * x1 + eps * (-0.02 - 0.25 * r1[0] + 0.3 * r1[1]) - eps * lam * (x1 + 0.5) - eps * bk * (x1 + 0.45);
    // h1 <- (1-eps)h1 + eps rho'(h1) (W0 x + b0 + W1^T rho(h2))
    const ea = (1 - eps) * a + eps * rhoPrime(a) * (0.5 * x0 - 0.25 * x1 + 0.05 + 0.7 * r2);
    const eb = (1 - eps) * b + eps * rhoPrime(b) * (0.1 * x0 + 0.3 * x1 - 0.1 - 0.4 * r2);
    // h2 <- (1-eps)h2 + eps rho'(h2) (W1 rho(h1) + b1)
    const ec = (1 - eps) * c + eps * rhoPrime(c) * (0.7 * r1[0] - 0.4 * r1[1] + 0.2);
    relaxPaper(p, d, s, { lambda: lam, betaKappa: bk, xt, xtarget: xtg }, { eps, T: 1 }, 0, 1);
    const want = [ex0, ex1, ea, eb, ec];
    for (let i = 0; i < 5; i++) expect(s[i]).toBeCloseTo(want[i], 14);
  });
});

describe('forces and energy', () => {
  const d = TINY;
  const N = stateSize(d);
  const p = randomParams(d, 3, 1.5);
  const B = 3;
  const xt = randomVectors(B * d.nx, 4);
  const xtarget = randomVectors(B * d.nx, 5);
  const ph: Phase = { lambda: 2.5, betaKappa: 0.7, xt, xtarget };

  it('grad F equals central differences of F', () => {
    const s = randomState(d, B, 6);
    const sc = new Scratch(d);
    const g = new Float64Array(N);
    for (let b = 0; b < B; b++) {
      computeDrives(p, d, s, b * N, sc);
      gradFromDrives(d, s, b * N, ph, b, sc, g, 0);
      for (let n = 0; n < N; n++) {
        const h = 1e-6;
        const keep = s[b * N + n];
        s[b * N + n] = keep + h;
        const fp = freeEnergyOf(p, d, s, b * N, ph, b, sc);
        s[b * N + n] = keep - h;
        const fm = freeEnergyOf(p, d, s, b * N, ph, b, sc);
        s[b * N + n] = keep;
        expect(g[n]).toBeCloseTo((fp - fm) / (2 * h), 6);
      }
    }
  });

  it('F never increases along the paper relaxation (small eps: a gradient flow)', () => {
    const s = randomState(d, B, 7);
    const sc = new Scratch(d);
    let prev = freeEnergyOf(p, d, s, 0, ph, 0, sc);
    for (let t = 0; t < 200; t++) {
      relaxPaper(p, d, s, ph, { eps: 0.02, T: 1 }, 0, 1);
      const f = freeEnergyOf(p, d, s, 0, ph, 0, sc);
      expect(f).toBeLessThanOrEqual(prev + 1e-12);
      prev = f;
    }
  });
});
