/**
 * Adaptive deterministic transient: a small typed wrapper around `odex`, Colin Smith's
 * JavaScript port of Hairer & Wanner's ODEX (Gragg-Bulirsch-Stoer extrapolation of the
 * explicit midpoint rule, variable order and step; Hairer, Norsett & Wanner, "Solving
 * Ordinary Differential Equations I: Nonstiff Problems", 2nd ed. 1993, sec. II.9 and the
 * dense output of sec. II.9 / Hairer & Ostermann 1990).
 *
 * ODEX is an EXPLICIT method, meant for non-stiff problems. It is the wrong tool when the
 * circuit's time constants differ by many orders of magnitude (a stiff circuit, e.g. tiny
 * parasitic capacitances beside large ones): the step size is then limited by the stability
 * of the fastest mode, not by accuracy, so the step count grows like tau_slow / tau_fast and
 * an implicit method (Radau, BDF, Rosenbrock; Hairer & Wanner vol. II) would be needed. The
 * wrapper turns odex's silent `MaxStepsExceeded` outcome into an Error that says so.
 *
 * Notes on odex's API that this wrapper hides (odex 2.0.4, node_modules/odex/src/odex.ts):
 * - The package ships its TypeScript source next to the JS and no .d.ts, so a plain
 *   `import 'odex'` makes tsc type-check odex.ts under our `strict` settings, where it fails.
 *   We load it with `createRequire` and declare the small part of its API we use below.
 * - `solve` copies y0 with `[0].concat(y0)`: a Float64Array would become ONE element, so y0
 *   is converted to a plain array here. The rhs receives a fresh `y.slice(1)` array on every
 *   call and must return an array-like; we copy into a preallocated Float64Array, call the
 *   allocation-free `sys.rhs`, and hand back the same preallocated output buffer (odex only
 *   reads `.length` and indices of it before the next call).
 * - The initial step is floored at 1e-4 in odex's time unit (h = max(|initialStepSize|, 1e-4)),
 *   which is absurd for circuits on a 1e-9 s scale. We therefore integrate in the normalised
 *   time s = (t - t0) / (t1 - t0) in [0, 1], so the floor becomes 1e-4 of the interval.
 * - The dense-output closure passed to the observer is only valid inside that call (odex
 *   reuses its coefficient arrays), and looks up a component by a linear scan over all dense
 *   components, so evaluating the full state at one time costs O(n^2). Traces and the settle
 *   scan below pay that; fine for n up to ~1e3, noticeable beyond.
 * - `maxSteps` bounds ATTEMPTED steps (accepted + rejected) and odex returns an outcome code
 *   rather than throwing, without saying where it stopped; we track the last accepted time.
 * - odex's own `nEval` omits the rhs call its dense output makes at each accepted step, so the
 *   wrapper counts rhs calls itself.
 */
import { createRequire } from 'node:module';

/** Flat system dy/dt = f(t, y), e.g. a batch-major B x N node-voltage vector. */
export interface OdeSystem {
  n: number;
  /** Writes dy/dt into `dydt`. Must not allocate and must be deterministic (see settleTol). */
  rhs(t: number, y: Float64Array, dydt: Float64Array): void;
}

export interface OdeOptions {
  /** Relative and absolute tolerances of odex's local error test (per component, scalar). */
  rtol: number;
  atol: number;
  /** Limit on attempted steps (accepted + rejected); default 10000 (odex's default). */
  maxSteps?: number;
  /** First trial step in the caller's time unit; odex floors it at 1e-4 (t1 - t0). */
  initialStep?: number;
  /**
   * If given, `settleTime` is computed: the earliest t_s with max_n |y_n(t) - y_n(t1)| <= settleTol
   * for all t in [t_s, t1]. Because y(t1) is only known at the end and odex's dense output is only
   * valid inside its callback, this runs the (deterministic) integration TWICE: the second pass
   * scans the dense output against the known y(t1).
   */
  settleTol?: number;
  /** Times in [t0, t1] (any order) at which y is reported from the dense output. */
  traceTimes?: number[];
}

export interface OdeResult {
  y: Float64Array;
  t: number;
  /** Accepted steps. */
  steps: number;
  /** rhs evaluations of one integration pass (a settleTol run does two identical passes). */
  evaluations: number;
  /** Attempted-but-rejected steps (error test or odex's stability check). */
  rejected?: number;
  /**
   * Settling time (see OdeOptions.settleTol); t0 if within tolerance from the start; null if
   * settleTol was not given or the system never settled, i.e. the last excursion beyond settleTol
   * lies in the final accepted step, so no settled interval was observed: integrate longer.
   */
  settleTime: number | null;
  trace?: { t: number[]; y: Float64Array[] };
}

// ---- the part of odex's API we use (see node_modules/odex/src/odex.ts) ----
type OdexDense = (component: number, x: number) => number;
type OdexObserver = (nr: number, xOld: number, x: number, y: number[], dense?: OdexDense) => boolean | void;
interface OdexSolver {
  maxSteps: number;
  initialStepSize: number;
  relativeTolerance: number | number[];
  absoluteTolerance: number | number[];
  denseOutput: boolean;
  solve(
    f: (x: number, y: number[]) => ArrayLike<number>,
    x: number,
    y0: number[],
    xEnd: number,
    solOut?: OdexObserver,
  ): { y: number[]; outcome: number; nStep: number; nAccept: number; nReject: number; nEval: number };
}
interface OdexModule {
  Solver: new (n: number) => OdexSolver;
  Outcome: { Converged: number; MaxStepsExceeded: number; EarlyReturn: number };
}
const odex = createRequire(import.meta.url)('odex') as OdexModule;

/** Interior points per accepted step at which the settle scan samples the dense output. */
const SETTLE_SAMPLES = 4;

interface Pass {
  y: Float64Array;
  steps: number;
  attempts: number;
  evaluations: number;
  settle: number | null;
}

/**
 * Integrates sys from t0 to t1 > t0 starting at y0 (not modified) with odex; see the module
 * comment for when not to use it (stiff circuits). Throws "odex: step limit N reached at t=...;
 * the system is probably stiff" when maxSteps attempted steps do not reach t1.
 */
export function integrateOde(sys: OdeSystem, y0: Float64Array, t0: number, t1: number, opt: OdeOptions): OdeResult {
  const n = sys.n;
  const maxSteps = checkOdeArgs(n, y0, t0, t1, opt);
  const tol = opt.settleTol;
  const span = t1 - t0;
  const traceTimes = opt.traceTimes ?? [];
  if (span === 0) return constantResult(y0, t0, t1, opt, traceTimes);

  // Trace bookkeeping in normalised time s = (t - t0) / span, visited in ascending order.
  const order = traceTimes.map((_, i) => i).sort((a, b) => traceTimes[a] - traceTimes[b]);
  const setup: OdeSetup = {
    sys,
    n,
    t0,
    t1,
    span,
    opt,
    maxSteps,
    tol: tol ?? 0,
    order,
    traceS: order.map((i) => (traceTimes[i] - t0) / span),
    traceY: traceTimes.map(() => new Float64Array(n)),
    yBuf: new Float64Array(n),
    dBuf: new Float64Array(n),
    y0Arr: Array.from(y0), // odex needs a plain array (see module comment)
  };

  let pass = new OdePass(setup, null, traceTimes.length > 0).run();
  let settleTime: number | null = null;
  if (tol !== undefined) {
    const second = new OdePass(setup, pass.y, false).run();
    for (let i = 0; i < n; i++) {
      if (!Object.is(second.y[i], pass.y[i])) {
        throw new Error('integrateOde: settleTol needs a deterministic rhs (two identical passes gave different y(t1))');
      }
    }
    settleTime = second.settle;
    pass = { ...pass, settle: second.settle };
  }

  return {
    y: pass.y,
    t: t1,
    steps: pass.steps,
    evaluations: pass.evaluations,
    rejected: pass.attempts - pass.steps,
    settleTime,
    trace: opt.traceTimes ? { t: traceTimes.slice(), y: setup.traceY } : undefined,
  };
}

/** Validate the arguments of integrateOde; returns the step limit. */
function checkOdeArgs(n: number, y0: Float64Array, t0: number, t1: number, opt: OdeOptions): number {
  if (y0.length !== n) throw new Error(`integrateOde: y0 has length ${y0.length}, system has n=${n}`);
  if (!(opt.rtol > 0) || !(opt.atol > 0)) throw new Error(`integrateOde: rtol and atol must be > 0, got ${opt.rtol}, ${opt.atol}`);
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || !(t1 >= t0)) throw new Error(`integrateOde: need finite t1 >= t0, got t0=${t0}, t1=${t1}`);
  const maxSteps = opt.maxSteps ?? 10000;
  if (!(Number.isInteger(maxSteps) && maxSteps > 0)) throw new Error(`integrateOde: maxSteps must be a positive integer, got ${maxSteps}`);
  const tol = opt.settleTol;
  if (tol !== undefined && !(tol >= 0)) throw new Error(`integrateOde: settleTol must be >= 0, got ${tol}`);
  for (const tt of opt.traceTimes ?? []) {
    if (!(tt >= t0 && tt <= t1)) throw new Error(`integrateOde: trace time ${tt} outside [${t0}, ${t1}]`);
  }
  return maxSteps;
}

/** The result for an empty interval (t1 = t0): y stays y0 and counts as settled from the start. */
function constantResult(y0: Float64Array, t0: number, t1: number, opt: OdeOptions, traceTimes: number[]): OdeResult {
  return {
    y: Float64Array.from(y0),
    t: t1,
    steps: 0,
    evaluations: 0,
    rejected: 0,
    settleTime: opt.settleTol === undefined ? null : t0,
    trace: opt.traceTimes ? { t: traceTimes.slice(), y: traceTimes.map(() => Float64Array.from(y0)) } : undefined,
  };
}

/** What every pass of one integrateOde call shares: the problem, trace slots and rhs buffers. */
interface OdeSetup {
  sys: OdeSystem;
  n: number;
  t0: number;
  t1: number;
  span: number;
  opt: OdeOptions;
  maxSteps: number;
  /** settleTol (only read by a settle-scan pass, which exists only when it is given). */
  tol: number;
  /** Trace indices in ascending time, their normalised times, and the slots they fill. */
  order: number[];
  traceS: number[];
  traceY: Float64Array[];
  yBuf: Float64Array;
  dBuf: Float64Array;
  y0Arr: number[];
}

/**
 * One odex integration over normalised time [0, 1]. With yT (the known y(t1)), its observer
 * also runs the settle scan; with doTrace, it fills the trace slots from the dense output.
 */
class OdePass {
  private evaluations = 0;
  private lastS = 0;
  private traceIdx = 0;
  // settle scan state (second pass only)
  private prevDev = 0;
  private cand = -Infinity; // latest normalised time known to exceed tol (or a refined crossing)
  private lastStepStart = 0;

  constructor(
    private readonly ctx: OdeSetup,
    private readonly yT: Float64Array | null,
    private readonly doTrace: boolean,
  ) {}

  /** dy/ds = span * f(t0 + s span, y), into the shared preallocated output buffer. */
  private readonly f = (s: number, y: number[]): ArrayLike<number> => {
    const { n, yBuf, dBuf, span } = this.ctx;
    this.evaluations++;
    for (let i = 0; i < n; i++) yBuf[i] = y[i];
    this.ctx.sys.rhs(this.ctx.t0 + s * span, yBuf, dBuf);
    for (let i = 0; i < n; i++) dBuf[i] *= span;
    return dBuf;
  };

  /** odex's per-step callback: trace and settle bookkeeping of the step (xOld, x]. */
  private readonly observer: OdexObserver = (nr, xOld, x, y, dense) => {
    this.lastS = x;
    if (nr === 1 || !dense) {
      this.observeStart(x, y);
      return;
    }
    if (this.doTrace) this.traceStep(x, y, dense);
    if (this.yT) this.settleStep(xOld, x, y, dense);
  };

  /** Run odex; throws on the step limit or an early stop. */
  run(): Pass {
    const { n, opt, maxSteps, span, t0, t1, traceS, traceY, order } = this.ctx;
    const solver = new odex.Solver(n);
    solver.relativeTolerance = opt.rtol;
    solver.absoluteTolerance = opt.atol;
    solver.maxSteps = maxSteps;
    solver.denseOutput = true; // same configuration in every pass, so passes are bit-identical
    if (opt.initialStep !== undefined) solver.initialStepSize = opt.initialStep / span;
    const res = solver.solve(this.f, 0, this.ctx.y0Arr, 1, this.observer);
    if (res.outcome === odex.Outcome.MaxStepsExceeded) {
      throw new Error(
        `odex: step limit ${maxSteps} reached at t=${t0 + this.lastS * span} (of [${t0}, ${t1}]); the system is probably stiff ` +
          '(time constants differing by orders of magnitude limit an explicit method by stability): use an implicit solver, ' +
          'remove the fast mode, or raise maxSteps',
      );
    }
    if (res.outcome !== odex.Outcome.Converged) throw new Error(`odex: integration stopped early (outcome ${res.outcome})`);
    if (this.doTrace) while (this.traceIdx < traceS.length) traceY[order[this.traceIdx++]].set(res.y); // s = 1 vs final x rounding

    let settle: number | null = null;
    if (this.yT) {
      if (this.cand === -Infinity) settle = t0;
      else if (this.cand > this.lastStepStart || res.nAccept === 0) settle = null;
      else settle = t0 + this.cand * span;
    }
    return {
      y: Float64Array.from(res.y),
      steps: res.nAccept,
      attempts: res.nStep,
      evaluations: this.evaluations,
      settle,
    };
  }

  /** Initial call: x = 0, y = y0, no interpolant. */
  private observeStart(x: number, y: number[]): void {
    const { traceS, traceY, order } = this.ctx;
    if (this.doTrace) while (this.traceIdx < traceS.length && traceS[this.traceIdx] <= x) traceY[order[this.traceIdx++]].set(y);
    if (this.yT) {
      this.prevDev = this.endpointDev(y);
      if (this.prevDev > this.ctx.tol) this.cand = x;
    }
  }

  /** Fill the trace slots whose times fall in this step, from the dense output. */
  private traceStep(x: number, y: number[], dense: OdexDense): void {
    const { n, traceS, traceY, order } = this.ctx;
    while (this.traceIdx < traceS.length && traceS[this.traceIdx] <= x) {
      const s = traceS[this.traceIdx];
      const out = traceY[order[this.traceIdx++]];
      if (s === x) out.set(y);
      else for (let c = 0; c < n; c++) out[c] = dense(c, s);
    }
  }

  /** Settle scan of the step (xOld, x]: move cand to the last time found beyond tol. */
  private settleStep(xOld: number, x: number, y: number[], dense: OdexDense): void {
    const tol = this.ctx.tol;
    this.lastStepStart = xOld;
    const dev = this.endpointDev(y);
    if (dev > tol) {
      this.cand = x; // not settled at the end of this step: no interior search needed
    } else {
      // Last excursion inside (xOld, x)? Scan interior samples from the right, then refine.
      const h = x - xOld;
      let found = false;
      for (let k = SETTLE_SAMPLES - 1; k >= 1; k--) {
        const s = xOld + (h * k) / SETTLE_SAMPLES;
        if (this.exceeds(dense, s)) {
          const right = k + 1 === SETTLE_SAMPLES ? x : xOld + (h * (k + 1)) / SETTLE_SAMPLES;
          this.cand = this.bisect(dense, s, right);
          found = true;
          break;
        }
      }
      if (!found && this.prevDev > tol) this.cand = this.bisect(dense, xOld, xOld + h / SETTLE_SAMPLES);
    }
    this.prevDev = dev;
  }

  /** max_n |y_n - yT_n|. */
  private endpointDev(y: ArrayLike<number>): number {
    const n = this.ctx.n;
    const yT = this.yT!;
    let m = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(y[i] - yT[i]);
      if (d > m) m = d;
    }
    return m;
  }

  /** true if max_n |y_n(s) - yT_n| > tol on the dense output (early exit). */
  private exceeds(dense: OdexDense, s: number): boolean {
    const n = this.ctx.n;
    const yT = this.yT!;
    const tol = this.ctx.tol;
    for (let c = 0; c < n; c++) if (Math.abs(dense(c, s) - yT[c]) > tol) return true;
    return false;
  }

  /** lo exceeds, hi does not: bisect on the dense output of this step. */
  private bisect(dense: OdexDense, lo: number, hi: number): number {
    const stop = 1e-12 * (hi - lo);
    while (hi - lo > stop) {
      const mid = 0.5 * (lo + hi);
      if (mid <= lo || mid >= hi) break;
      if (this.exceeds(dense, mid)) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  }
}
