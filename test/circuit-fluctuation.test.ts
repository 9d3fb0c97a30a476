/**
 * Fluctuation-dissipation per node type (visible, hidden1, hidden2) with nonzero weights and
 * g_min > 0 (issue 12 item 4): the stationary node covariance of the linearised circuit solves
 * the Lyapunov equation J S + S J^T + Q = 0 at its equilibrium; the float64 engine's Heun
 * transient must reproduce its diagonal within statistical error. Q is computed here from the
 * chip's conductances (Johnson 2 k_B T G per element, amplifier e_n^2 G_line^2 / 2), not from
 * the model, and with source placement the sense-line part of a hidden node scales with rho'(h)^2.
 */
import { describe, expect, it } from 'vitest';
import { validateCircuit } from '../src/circuit/spec.js';
import { programWeights, realiseChip } from '../src/chip/chip.js';
import { CircuitModel, K_BOLTZMANN } from '../src/dynamics/circuit.js';
import { relaxTransient } from '../src/solvers/transient.js';
import { nudgeTargets, type Phase } from '../src/circuit/phase.js';
import type { TransientOptions } from '../src/circuit/analysis.js';
import { Rng } from '../src/util/rng.js';
import { randomParams, randomVectors, TINY } from './helpers/fixtures.js';

const d = TINY;
const N = d.nx + d.n1 + d.n2;
const EN = 20e-9;

function chipModel(placement: 'lumped' | 'source', gbw: number): CircuitModel {
  const c = validateCircuit(
    {
      format: 'gradep-circuit/1',
      spring: { lambda: 3 },
      nudge: { beta: 0.01, g_dtod: 0.05 },
      activation: { gain_dtod: 0.05, offset_dtod: 0.1 },
      node: { capacitance: '100 fF', g_leak: '10 uS', c_dtod: 0.05, gl_dtod: 0.05 },
      synapse: { g_min: '2 uS', g_dtod: 0.05 },
      noise: { temperature: '300 K', placement },
      amplifier: { en: EN, gbw },
      relax: { method: 'transient' },
      transient: { dt: '0.1 ns' },
    },
    'fd.json',
  );
  const chip = realiseChip(c, d, 5);
  programWeights(chip, randomParams(d, 8, 0.8), new Rng(1, 'program'));
  return new CircuitModel(chip);
}

/**
 * Independent noise intensities Q_nn (state units^2 / s) at equilibrium y. With a finite GBW
 * (source placement) the line noise enters the amplifier state: Q_z = w_a^2 q_line / (G_unit V_unit)^2.
 */
function intensities(m: CircuitModel, y: Float64Array, ph: Phase, source: boolean, gbw = 0): Float64Array {
  const chip = m.chip;
  const kT2 = 2 * K_BOLTZMANN * 300;
  const line = new Float64Array(N);
  for (let i = 0; i < d.n1; i++)
    for (let j = 0; j < d.nx; j++) {
      const g = chip.G0p[i * d.nx + j] * chip.m0p[i * d.nx + j] + chip.G0m[i * d.nx + j] * chip.m0m[i * d.nx + j];
      line[j] += g;
      line[d.nx + i] += g;
    }
  for (let k = 0; k < d.n2; k++)
    for (let i = 0; i < d.n1; i++) {
      const g = chip.G1p[k * d.n1 + i] * chip.m1p[k * d.n1 + i] + chip.G1m[k * d.n1 + i] * chip.m1m[k * d.n1 + i];
      line[d.nx + i] += g;
      line[d.nx + d.n1 + k] += g;
    }
  const rho = (u: number) => 10 * Math.tanh(u / (1 + Math.exp(-u)) / 10);
  const Q = new Float64Array(gbw > 0 ? 2 * N : N);
  for (let n = 0; n < N; n++) {
    const cv2 = (chip.C[n] * m.vUnit) ** 2;
    let qLine = kT2 * line[n] + (EN * EN * line[n] * line[n]) / 2;
    if (gbw > 0) {
      const wa = (2 * Math.PI * gbw) / (1 + line[n] / m.gUnit);
      Q[N + n] = (wa * wa * qLine) / (m.gUnit * m.vUnit) ** 2;
      qLine = 0;
    }
    if (n < d.nx) {
      const nudge = source ? Math.abs(ph.betaKappa) * m.gUnit * chip.nudgeGain[n] : 0;
      Q[n] = (kT2 * (chip.GL[n] + chip.gSpring[n] + nudge) + qLine) / cv2;
    } else {
      const i = n - d.nx;
      const u = y[n] - chip.offset[i];
      const rp = (chip.gain[i] * (rho(u + 1e-6) - rho(u - 1e-6))) / 2e-6;
      Q[n] = (kT2 * chip.GL[n] + (source ? rp * rp : 1) * qLine) / cv2;
    }
  }
  return Q;
}

/** Jacobian of the drift (all nState states) at y by central differences. */
function jacobian(m: CircuitModel, y: Float64Array): Float64Array[] {
  const M = m.nState;
  const fp = new Float64Array(M);
  const fm = new Float64Array(M);
  const J = Array.from({ length: M }, () => new Float64Array(M));
  const z = y.slice();
  for (let c = 0; c < M; c++) {
    const h = 1e-6;
    z[c] = y[c] + h;
    m.drift(0, z, fp);
    z[c] = y[c] - h;
    m.drift(0, z, fm);
    z[c] = y[c];
    for (let r = 0; r < M; r++) J[r][c] = (fp[r] - fm[r]) / (2 * h);
  }
  return J;
}

/** Solve J S + S J^T = -diag(Q) (Kronecker form, Gaussian elimination with partial pivoting); returns diag(S). */
function lyapunovDiag(J: Float64Array[], Q: Float64Array): Float64Array {
  const N = J.length;
  const M = N * N;
  const A = Array.from({ length: M }, () => new Float64Array(M + 1));
  for (let i = 0; i < N; i++)
    for (let j = 0; j < N; j++) {
      const r = i * N + j;
      for (let k = 0; k < N; k++) {
        A[r][k * N + j] += J[i][k];
        A[r][i * N + k] += J[j][k];
      }
      A[r][M] = i === j ? -Q[i] : 0;
    }
  for (let c = 0; c < M; c++) {
    let p = c;
    for (let r = c + 1; r < M; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = c + 1; r < M; r++) {
      const f = A[r][c] / A[c][c];
      if (f !== 0) for (let k = c; k <= M; k++) A[r][k] -= f * A[c][k];
    }
  }
  const x = new Float64Array(M);
  for (let r = M - 1; r >= 0; r--) {
    let s = A[r][M];
    for (let k = r + 1; k < M; k++) s -= A[r][k] * x[k];
    x[r] = s / A[r][r];
  }
  return Float64Array.from({ length: N }, (_, i) => x[i * N + i]);
}

function check(placement: 'lumped' | 'source', betaKappa: number, gbw = 0) {
  const m = chipModel(placement, gbw);
  const tau = m.tau;
  // Both samples share one spring anchor and target (the phase holds B x nx of each).
  const B = 2;
  const x1 = randomVectors(d.nx, 31, 0.8);
  const xt = new Float64Array(B * d.nx).map((_, i) => x1[i % d.nx]);
  const u1 = randomVectors(d.nx, 32);
  const ph: Phase = { lambda: 0, xt, xtarget: nudgeTargets(xt, xt.map((_, i) => u1[i % d.nx]), 2, 3), betaKappa };
  const base: Omit<TransientOptions, 'solver' | 'duration' | 'stream'> = { dt: tau / 100, window: 0, seed: 9, rtol: 1e-6, atol: 1e-9, settleTol: 1e-3 };
  // Equilibrium: a long noiseless transient.
  const eq = new Float64Array(N);
  eq.set(x1);
  relaxTransient(m, eq, ph, { ...base, solver: 'euler', duration: 400 * tau, stream: ['eq'] }, 0, 1);
  m.setPhase(ph);
  const y = new Float64Array(m.nState);
  y.set(eq);
  m.initAux(0, y);
  const f = new Float64Array(m.nState);
  m.drift(0, y, f);
  for (let n = 0; n < N; n++) expect(Math.abs(f[n] * tau)).toBeLessThan(1e-9);
  const Q = intensities(m, y, ph, placement === 'source', gbw);
  // The model's own noise amplitudes at the equilibrium equal the independent ones.
  const sig = new Float64Array(m.nState);
  m.noiseAt(0, y, sig);
  for (let n = 0; n < sig.length; n++) expect(Math.abs(sig[n] ** 2 - Q[n])).toBeLessThan(1e-7 * Q[n]);
  const J = jacobian(m, y);
  const S = lyapunovDiag(J, Q);
  const lumpedS = placement === 'source' && gbw === 0 ? lyapunovDiag(J, intensities(m, y, ph, false)) : null;
  // Stationary run from the equilibrium, sampled every tau/2 over B samples.
  const T = 1500 * tau;
  const times = Array.from({ length: 3000 }, (_, k) => (k + 1) * (T / 3000));
  const s = new Float64Array(B * N);
  for (let b = 0; b < B; b++) s.set(eq, b * N);
  const st = relaxTransient(m, s, ph, { ...base, solver: 'heun', duration: T, stream: ['fd'], traceTimes: times }, 0, B);
  const tr = st.trace as Float64Array[][];
  const nb = 20;
  const per = times.length / nb;
  const kinds = { visible: [0, d.nx], hidden1: [d.nx, d.nx + d.n1], hidden2: [d.nx + d.n1, N] } as const;
  for (const [kind, [lo, hi]] of Object.entries(kinds)) {
    // Batch variances of the node-type mean ratio sim / theory.
    const ratios: number[] = [];
    for (let b = 0; b < B; b++)
      for (let q = 0; q < nb; q++) {
        let r = 0;
        for (let n = lo; n < hi; n++) {
          // Deviations from the deterministic equilibrium (the noise-induced mean shift is second
          // order); subtracting each batch's own mean would bias short batches low.
          let s2 = 0;
          for (let k = q * per; k < (q + 1) * per; k++) s2 += (tr[k][b][n] - eq[n]) ** 2;
          r += s2 / per / S[n] / (hi - lo);
        }
        ratios.push(r);
      }
    const mean = ratios.reduce((a, x) => a + x, 0) / ratios.length;
    const err = Math.sqrt(ratios.reduce((a, x) => a + (x - mean) ** 2, 0) / (ratios.length - 1) / ratios.length);
    let lumpedMsg = '';
    if (lumpedS) {
      let lr = 0;
      for (let n = lo; n < hi; n++) lr += (mean * S[n]) / lumpedS[n] / (hi - lo);
      lumpedMsg = `; against the lumped-noise closed form ${lr.toFixed(3)}`;
      if (kind !== 'visible') expect(Math.abs(lr - 1)).toBeGreaterThan(6 * err);
    }
    console.log(`${placement} noise, beta kappa ${betaKappa}, GBW ${gbw / 1e9} GHz: ${kind} variance / Lyapunov closed form = ${mean.toFixed(4)} +- ${err.toFixed(4)}${lumpedMsg}`);
    expect(err).toBeLessThan(0.04);
    expect(Math.abs(mean - 1)).toBeLessThan(Math.max(4 * err, 0.01));
  }
}

describe('stationary variance per node type against the Lyapunov closed form (nonzero weights, g_min > 0)', () => {
  it('lumped noise (every conductance at its node), free phase', () => check('lumped', 0));
  it('noise where it enters (line noise through rho\', noisy nudge), +beta phase', () => check('source', 0.36));
  it('noise where it enters with amplifier poles (line noise filtered by the pole), +beta phase', () => check('source', 0.36, 0.25e9));
});
