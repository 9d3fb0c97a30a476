/**
 * Adam (Kingma & Ba 2015) with PyTorch's conventions, global gradient-norm clipping as
 * torch.nn.utils.clip_grad_norm_, and an exponential moving average of the weights
 * (the paper: lr 1e-3, betas (0.9, 0.95), clip 1.0, EMA 0.999).
 */
import { cloneParams, type Params, PARAM_NAMES, zeroParams, dimsOf } from '../circuit/params.js';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Global L2 gradient-norm clip; 0 disables. */
  clip: number;
}

export interface AdamState {
  t: number;
  m: Params;
  v: Params;
}

export function newAdamState(p: Params): AdamState {
  const d = dimsOf(p);
  return { t: 0, m: zeroParams(d), v: zeroParams(d) };
}

export function gradNorm(g: Params): number {
  let sq = 0;
  // Indexed loops (not for-of): the same sum in the same order, run every training step.
  for (const k of PARAM_NAMES) {
    const a = g[k];
    for (let i = 0; i < a.length; i++) sq += a[i] * a[i];
  }
  return Math.sqrt(sq);
}

/** Clip `g` in place as clip_grad_norm_ does (scale by max/(norm+1e-6) when that is < 1). Returns the pre-clip norm. */
export function clipGradNorm(g: Params, maxNorm: number): number {
  const n = gradNorm(g);
  if (maxNorm > 0) {
    const c = maxNorm / (n + 1e-6);
    if (c < 1) {
      for (const k of PARAM_NAMES) {
        const a = g[k];
        for (let i = 0; i < a.length; i++) a[i] *= c;
      }
    }
  }
  return n;
}

/** One Adam update of `p` in place. */
export function adamStep(p: Params, g: Params, st: AdamState, cfg: AdamConfig): void {
  st.t += 1;
  const bc1 = 1 - Math.pow(cfg.beta1, st.t);
  const bc2 = 1 - Math.pow(cfg.beta2, st.t);
  const stepSize = cfg.lr / bc1;
  const sq2 = Math.sqrt(bc2);
  for (const k of PARAM_NAMES) {
    const pk = p[k];
    const gk = g[k];
    const mk = st.m[k];
    const vk = st.v[k];
    for (let i = 0; i < pk.length; i++) {
      const gi = gk[i];
      mk[i] = cfg.beta1 * mk[i] + (1 - cfg.beta1) * gi;
      vk[i] = cfg.beta2 * vk[i] + (1 - cfg.beta2) * gi * gi;
      pk[i] -= (stepSize * mk[i]) / (Math.sqrt(vk[i]) / sq2 + cfg.eps);
    }
  }
}

/** ema <- decay * ema + (1 - decay) * p. */
export function emaUpdate(ema: Params, p: Params, decay: number): void {
  for (const k of PARAM_NAMES) {
    const e = ema[k];
    const q = p[k];
    for (let i = 0; i < e.length; i++) e[i] = decay * e[i] + (1 - decay) * q[i];
  }
}

export { cloneParams };
