/**
 * Run a netlist in process with ngspice 45 compiled to WebAssembly (the eecircuit-engine
 * package, loaded on first use), and compare a chip phase node by node with gradep's own
 * transient (src/solvers/transient.ts, odex at tight tolerances or fine-step Euler).
 */
import type { Phase } from '../circuit/phase.js';
import type { TransientOptions } from '../circuit/analysis.js';
import type { CircuitModel } from '../dynamics/circuit.js';
import { relaxTransient } from '../solvers/transient.js';
import { GradepError } from '../util/errors.js';
import { type NetlistOptions, stateNodeNames, writeNetlist } from './netlist.js';

/** One transient result: times (s) and the saved node voltages (V), by lower-case name. */
export interface SpiceTrace {
  times: Float64Array;
  volts: Map<string, Float64Array>;
  wallSeconds: number;
}

interface SimulationLike {
  start(): Promise<void>;
  setNetList(text: string): void;
  runSim(): Promise<{ variableNames: string[]; data: { name: string; values: unknown[] }[] }>;
  getError(): string[];
}

let engine: Promise<SimulationLike> | null = null;

/** The one ngspice instance of this process (started once, reused: starting costs ~0.4 s). */
async function spiceEngine(): Promise<SimulationLike> {
  if (!engine) {
    engine = (async () => {
      const { Simulation } = (await import('eecircuit-engine')) as unknown as { Simulation: new () => SimulationLike };
      const sim = new Simulation();
      await sim.start();
      return sim;
    })();
  }
  return engine;
}

/** Run a transient netlist; ngspice errors become one GradepError. */
export async function runSpice(netlist: string): Promise<SpiceTrace> {
  const sim = await spiceEngine();
  const t0 = performance.now();
  sim.setNetList(netlist);
  const r = await sim.runSim();
  const wallSeconds = (performance.now() - t0) / 1000;
  const errs = sim.getError().filter((e) => e.trim() !== '');
  const time = r.data.find((d) => d.name === 'time');
  if (!time || errs.length) throw new GradepError(`ngspice: ${errs.length ? errs.join('; ') : 'no transient result'}`.slice(0, 500));
  const volts = new Map<string, Float64Array>();
  for (const d of r.data) if (d.name !== 'time') volts.set(d.name.toLowerCase(), Float64Array.from(d.values as number[]));
  return { times: Float64Array.from(time.values as number[]), volts, wallSeconds };
}

/** Linear interpolation of samples (ts, vs) at t (clamped to the ends). */
export function interpolate(ts: Float64Array, vs: Float64Array, t: number): number {
  if (t <= ts[0]) return vs[0];
  const n = ts.length;
  if (t >= ts[n - 1]) return vs[n - 1];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t) lo = mid;
    else hi = mid;
  }
  const w = (t - ts[lo]) / (ts[hi] - ts[lo]);
  return vs[lo] + w * (vs[hi] - vs[lo]);
}

/** Last time any node is farther than tol (state units) from its final value (0 if never). */
export function settleTimeOf(times: Float64Array, states: Float64Array[], tol: number): number {
  const last = states.map((s) => s[s.length - 1]);
  for (let k = times.length - 1; k >= 0; k--) {
    for (let n = 0; n < states.length; n++) if (Math.abs(states[n][k] - last[n]) > tol) return times[Math.min(k + 1, times.length - 1)];
  }
  return 0;
}

export interface SpiceCompareOptions {
  /** Sample of the phase's batch (default 0). */
  sample?: number;
  /** Phase duration (s). */
  duration: number;
  /** Most comparison times (ngspice's output times, evenly subsampled; default 1000). */
  points?: number;
  /** gradep's solver for the comparison: odex (default) or fine-step euler. */
  solver?: 'odex' | 'euler';
  /** euler step (s); default duration / 20000. */
  dt?: number;
  settleTol?: number;
  /** Netlist options passed through (tolerances, noise). */
  netlist?: Partial<NetlistOptions>;
}

export interface SpiceComparison {
  nodes: number;
  duration: number;
  /** Over all compared times and nodes, state units (V / V_unit). */
  maxError: number;
  rmsError: number;
  /** Same, at the end of the phase only. */
  finalMaxError: number;
  /** Per layer (x, h1, h2), max over times. */
  layerMaxError: { x: number; h1: number; h2: number };
  settleGradep: number | null;
  settleSpice: number;
  wallGradep: number;
  wallSpice: number;
  spicePoints: number;
  times: number[];
  /** States at `times` (N values each), state units. */
  gradep: Float64Array[];
  spice: Float64Array[];
  netlist: string;
}

/** gradep's transient of one sample from `start`, traced at `times`. */
function gradepRun(m: CircuitModel, ph: Phase, start: Float64Array, o: SpiceCompareOptions, times: number[]) {
  const b = o.sample ?? 0;
  const B = ph.xt.length / m.d.nx;
  const s = new Float64Array(B * m.N);
  s.set(start, b * m.N);
  const to: TransientOptions = {
    solver: o.solver ?? 'odex',
    dt: o.dt ?? o.duration / 20000,
    duration: o.duration,
    window: 0,
    seed: 0,
    stream: ['spice'],
    rtol: 1e-9,
    atol: 1e-11,
    settleTol: o.settleTol ?? 1e-3,
    traceTimes: times,
  };
  const t0 = performance.now();
  const st = relaxTransient(m, s, ph, to, b, b + 1);
  return { wall: (performance.now() - t0) / 1000, settle: st.settleTimeMax, trace: (st.trace ?? []).map((t) => t[0]) };
}

/** ngspice's own output times (t = 0 added: the engine's result starts after it), at most `max`. */
function compareTimes(ts: Float64Array, max: number): number[] {
  const all = ts[0] > 0 ? [0, ...ts] : Array.from(ts);
  if (all.length <= max) return all;
  const stride = (all.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, k) => all[Math.round(k * stride)]);
}

/**
 * Run one phase of one sample on the model's chip with ngspice and with gradep, from the same
 * start state, and compare node voltages (state units) at ngspice's own output times (gradep's
 * odex dense output is evaluated there, so no interpolation error enters the comparison).
 */
export async function compareWithSpice(m: CircuitModel, ph: Phase, start: Float64Array, o: SpiceCompareOptions): Promise<SpiceComparison> {
  const netlist = writeNetlist(m, ph, { sample: o.sample ?? 0, start, duration: o.duration, ...o.netlist });
  const sp = await runSpice(netlist);
  const names = stateNodeNames(m);
  const series = names.map((n, i) => {
    const v = sp.volts.get(`v(${n})`);
    if (!v) throw new GradepError(`ngspice: node ${n} missing from the result`);
    const u = v.map((x) => x / m.vUnit);
    return sp.times[0] > 0 ? Float64Array.from([start[i], ...u]) : u;
  });
  const spTimes = sp.times[0] > 0 ? Float64Array.from([0, ...sp.times]) : sp.times;
  // ngspice's last point may overshoot the stop time by a rounding error.
  const times = compareTimes(sp.times, o.points ?? 1000).map((t) => Math.min(t, o.duration));
  const np = times.length;
  const g = gradepRun(m, ph, start, o, times);
  const spice = times.map((t) => Float64Array.from(series, (v) => interpolate(spTimes, v, t)));
  const { nx, n1 } = m.d;
  let max = 0;
  let sq = 0;
  const layer = { x: 0, h1: 0, h2: 0 };
  for (let k = 0; k < np; k++) {
    for (let n = 0; n < m.N; n++) {
      const e = Math.abs(spice[k][n] - g.trace[k][n]);
      max = Math.max(max, e);
      sq += e * e;
      const key = n < nx ? 'x' : n < nx + n1 ? 'h1' : 'h2';
      layer[key] = Math.max(layer[key], e);
    }
  }
  let finalMax = 0;
  for (let n = 0; n < m.N; n++) finalMax = Math.max(finalMax, Math.abs(spice[np - 1][n] - g.trace[np - 1][n]));
  return {
    nodes: m.N,
    duration: o.duration,
    maxError: max,
    rmsError: Math.sqrt(sq / (np * m.N)),
    finalMaxError: finalMax,
    layerMaxError: layer,
    settleGradep: g.settle,
    settleSpice: settleTimeOf(spTimes, series, o.settleTol ?? 1e-3),
    wallGradep: g.wall,
    wallSpice: sp.wallSeconds,
    spicePoints: sp.times.length,
    times,
    gradep: g.trace,
    spice,
    netlist,
  };
}
