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
  if (y0.length !== n) throw new Error(`integrateOde: y0 has length ${y0.length}, system has n=${n}`);
  if (!(opt.rtol > 0) || !(opt.atol > 0)) throw new Error(`integrateOde: rtol and atol must be > 0, got ${opt.rtol}, ${opt.atol}`);
  if (!Number.isFinite(t0) || !Number.isFinite(t1) || !(t1 >= t0)) throw new Error(`integrateOde: need finite t1 >= t0, got t0=${t0}, t1=${t1}`);
  const maxSteps = opt.maxSteps ?? 10000;
  if (!(Number.isInteger(maxSteps) && maxSteps > 0)) throw new Error(`integrateOde: maxSteps must be a positive integer, got ${maxSteps}`);
  const tol = opt.settleTol;
  if (tol !== undefined && !(tol >= 0)) throw new Error(`integrateOde: settleTol must be >= 0, got ${tol}`);
  const span = t1 - t0;
  const traceTimes = opt.traceTimes ?? [];
  for (const tt of traceTimes) {
    if (!(tt >= t0 && tt <= t1)) throw new Error(`integrateOde: trace time ${tt} outside [${t0}, ${t1}]`);
  }

  if (span === 0) {
    return {
      y: Float64Array.from(y0),
      t: t1,
      steps: 0,
      evaluations: 0,
      rejected: 0,
      settleTime: tol === undefined ? null : t0,
      trace: opt.traceTimes ? { t: traceTimes.slice(), y: traceTimes.map(() => Float64Array.from(y0)) } : undefined,
    };
  }

  // Trace bookkeeping in normalised time s = (t - t0) / span, visited in ascending order.
  const order = traceTimes.map((_, i) => i).sort((a, b) => traceTimes[a] - traceTimes[b]);
  const traceS = order.map((i) => (traceTimes[i] - t0) / span);
  const traceY: Float64Array[] = traceTimes.map(() => new Float64Array(n));

  const yBuf = new Float64Array(n);
  const dBuf = new Float64Array(n);
  const y0Arr = Array.from(y0); // odex needs a plain array (see module comment)

  const runPass = (yT: Float64Array | null, doTrace: boolean): Pass => {
    let evaluations = 0;
    // dy/ds = span * f(t0 + s span, y)
    const f = (s: number, y: number[]): ArrayLike<number> => {
      evaluations++;
      for (let i = 0; i < n; i++) yBuf[i] = y[i];
      sys.rhs(t0 + s * span, yBuf, dBuf);
      for (let i = 0; i < n; i++) dBuf[i] *= span;
      return dBuf;
    };

    let lastS = 0;
    let traceIdx = 0;
    // settle scan state (second pass only)
    let prevDev = 0;
    let cand = -Infinity; // latest normalised time known to exceed tol (or a refined crossing)
    let lastStepStart = 0;

    const endpointDev = (y: ArrayLike<number>): number => {
      let m = 0;
      for (let i = 0; i < n; i++) {
        const d = Math.abs(y[i] - yT![i]);
        if (d > m) m = d;
      }
      return m;
    };
    // true if max_n |y_n(s) - yT_n| > tol on the dense output (early exit)
    const exceeds = (dense: OdexDense, s: number): boolean => {
      for (let c = 0; c < n; c++) if (Math.abs(dense(c, s) - yT![c]) > tol!) return true;
      return false;
    };
    // lo exceeds, hi does not: bisect on the dense output of this step
    const bisect = (dense: OdexDense, lo: number, hi: number): number => {
      const stop = 1e-12 * (hi - lo);
      while (hi - lo > stop) {
        const mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi) break;
        if (exceeds(dense, mid)) lo = mid;
        else hi = mid;
      }
      return 0.5 * (lo + hi);
    };

    const observer: OdexObserver = (nr, xOld, x, y, dense) => {
      lastS = x;
      if (nr === 1 || !dense) {
        // initial call: x = 0, y = y0, no interpolant
        if (doTrace) while (traceIdx < traceS.length && traceS[traceIdx] <= x) traceY[order[traceIdx++]].set(y);
        if (yT) {
          prevDev = endpointDev(y);
          if (prevDev > tol!) cand = x;
        }
        return;
      }
      if (doTrace) {
        while (traceIdx < traceS.length && traceS[traceIdx] <= x) {
          const s = traceS[traceIdx];
          const out = traceY[order[traceIdx++]];
          if (s === x) out.set(y);
          else for (let c = 0; c < n; c++) out[c] = dense(c, s);
        }
      }
      if (yT) {
        lastStepStart = xOld;
        const dev = endpointDev(y);
        if (dev > tol!) {
          cand = x; // not settled at the end of this step: no interior search needed
        } else {
          // Last excursion inside (xOld, x)? Scan interior samples from the right, then refine.
          const h = x - xOld;
          let found = false;
          for (let k = SETTLE_SAMPLES - 1; k >= 1; k--) {
            const s = xOld + (h * k) / SETTLE_SAMPLES;
            if (exceeds(dense, s)) {
              const right = k + 1 === SETTLE_SAMPLES ? x : xOld + (h * (k + 1)) / SETTLE_SAMPLES;
              cand = bisect(dense, s, right);
              found = true;
              break;
            }
          }
          if (!found && prevDev > tol!) cand = bisect(dense, xOld, xOld + h / SETTLE_SAMPLES);
        }
        prevDev = dev;
      }
    };

    const solver = new odex.Solver(n);
    solver.relativeTolerance = opt.rtol;
    solver.absoluteTolerance = opt.atol;
    solver.maxSteps = maxSteps;
    solver.denseOutput = true; // same configuration in every pass, so passes are bit-identical
    if (opt.initialStep !== undefined) solver.initialStepSize = opt.initialStep / span;
    const res = solver.solve(f, 0, y0Arr, 1, observer);
    if (res.outcome === odex.Outcome.MaxStepsExceeded) {
      throw new Error(
        `odex: step limit ${maxSteps} reached at t=${t0 + lastS * span} (of [${t0}, ${t1}]); the system is probably stiff ` +
          '(time constants differing by orders of magnitude limit an explicit method by stability): use an implicit solver, ' +
          'remove the fast mode, or raise maxSteps',
      );
    }
    if (res.outcome !== odex.Outcome.Converged) throw new Error(`odex: integration stopped early (outcome ${res.outcome})`);
    if (doTrace) while (traceIdx < traceS.length) traceY[order[traceIdx++]].set(res.y); // s = 1 vs final x rounding

    let settle: number | null = null;
    if (yT) {
      if (cand === -Infinity) settle = t0;
      else if (cand > lastStepStart || res.nAccept === 0) settle = null;
      else settle = t0 + cand * span;
    }
    return {
      y: Float64Array.from(res.y),
      steps: res.nAccept,
      attempts: res.nStep,
      evaluations,
      settle,
    };
  };

  let pass = runPass(null, traceTimes.length > 0);
  let settleTime: number | null = null;
  if (tol !== undefined) {
    const second = runPass(pass.y, false);
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
    trace: opt.traceTimes ? { t: traceTimes.slice(), y: traceY } : undefined,
  };
}
