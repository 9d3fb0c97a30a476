/**
 * GradEP in situ: every phase is a physical transient on the realised chip, with its
 * mismatch, noise, converters and finite relaxation time; the weight update is computed
 * from measured node voltages only, through each neuron's own activation element
 * (rho_i(u) = gain_i rho(u - offset_i)), exactly what a local update circuit would see.
 */
import { type CircuitPhase, CircuitModel } from '../dynamics/circuit.js';
import type { Chip } from '../chip/chip.js';
import { dac, measure } from '../chip/measure.js';
import { type Dims, type Params, stateSize, zeroParams } from '../dynamics/network.js';
import { rho } from '../dynamics/activation.js';
import type { TransientOptions, TransientStats } from '../solvers/transient.js';
import type { RelaxEngine } from '../solvers/engine.js';
import { flowMse, freeStart, nudgeTargets } from './gradep.js';
import { Rng } from '../util/rng.js';

export interface InsituConfig {
  lambda: number;
  alpha: number;
  beta: number;
  seed: number;
  /** Names this estimate's noise streams (e.g. ["train", step]). */
  stream: (string | number)[];
  transient: Omit<TransientOptions, 'duration' | 'seed' | 'stream'>;
  tFree: number;
  tNudge: number;
}

export interface InsituResult {
  grads: Params;
  flowMse: number;
  free: TransientStats;
  plus: TransientStats;
  minus: TransientStats;
  /** Physical time of the three phases (s). */
  time: number;
  /** Dissipated energy of the three phases for the whole batch (J). */
  energy: number;
}

/** Local update from measured states: mean_b [dE/dtheta(s+) - dE/dtheta(s-)] / (2 beta). */
export function localGradient(chip: Chip, d: Dims, sPlus: Float64Array, sMinus: Float64Array, beta: number): Params {
  const { nx, n1, n2 } = d;
  const N = stateSize(d);
  const B = sPlus.length / N;
  const g = zeroParams(d);
  const w = 1 / (2 * beta * B);
  const r1 = new Float64Array(n1);
  const r2 = new Float64Array(n2);
  const act = (u: number, i: number) => chip.gain[i] * rho(u - chip.offset[i]);
  for (const [s, sign] of [[sPlus, 1], [sMinus, -1]] as const) {
    for (let b = 0; b < B; b++) {
      const off = b * N;
      for (let i = 0; i < n1; i++) r1[i] = act(s[off + nx + i], i);
      for (let k = 0; k < n2; k++) r2[k] = act(s[off + nx + n1 + k], n1 + k);
      const ws = sign * w;
      for (let j = 0; j < nx; j++) g.bx[j] -= ws * s[off + j];
      for (let i = 0; i < n1; i++) {
        const ri = ws * r1[i];
        g.b0[i] -= ri;
        for (let j = 0; j < nx; j++) g.W0[i * nx + j] -= ri * s[off + j];
      }
      for (let k = 0; k < n2; k++) {
        const rk = ws * r2[k];
        g.b1[k] -= rk;
        for (let i = 0; i < n1; i++) g.W1[k * n1 + i] -= rk * r1[i];
      }
    }
  }
  return g;
}

/** One in-situ GradEP estimate on the chip as currently programmed. */
export async function insituEstimate(engine: RelaxEngine, model: CircuitModel, xt: Float64Array, ut: Float64Array, cfg: InsituConfig): Promise<InsituResult> {
  const chip = model.chip;
  const d = chip.d;
  const N = stateSize(d);
  const B = xt.length / d.nx;
  const kappa = (cfg.alpha * cfg.lambda) ** 2;
  const xtD = dac(chip, xt);
  const xtgD = dac(chip, nudgeTargets(xt, ut, cfg.alpha, cfg.lambda));
  const opts = (duration: number, name: string): TransientOptions => ({ ...cfg.transient, duration, seed: cfg.seed, stream: [...cfg.stream, name] });
  const readRng = new Rng(cfg.seed, 'read', ...cfg.stream);
  // Free phase from x = x_t (the DAC drives the initial condition), h = 0.
  const s = freeStart(d, xtD, B);
  const avgFree = new Float64Array(B * N);
  const free = await engine.transient(model, s, { xt: xtD, xtarget: null, betaKappa: 0 } as CircuitPhase, opts(cfg.tFree, 'free'), avgFree);
  const mFree = measure(chip, avgFree, readRng);
  const mse = flowMse(d, mFree, xt, ut, cfg.alpha, cfg.lambda);
  // Nudged phases continue from the physical end state of the free phase.
  const sP = s.slice();
  const avgP = new Float64Array(B * N);
  const plus = await engine.transient(model, sP, { xt: xtD, xtarget: xtgD, betaKappa: cfg.beta * kappa }, opts(cfg.tNudge, 'plus'), avgP);
  const sM = s.slice();
  const avgM = new Float64Array(B * N);
  const minus = await engine.transient(model, sM, { xt: xtD, xtarget: xtgD, betaKappa: -cfg.beta * kappa }, opts(cfg.tNudge, 'minus'), avgM);
  const grads = localGradient(chip, d, measure(chip, avgP, readRng), measure(chip, avgM, readRng), cfg.beta);
  return {
    grads,
    flowMse: mse,
    free,
    plus,
    minus,
    time: cfg.tFree + 2 * cfg.tNudge,
    energy: B * (free.energyMean + plus.energyMean + minus.energyMean),
  };
}

export { CircuitModel };
