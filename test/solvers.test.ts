/**
 * Analytic checks of the transient solvers:
 * - src/solvers/ode.ts (odex = Hairer & Wanner's ODEX; Hairer, Norsett & Wanner, Solving ODEs I, sec. II.9)
 *   against closed-form linear RC circuits, settling time from the dense output, the step-limit error;
 * - src/solvers/sde.ts against the Ornstein-Uhlenbeck process: strong order (Kloeden & Platen 1992,
 *   Thm 10.2.2 / sec. 10.3: Euler-Maruyama has strong order 1 for additive noise) and the equipartition
 *   variance k_B T / C of an RC node with Johnson-Nyquist noise, including the known dt-bias of EM.
 */
import { describe, expect, it } from 'vitest';
import { integrateOde, type OdeSystem } from '../src/solvers/ode.js';
import { integrateSde, SdeStepper, type SdeScheme, type SdeSystem } from '../src/solvers/sde.js';
import { Rng } from '../src/util/rng.js';

const KB = 1.380649e-23; // J/K (SI 2019, exact)
const TEMP = 300; // K
const C = 100e-15; // 100 fF
const G = 100e-6; // 100 uS
const TAU = C / G; // 1 ns

/** Least-squares slope of log(err) against log(dt). */
function logLogSlope(dts: number[], errs: number[]): number {
  const xs = dts.map(Math.log);
  const ys = errs.map(Math.log);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxy / sxx;
}

/** Independent RC nodes dy_i/dt = -y_i / tau_i. */
function diagonal(taus: number[]): OdeSystem {
  return {
    n: taus.length,
    rhs(_t, y, dydt) {
      for (let i = 0; i < taus.length; i++) dydt[i] = -y[i] / taus[i];
    },
  };
}

describe('integrateOde (odex)', () => {
  it('RC decay matches V0 exp(-t/tau) at ns scale', () => {
    const V0 = 0.7;
    const t1 = 5 * TAU;
    const traceTimes = [0, 0.3 * TAU, TAU, 2.5 * TAU, t1];
    const res = integrateOde(diagonal([TAU]), Float64Array.of(V0), 0, t1, { rtol: 1e-10, atol: 1e-16, traceTimes });
    const exact = (t: number) => V0 * Math.exp(-t / TAU);
    const rel = Math.abs(res.y[0] - exact(t1)) / exact(t1);
    let traceRel = 0;
    traceTimes.forEach((t, i) => (traceRel = Math.max(traceRel, Math.abs(res.trace!.y[i][0] - exact(t)) / exact(t))));
    console.log(`RC decay: rel err at 5 tau ${rel.toExponential(2)}, dense-trace max rel err ${traceRel.toExponential(2)}, ` +
      `${res.steps} steps, ${res.rejected} rejected, ${res.evaluations} rhs evals`);
    expect(rel).toBeLessThan(1e-8);
    expect(traceRel).toBeLessThan(1e-8);
    expect(res.trace!.t).toEqual(traceTimes);
    expect(res.t).toBe(t1);
    expect(res.steps).toBeGreaterThan(0);
    expect(res.evaluations).toBeGreaterThan(res.steps);
    expect(res.settleTime).toBeNull();
  });

  it('two coupled RC nodes match the eigen-decomposition closed form', () => {
    // C dV/dt = -G V, node i leaks g_i to ground, nodes coupled by gc (G symmetric).
    const c1 = 100e-15, c2 = 50e-15, g1 = 100e-6, g2 = 20e-6, gc = 50e-6;
    const Gm = [[g1 + gc, -gc], [-gc, g2 + gc]];
    const sys: OdeSystem = {
      n: 2,
      rhs(_t, v, dv) {
        dv[0] = -(Gm[0][0] * v[0] + Gm[0][1] * v[1]) / c1;
        dv[1] = -(Gm[1][0] * v[0] + Gm[1][1] * v[1]) / c2;
      },
    };
    // With u = C^{1/2} V: du/dt = -A u, A = C^{-1/2} G C^{-1/2} symmetric -> orthonormal eigenvectors.
    const a11 = Gm[0][0] / c1, a22 = Gm[1][1] / c2, a12 = Gm[0][1] / Math.sqrt(c1 * c2);
    const m = 0.5 * (a11 + a22), r = Math.hypot(0.5 * (a11 - a22), a12);
    const lam = [m - r, m + r];
    const q = lam.map((l) => {
      const v = [a12, l - a11];
      const nv = Math.hypot(v[0], v[1]);
      return [v[0] / nv, v[1] / nv];
    });
    const V0 = [1, -0.4];
    const u0 = [Math.sqrt(c1) * V0[0], Math.sqrt(c2) * V0[1]];
    const exact = (t: number): number[] => {
      const u = [0, 0];
      for (let k = 0; k < 2; k++) {
        const coef = (q[k][0] * u0[0] + q[k][1] * u0[1]) * Math.exp(-lam[k] * t);
        u[0] += coef * q[k][0];
        u[1] += coef * q[k][1];
      }
      return [u[0] / Math.sqrt(c1), u[1] / Math.sqrt(c2)];
    };
    const tSlow = 1 / lam[0];
    const times = [0.2 * tSlow, tSlow, 3 * tSlow];
    const res = integrateOde(sys, Float64Array.from(V0), 0, 3 * tSlow, { rtol: 1e-10, atol: 1e-16, traceTimes: times });
    let err = 0;
    times.forEach((t, i) => {
      const e = exact(t);
      for (let j = 0; j < 2; j++) err = Math.max(err, Math.abs(res.trace!.y[i][j] - e[j]) / Math.max(Math.abs(e[0]), Math.abs(e[1])));
    });
    console.log(`two-node: time constants ${(1e9 / lam[0]).toFixed(4)} ns, ${(1e9 / lam[1]).toFixed(4)} ns; max rel err ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-8);
    const e1 = exact(3 * tSlow);
    expect(Math.abs(res.y[0] - e1[0])).toBeLessThan(1e-8 * Math.abs(e1[0]));
  });

  it('settling time of a linear circuit is tau ln(1/tol)', () => {
    const sys = diagonal([TAU, TAU / 3, TAU / 10]);
    for (const tol of [1e-3, 1e-6]) {
      const t1 = 3 * TAU * Math.log(1 / tol);
      const res = integrateOde(sys, Float64Array.of(1, 1, 1), 0, t1, { rtol: 1e-10, atol: 1e-16, settleTol: tol });
      const ideal = TAU * Math.log(1 / tol);
      // Exactly: e^{-t/tau} - e^{-t1/tau} = tol (y(t1) is not exactly 0).
      const exact = -TAU * Math.log(tol + Math.exp(-t1 / TAU));
      const ts = res.settleTime!;
      console.log(`settle tol=${tol}: ${(ts / TAU).toFixed(6)} tau; rel err vs tau ln(1/tol) ${((ts - ideal) / ideal).toExponential(2)}, ` +
        `vs exact crossing ${((ts - exact) / exact).toExponential(2)}; ${res.steps} steps`);
      expect(ts).not.toBeNull();
      expect(Math.abs(ts - ideal) / ideal).toBeLessThan(0.01);
      expect(Math.abs(ts - exact) / exact).toBeLessThan(1e-6);
    }
  });

  it('settling time of an underdamped circuit matches a brute-force scan of the dense output', () => {
    // Excursions peak inside accepted steps here, so this exercises the interior scan + bisection.
    const w = 2 * Math.PI / TAU, zeta = 0.05, t1 = 40 * TAU, tol = 1e-3;
    const sys: OdeSystem = {
      n: 2,
      rhs(_t, y, d) {
        d[0] = w * y[1]; // y[1] = velocity / w
        d[1] = -w * y[0] - 2 * zeta * y[1] * w;
      },
    };
    const K = 20001;
    const times = Array.from({ length: K }, (_, i) => (t1 * i) / (K - 1));
    const res = integrateOde(sys, Float64Array.of(1, 0), 0, t1, { rtol: 1e-10, atol: 1e-14, settleTol: tol, traceTimes: times });
    let last = -1;
    for (let i = 0; i < K; i++) {
      const y = res.trace!.y[i];
      if (Math.max(Math.abs(y[0] - res.y[0]), Math.abs(y[1] - res.y[1])) > tol) last = i;
    }
    console.log(`underdamped settle: ${(res.settleTime! / TAU).toFixed(6)} tau, brute-force bracket [${(times[last] / TAU).toFixed(4)}, ${(times[last + 1] / TAU).toFixed(4)}] tau, ${res.steps} steps`);
    expect(res.settleTime!).toBeGreaterThanOrEqual(times[last]);
    expect(res.settleTime!).toBeLessThanOrEqual(times[last + 1]);
  });

  it('settleTime: t0 when already settled, null when not settled by t1', () => {
    const sys = diagonal([TAU]);
    const settled = integrateOde(sys, Float64Array.of(1e-9), 0, 5 * TAU, { rtol: 1e-8, atol: 1e-16, settleTol: 1e-6 });
    expect(settled.settleTime).toBe(0);
    // still moving at t1 = 0.5 tau: the last excursion is in the final step
    const moving = integrateOde(sys, Float64Array.of(1), 0, 0.5 * TAU, { rtol: 1e-8, atol: 1e-16, settleTol: 1e-6 });
    expect(moving.settleTime).toBeNull();
  });

  it('throws the promised message when maxSteps is exceeded (and on a stiff circuit)', () => {
    expect(() => integrateOde(diagonal([TAU]), Float64Array.of(1), 0, 20 * TAU, { rtol: 1e-10, atol: 1e-16, maxSteps: 3 }))
      .toThrow(/^odex: step limit 3 reached at t=.*; the system is probably stiff/);
    // 1 fF-scale parasitic beside 100 fF: time constants 1e6 apart; the fast mode's stability bounds the step.
    expect(() => integrateOde(diagonal([TAU, TAU * 1e-6]), Float64Array.of(1, 1), 0, 10 * TAU, { rtol: 1e-6, atol: 1e-12, maxSteps: 2000 }))
      .toThrow(/odex: step limit 2000 reached at t=.*probably stiff/);
  });
});

/** N independent OU processes dX = -theta X dt + sigma dW. */
function ou(n: number, theta: number, sigma: number): SdeSystem {
  return {
    n,
    drift(_t, y, out) {
      for (let i = 0; i < n; i++) out[i] = -theta * y[i];
    },
    sigma: new Float64Array(n).fill(sigma),
  };
}

describe('integrateSde', () => {
  it('strong order 1 on Ornstein-Uhlenbeck (additive noise), Heun more accurate than EM', () => {
    // One system of M independent paths; reference = Heun on a 32x finer grid of the SAME Brownian path.
    const M = 400, theta = 1, sigma = 1, T = 1, X0 = 1, NF = 4096;
    const fine = new Float64Array(NF * M); // fine[k * M + m]
    new Rng(11, 'test', 'ou-path').fillNormal(fine, 0, Math.sqrt(T / NF));
    const run = (scheme: SdeScheme, N: number, sig = sigma): Float64Array => {
      const r = NF / N;
      return integrateSde(ou(M, theta, sig), new Float64Array(M).fill(X0), 0, T, {
        dt: T / N,
        scheme,
        rng: new Rng(0, 'unused'),
        increments(k, dW) {
          dW.fill(0);
          for (let j = 0; j < r; j++) {
            const base = (k * r + j) * M;
            for (let m = 0; m < M; m++) dW[m] += fine[base + m];
          }
        },
      }).y;
    };
    const ref = run('heun', NF);
    const Ns = [16, 32, 64, 128];
    const dts = Ns.map((N) => T / N);
    const errs: Record<SdeScheme, number[]> = { euler_maruyama: [], heun: [] };
    for (const scheme of ['euler_maruyama', 'heun'] as SdeScheme[]) {
      for (const N of Ns) {
        const y = run(scheme, N);
        let e = 0;
        for (let m = 0; m < M; m++) e += Math.abs(y[m] - ref[m]);
        errs[scheme].push(e / M);
      }
    }
    const sEM = logLogSlope(dts, errs.euler_maruyama);
    const sHeun = logLogSlope(dts, errs.heun);
    console.log(`OU strong error E|X_T - X_T^dt| (M=${M}) at dt=T/16..T/128: EM ${errs.euler_maruyama.map((e) => e.toExponential(2)).join(' ')} ` +
      `slope ${sEM.toFixed(3)}; Heun ${errs.heun.map((e) => e.toExponential(2)).join(' ')} slope ${sHeun.toFixed(3)}`);
    expect(sEM).toBeGreaterThanOrEqual(0.8);
    expect(sEM).toBeLessThanOrEqual(1.2);
    expect(sHeun).toBeGreaterThanOrEqual(0.8);
    for (let i = 0; i < Ns.length; i++) expect(errs.heun[i]).toBeLessThan(errs.euler_maruyama[i]);

    // Deterministic part alone (sigma = 0): EM order 1, Heun order 2 against exp(-theta T).
    const det: Record<SdeScheme, number[]> = { euler_maruyama: [], heun: [] };
    for (const scheme of ['euler_maruyama', 'heun'] as SdeScheme[]) {
      for (const N of Ns) det[scheme].push(Math.abs(run(scheme, N, 0)[0] - X0 * Math.exp(-theta * T)));
    }
    const dEM = logLogSlope(dts, det.euler_maruyama);
    const dHeun = logLogSlope(dts, det.heun);
    console.log(`OU sigma=0: EM slope ${dEM.toFixed(3)}, Heun slope ${dHeun.toFixed(3)}; error at T/16: EM ${det.euler_maruyama[0].toExponential(2)}, Heun ${det.heun[0].toExponential(2)}`);
    expect(dEM).toBeGreaterThan(0.9);
    expect(dEM).toBeLessThan(1.1);
    expect(dHeun).toBeGreaterThan(1.8);
    expect(dHeun).toBeLessThan(2.2);
  });

  it('equipartition: an RC node with thermal noise has <V^2> = k_B T / C; EM/Heun dt-bias as predicted', () => {
    // C dV = -G V dt + sqrt(2 k_B T G) dW (Johnson-Nyquist current noise), i.e. OU with theta = 1/tau,
    // sigma = sqrt(2 k_B T G) / C; stationary variance sigma^2 / (2 theta) = k_B T / C (equipartition).
    const n = 4000;
    const theta = 1 / TAU;
    const sigma = Math.sqrt(2 * KB * TEMP * G) / C;
    const kTC = (KB * TEMP) / C; // ~4.1e-8 V^2, i.e. ~0.2 mV rms
    const sys = ou(n, theta, sigma);
    const stationaryVar = (scheme: SdeScheme, dt: number, seed: number): number => {
      // Start at 0, run 10 tau, average the mean square over nodes at t = 5, 5.5, ..., 10 tau.
      const every = Math.round((0.5 * TAU) / dt);
      let k = 0, acc = 0, count = 0;
      integrateSde(sys, new Float64Array(n), 0, 10 * TAU, {
        dt,
        scheme,
        rng: new Rng(seed, 'test', 'kTC', scheme),
        onStep(t, y) {
          k++;
          if (t >= 5 * TAU * (1 - 1e-9) && k % every === 0) {
            let s = 0;
            for (let i = 0; i < n; i++) s += y[i] * y[i];
            acc += s / n;
            count++;
          }
        },
      });
      return acc / count;
    };
    // Exact stationary variances of the discrete chains y' = a y + b dW: b^2 h / (1 - a^2).
    const emVar = (h: number) => (sigma * sigma * h) / (1 - (1 - theta * h) ** 2);
    const heunVar = (h: number) => {
      const a = 1 - theta * h + 0.5 * (theta * h) ** 2;
      return (sigma * sigma * h * (1 - 0.5 * theta * h) ** 2) / (1 - a * a);
    };
    const fineDt = TAU / 50, coarseDt = TAU / 2;
    const heunFine = stationaryVar('heun', fineDt, 1);
    const emFine = stationaryVar('euler_maruyama', fineDt, 2);
    const emCoarse = stationaryVar('euler_maruyama', coarseDt, 3);
    const heunCoarse = stationaryVar('heun', coarseDt, 4);
    console.log(`kT/C = ${kTC.toExponential(3)} V^2 (rms ${(Math.sqrt(kTC) * 1e3).toFixed(4)} mV). Measured/kTC: ` +
      `Heun dt=tau/50 ${(heunFine / kTC).toFixed(4)}; EM dt=tau/50 ${(emFine / kTC).toFixed(4)} (formula ${(emVar(fineDt) / kTC).toFixed(4)}); ` +
      `EM dt=tau/2 ${(emCoarse / kTC).toFixed(4)} (formula ${(emVar(coarseDt) / kTC).toFixed(4)}); ` +
      `Heun dt=tau/2 ${(heunCoarse / kTC).toFixed(4)} (formula ${(heunVar(coarseDt) / kTC).toFixed(4)})`);
    expect(Math.abs(heunFine / kTC - 1)).toBeLessThan(0.05);
    expect(Math.abs(emFine / emVar(fineDt) - 1)).toBeLessThan(0.05);
    // At dt = tau/2 EM overestimates kT/C by 1/(1 - theta dt / 2) = 4/3: the formula, not kT/C, is what it matches.
    expect(Math.abs(emCoarse / emVar(coarseDt) - 1)).toBeLessThan(0.05);
    expect(emCoarse / kTC).toBeGreaterThan(1.2);
    expect(Math.abs(heunCoarse / heunVar(coarseDt) - 1)).toBeLessThan(0.05);
  });

  it('same seed -> identical, different seed -> different; stepper, increments and step grid agree', () => {
    const sys = ou(50, 1 / TAU, Math.sqrt(2 * KB * TEMP * G) / C);
    const y0 = new Float64Array(50).fill(1e-4);
    const run = (seed: number, scheme: SdeScheme) =>
      integrateSde(sys, y0, 0, 2 * TAU, { dt: TAU / 20, scheme, rng: new Rng(seed, 'noise') });
    for (const scheme of ['euler_maruyama', 'heun'] as SdeScheme[]) {
      const a = run(7, scheme), b = run(7, scheme), c = run(8, scheme);
      expect(Array.from(a.y)).toEqual(Array.from(b.y));
      expect(Array.from(a.y)).not.toEqual(Array.from(c.y));
      expect(a.steps).toBe(40);
      expect(a.evaluations).toBe(scheme === 'heun' ? 80 : 40);

      // The low-level stepper with the same stream reproduces integrateSde bit for bit.
      const st = new SdeStepper(sys, scheme, new Rng(7, 'noise'));
      const y = Float64Array.from(y0);
      for (let k = 0; k < 40; k++) st.step((k * 2 * TAU) / 40, y, (2 * TAU) / 40);
      expect(Array.from(y)).toEqual(Array.from(a.y));

      // Recording the increments and replaying them through `increments` reproduces the path.
      const rec: Float64Array[] = [];
      const times: number[] = [];
      const r1 = integrateSde(sys, y0, 0, 2 * TAU, {
        dt: TAU / 20, scheme, rng: new Rng(7, 'noise'),
        onIncrement: (_k, dW) => rec.push(Float64Array.from(dW)),
        onStep: (t) => times.push(t),
      });
      const r2 = integrateSde(sys, y0, 0, 2 * TAU, { dt: TAU / 20, scheme, rng: new Rng(99, 'x'), increments: (k, dW) => dW.set(rec[k]) });
      expect(Array.from(r2.y)).toEqual(Array.from(r1.y));
      expect(times.length).toBe(40);
      expect(times[39]).toBe(2 * TAU); // last step lands exactly on t1
    }
    expect(Array.from(y0)).toEqual(new Array(50).fill(1e-4)); // y0 untouched
    expect(() => integrateSde(sys, y0, 0, 1.05 * TAU, { dt: TAU / 10, scheme: 'heun', rng: new Rng(1) })).toThrow(/not an integer/);
  });
});
