/**
 * Chip transients in the float32 WebAssembly engine against the float64 reference
 * (solvers/transient.ts): deterministic paths agree to float32 rounding, clamped inputs stay
 * exact, thermal noise obeys equipartition, and noisy runs are reproducible, independent of the
 * thread count, and statistically indistinguishable from the reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { validateCircuit, loadCircuit } from '../src/circuit/spec.js';
import { programWeights, realiseChip } from '../src/chip/chip.js';
import { type Phase, freeStart, nudgeTargets } from '../src/circuit/phase.js';
import { CircuitModel, K_BOLTZMANN } from '../src/dynamics/circuit.js';
import { PAPER_DIMS, stateSize, zeroParams } from '../src/circuit/params.js';
import { initParams } from '../src/learning/init.js';
import { relaxTransient } from '../src/solvers/transient.js';
import type { TransientOptions } from '../src/circuit/analysis.js';
import { WasmEngine, wasmAvailable } from '../src/solvers/wasm-engine.js';
import { packagePath } from '../src/util/paths.js';
import { Rng } from '../src/util/rng.js';
import { randomVectors } from './helpers/fixtures.js';

const d = PAPER_DIMS;
const N = stateSize(d);
const engines: WasmEngine[] = [];
async function engine(threads: number): Promise<WasmEngine> {
  const e = await WasmEngine.create(threads);
  engines.push(e);
  return e;
}
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
});

/** A ReRAM chip (mismatch, quantised conductances, non-unit gains) programmed with initial weights scaled up. */
function reramModel(): CircuitModel {
  const c = loadCircuit(packagePath('circuits', 'reram.json'));
  const p = initParams(d, 7, 1.5);
  const chip = realiseChip(c, d, 3);
  programWeights(chip, p, new Rng(1, 'program'));
  return new CircuitModel(chip);
}

const B = 13; // not a multiple of the 8-sample tile
const xt = randomVectors(B * 64, 21);
const xtg = nudgeTargets(xt, randomVectors(B * 64, 22), 2, 15);
const opts = (solver: TransientOptions['solver'], over: Partial<TransientOptions> = {}): TransientOptions => ({ solver, dt: 1e-10, duration: 20e-9, window: 4e-9, seed: 5, stream: ['test'], rtol: 1e-6, atol: 1e-9, settleTol: 1e-3, ...over });

async function both(model: CircuitModel, ph: Phase, o: TransientOptions, threads = 2) {
  const e = await engine(threads);
  const s32 = freeStart(d, ph.xt, B);
  const a32 = new Float64Array(B * N);
  const st32 = await e.transient(model, s32, ph, o, a32);
  const s64 = freeStart(d, ph.xt, B);
  const a64 = new Float64Array(B * N);
  const st64 = relaxTransient(model, s64, ph, o, 0, B, a64);
  return { s32, a32, st32, s64, a64, st64 };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.skipIf(!wasmAvailable())('WebAssembly chip transients', () => {
  const model = reramModel();

  it('deterministic Euler paths (free and nudged) match the float64 reference to float32 rounding, energy included', async () => {
    for (const betaKappa of [0, 0.3, -0.3]) {
      const r = await both(model, { lambda: 0, xt, xtarget: xtg, betaKappa }, opts('euler'));
      expect(maxAbsDiff(r.s32, r.s64)).toBeLessThan(1e-5);
      expect(maxAbsDiff(r.a32, r.a64)).toBeLessThan(1e-5);
      expect(Math.abs(r.st32.energyMean / r.st64.energyMean - 1)).toBeLessThan(1e-5);
      expect(r.st32.evaluations).toBe(r.st64.evaluations);
    }
  });

  it('a clamped x stays exactly at its source value and gets no noise', async () => {
    const r = await both(model, { lambda: 0, xt, xtarget: null, betaKappa: 0, clampX: true }, opts('heun'));
    for (let b = 0; b < B; b++) for (let j = 0; j < 64; j++) {
      expect(r.s32[b * N + j]).toBe(xt[b * 64 + j]);
      expect(r.a32[b * N + j]).toBe(xt[b * 64 + j]);
      expect(r.s64[b * N + j]).toBe(xt[b * 64 + j]);
    }
  });

  it('noisy runs are reproducible and do not depend on the thread count', async () => {
    const ph: Phase = { lambda: 0, xt, xtarget: xtg, betaKappa: 0.2 };
    const a = await both(model, ph, opts('heun'), 1);
    const b = await both(model, ph, opts('heun'), 2);
    const c = await both(model, ph, opts('heun'), 2);
    expect(Array.from(b.s32)).toEqual(Array.from(a.s32));
    expect(Array.from(c.a32)).toEqual(Array.from(b.a32));
    const other = await both(model, ph, opts('heun', { seed: 6 }), 2);
    expect(maxAbsDiff(other.s32, b.s32)).toBeGreaterThan(1e-4);
  });

  it('equipartition: isolated RC nodes fluctuate with Var(V) = k_B T / C (within 5%), zero mean', async () => {
    const c = validateCircuit({ format: 'gradep-circuit/1', noise: { temperature: '300 K' } }, 'test.json');
    const chip = realiseChip(c, d, 0);
    programWeights(chip, zeroParams(d), new Rng(0, 'p'));
    const m = new CircuitModel(chip);
    const Bn = 40;
    const e = await engine(2);
    const s = new Float64Array(Bn * N);
    const avg = new Float64Array(Bn * N);
    await e.transient(m, s, { lambda: 0, xt: new Float64Array(Bn * 64), xtarget: null, betaKappa: 0 }, { solver: 'heun', dt: m.tau / 50, duration: 8 * m.tau, window: 0, seed: 3, stream: ['eq'], rtol: 0, atol: 0, settleTol: 0 }, avg);
    let sq = 0;
    let sum = 0;
    let n = 0;
    for (let b = 0; b < Bn; b++) for (let i = 64; i < N; i++) {
      const v = s[b * N + i] * c.node.v_unit;
      sq += v * v;
      sum += v;
      n++;
    }
    const kTC = (K_BOLTZMANN * 300) / c.node.capacitance;
    expect(sq / n / kTC).toBeGreaterThan(0.95);
    expect(sq / n / kTC).toBeLessThan(1.05);
    expect(Math.abs(sum / n) / Math.sqrt(kTC / n)).toBeLessThan(4);
  });

  it('noisy end states are statistically indistinguishable from the float64 reference', async () => {
    // Many samples of ONE input: the spread across samples is the thermal noise alone.
    const Bs = 64;
    const x1 = new Float64Array(Bs * 64);
    for (let b = 0; b < Bs; b++) x1.set(xt.subarray(0, 64), b * 64);
    const e = await engine(2);
    const run = async (wasm: boolean) => {
      const s = freeStart(d, x1, Bs);
      const avg = new Float64Array(Bs * N);
      const o = opts('euler_maruyama', { window: 0 });
      if (wasm) await e.transient(model, s, { lambda: 0, xt: x1, xtarget: null, betaKappa: 0 }, o, avg);
      else relaxTransient(model, s, { lambda: 0, xt: x1, xtarget: null, betaKappa: 0 }, o, 0, Bs, avg);
      return s;
    };
    const a = await run(true);
    const b = await run(false);
    // Per node: difference of the two sample means in units of its standard error.
    let z2 = 0;
    let varRatio = 0;
    let used = 0;
    for (let i = 0; i < N; i++) {
      const m = (s: Float64Array) => { let t = 0; for (let k = 0; k < Bs; k++) t += s[k * N + i]; return t / Bs; };
      const v = (s: Float64Array, mu: number) => { let t = 0; for (let k = 0; k < Bs; k++) t += (s[k * N + i] - mu) ** 2; return t / (Bs - 1); };
      const ma = m(a);
      const mb = m(b);
      const va = v(a, ma);
      const vb = v(b, mb);
      if (va + vb === 0) continue;
      z2 += (ma - mb) ** 2 / ((va + vb) / Bs);
      varRatio += va / vb;
      used++;
    }
    expect(used).toBeGreaterThan(200);
    // Node noises are correlated through the network, so the z's are few independent
    // draws: bound only the systematic part (a bias of one standard error would give ~1.4).
    expect(Math.sqrt(z2 / used)).toBeLessThan(1.3);
    expect(varRatio / used).toBeGreaterThan(0.85);
    expect(varRatio / used).toBeLessThan(1.2);
  });
});
