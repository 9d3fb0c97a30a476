/**
 * Analyses: how a circuit is simulated, kept apart from what the circuit is (as a netlist is
 * kept apart from its .tran statement). The ideal relaxations (paper steps, equilibrium solve)
 * and the physical transient of a realised chip; the build step fills these from a circuit
 * file's `relax.*` and `transient.*` fields, the engines consume them.
 */

export type RelaxMethod = 'paper' | 'equilibrium';

export interface PaperOptions {
  eps: number;
  T: number;
}

export interface EquilibriumOptions {
  /** Stop when |grad F|_2 of a sample is below this (absolute, in energy units per unit state). */
  tol: number;
  maxIter: number;
  /** Anderson memory m. */
  memory: number;
  /** Step eta of the preconditioned map (1 = exact x update). */
  eta: number;
  /**
   * Hidden-unit preconditioner of the map: `diag_hessian` scales each hidden unit's step by
   * 1 / max(0.2, 1 - rho''(h) a), the inverse of dF^2/dh^2 with the other units held (a does not
   * depend on h itself in a layered network); `none` by 1. Fixed points are the same.
   */
  precondition: 'diag_hessian' | 'none';
  /** Plain preconditioned steps (size `fallbackEps`) taken from the best iterate when Anderson fails. */
  fallbackIter: number;
  fallbackEps: number;
}

/** Floor of the diagonal Hessian in the `diag_hessian` preconditioner (non-convex units get at most a 5x step). */
export const HESSIAN_FLOOR = 0.2;

export const DEFAULT_EQUILIBRIUM: EquilibriumOptions = {
  tol: 1e-5,
  maxIter: 300,
  memory: 10,
  eta: 1,
  precondition: 'diag_hessian',
  fallbackIter: 2000,
  fallbackEps: 0.1,
};

export interface RelaxSpec {
  method: RelaxMethod;
  paper: PaperOptions;
  equilibrium: EquilibriumOptions;
}

export const PAPER_RELAX: RelaxSpec = { method: 'paper', paper: { eps: 0.1, T: 300 }, equilibrium: DEFAULT_EQUILIBRIUM };

export type TransientSolver = 'euler' | 'euler_maruyama' | 'heun' | 'odex' | 'exp_euler' | 'exp_heun';

export interface TransientOptions {
  solver: TransientSolver;
  /** Fixed step (s) of euler / euler_maruyama / heun / exp_euler / exp_heun. */
  dt: number;
  /** Phase duration (s). */
  duration: number;
  /** Averaging window (s) at the end of the phase; 0 = the final state. */
  window: number;
  seed: number;
  /** Names this phase's noise streams (e.g. ["train", step, "plus"]). */
  stream: (string | number)[];
  rtol: number;
  atol: number;
  settleTol: number;
  /** Record every sample's state at these times (s), for --trace. */
  traceTimes?: number[];
}

/** A circuit's transient settings: everything but the duration and noise stream of a phase. */
export type TransientBase = Omit<TransientOptions, 'duration' | 'seed' | 'stream' | 'traceTimes'>;

/** The transient analysis of a circuit: solver settings and the phase durations (s). */
export interface TransientSettings {
  base: TransientBase;
  tFree: number;
  tNudge: number;
}
