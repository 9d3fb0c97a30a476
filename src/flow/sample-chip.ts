/**
 * Generation on a realised chip ("transfer": weights programmed onto the chip, then used at
 * program.read_time, so drift applies). Each velocity evaluation is a physical transient from
 * h = 0 over transient.t_free, measured through the ADC:
 *   spring:    the free phase with the spring to x; v = alpha lambda (x_meas - x)
 *   energy_gd: x held by its DAC, hidden nodes relax; v = -alpha (clamp current) / (G_unit V_unit)
 *              = -alpha (G_L,j x_j / G_unit - bx_j - sum_i W0b[i][j] rho_i(h1_meas,i))
 * The Euler integration of x is digital, as in the reference loop.
 */
import { type Chip, programWeights } from '../chip/chip.js';
import { dac, measure } from '../chip/measure.js';
import { CircuitModel } from '../dynamics/circuit.js';
import { rho } from '../dynamics/activation.js';
import { type Params, stateSize } from '../dynamics/network.js';
import { freeStart } from '../learning/gradep.js';
import type { RelaxEngine } from '../solvers/engine.js';
import { Rng } from '../util/rng.js';
import { eulerEvaluations, type VelocityMode } from './sample.js';

export interface ChipSampleOptions {
  mode: VelocityMode;
  n: number;
  t1: number;
  dt: number;
  seed: number;
  /** Hidden relaxation per velocity evaluation (s); default transient.t_free. */
  relaxTime?: number;
  onStep?: (k: number, total: number) => void;
}

export interface ChipSampleResult {
  samples: Float64Array;
  evaluations: number;
  /** Physical relaxation time per generated sample (s) and dissipated energy per sample (J). */
  timePerSample: number;
  energyPerSample: number;
}

export async function generateOnChip(engine: RelaxEngine, chip: Chip, p: Params, o: ChipSampleOptions): Promise<ChipSampleResult> {
  const c = chip.spec;
  const d = chip.d;
  const N = stateSize(d);
  programWeights(chip, p, new Rng(o.seed, 'program', 'sample'));
  const model = new CircuitModel(chip, c.program.read_time);
  const lambda = c.spring.lambda;
  const alpha = c.readout.alpha;
  const T = o.relaxTime ?? c.transient.t_free;
  const x = new Float64Array(o.n * d.nx);
  new Rng(o.seed, 'sample', 'x0').fillNormal(x);
  const steps = eulerEvaluations(o.t1, o.dt);
  const avg = new Float64Array(o.n * N);
  const readRng = new Rng(o.seed, 'read', 'sample');
  const gu = c.node.g_leak;
  let energy = 0;
  for (let k = 0; k < steps; k++) {
    const xD = dac(chip, x);
    const s = freeStart(d, xD, o.n);
    const st = await engine.transient(
      model,
      s,
      { xt: xD, xtarget: null, betaKappa: 0, clampX: o.mode === 'energy_gd' },
      { solver: c.transient.solver, dt: c.transient.dt, duration: T, window: c.measure.window, seed: o.seed, stream: ['sample', k], rtol: c.transient.rtol, atol: c.transient.atol, settleTol: c.transient.settle_tol },
      avg,
    );
    energy += st.energyMean;
    const m = measure(chip, avg, readRng);
    for (let b = 0; b < o.n; b++) {
      if (o.mode === 'spring') {
        for (let j = 0; j < d.nx; j++) x[b * d.nx + j] += o.dt * alpha * lambda * (m[b * N + j] - x[b * d.nx + j]);
      } else {
        const v = new Float64Array(d.nx);
        for (let j = 0; j < d.nx; j++) v[j] = -alpha * ((chip.GL[j] / gu) * xD[b * d.nx + j] - chip.bias.bx[j]);
        for (let i = 0; i < d.n1; i++) {
          const r = chip.gain[i] * rho(m[b * N + d.nx + i] - chip.offset[i]);
          for (let j = 0; j < d.nx; j++) v[j] += alpha * model.w.W0b[i * d.nx + j] * r;
        }
        for (let j = 0; j < d.nx; j++) x[b * d.nx + j] += o.dt * v[j];
      }
    }
    o.onStep?.(k + 1, steps);
  }
  for (let i = 0; i < x.length; i++) x[i] = Math.max(-1, Math.min(1, x[i]));
  return { samples: x, evaluations: steps, timePerSample: steps * T, energyPerSample: energy };
}
