/**
 * A realised chip as an ngspice netlist (issue 13): the circuit CircuitModel.drift integrates
 * (src/dynamics/circuit.ts), written element by element in volts, siemens and farads, node
 * voltage V = V_unit u. Per node a capacitor C_n and a leak 1/G_L,n to ground; per visible
 * node a spring resistor to a DC source at V_unit x_t and, in a nudged phase, a VCCS of
 * transconductance beta kappa G_unit g_j toward V_unit x_target (negative in the -beta phase).
 * Every crossbar is real resistors: drive lines come from ideal buffers (visible) or
 * activation sources V_unit rho_i(u) (hidden), sense lines sit at virtual ground (0 V
 * sources whose currents are read), differential pairs G+ and G- go to separate sense lines,
 * and a sense amplifier injects (I+ - I-) into the visible node, or rho_i'(u) (I+ - I-) into
 * the hidden one. Forward (W_f) and backward (W_b) read paths are separate resistor copies, so
 * a non-reciprocal chip is exact. Each element kind is one function, so new physics adds one.
 *
 * Periphery (issue 12, src/chip/periphery.ts): drive lines at s V_unit u and amplifiers of gain
 * 1/s (synapse.v_read_scale s); the amplifier offset V_os G_line as a line current source; the rho'
 * generator and multiplier spreads as the hidden injector's gain, offset and input offset; a
 * finite amplifier GBW as one pole node z per sensed line (z' = w_a (a - z), CircuitModel's aux
 * state); the sinh I-V as B-source devices; with --noise the lumped (e_n included) or
 * source-placed noise currents. Not written: r_wire with nonreciprocity (refused: the model
 * scales IR-dropped backward weights, not devices). With r_wire and iv_v0 the wired devices are
 * sinh B sources: the physical network, which the model only approximates (O(r_wire)).
 */
import type { Phase } from '../circuit/phase.js';
import type { TanhShape } from '../circuit/activation-shape.js';
import { driftFactor } from '../chip/chip.js';
import type { CircuitModel } from '../dynamics/circuit.js';
import { GradepError } from '../util/errors.js';

export interface NetlistOptions {
  /** Sample of the phase's batch whose sources (x_t, x_target) are written. */
  sample: number;
  /** Start state (N values, state units) for the `.ic` card. */
  start: Float64Array;
  /** Phase duration (s) for `.tran`. */
  duration: number;
  /** Add Johnson-Nyquist current noise per node as trnoise sources (needs noise.temperature > 0). */
  noise?: boolean;
  /** Largest internal step (s); default duration / 500. */
  tmax?: number;
  /** ngspice truncation-error factor trtol (default 1; ngspice's own default 7 leaves ~1e-3 errors mid-transient). */
  trtol?: number;
  /** ngspice relative tolerance (default 1e-6). */
  reltol?: number;
  /** Noise sample interval (s) of trnoise; default a twentieth of the fastest time constant (nodes and amplifier poles). */
  noiseStep?: number;
  /** Title line and header comments (circuit name, seeds, phase...). */
  title?: string;
  comments?: string[];
}

/** Node names of the state vector, in state order: x0.., h1_0.., h2_0... */
export function stateNodeNames(m: CircuitModel): string[] {
  const { nx, n1, n2 } = m.d;
  return [...Array.from({ length: nx }, (_, j) => `x${j}`), ...Array.from({ length: n1 }, (_, i) => `h1_${i}`), ...Array.from({ length: n2 }, (_, k) => `h2_${k}`)];
}

/** A number as ngspice reads it, 12 significant digits (far below the 1e-3 comparison). */
export function num(v: number): string {
  if (!Number.isFinite(v)) throw new GradepError(`netlist: non-finite value ${v}`);
  return Number(v.toPrecision(12)).toString();
}

/** The activation rho(u) = 10 tanh(silu(u)/10) (src/dynamics/activation.ts), or the chip's tanh element, and rho'(u) as .func. */
function activationFuncs(f: TanhShape | null): string[] {
  if (f) {
    const z = `(u-(${num(f.offset)}))/${num(f.scale)}`;
    return [
      '* Activation: the differential-pair element fitted to its transistor-level characterisation',
      '* (activation.kind tanh; circuits/spice/diffpair-tanh.cir), rho(u) = A tanh((u - u0)/s) + c, and its derivative.',
      `.func rho(u) {${num(f.amplitude)}*tanh(${z})+(${num(f.bias)})}`,
      `.func drho(u) {${num(f.amplitude / f.scale)}*(1-tanh(${z})**2)}`,
    ];
  }
  return [
    '* Activation rho(u) = 10 tanh(silu(u)/10), silu(u) = u sigmoid(u) (arXiv 2604.08150), and its derivative.',
    '.func sig(u) {1/(1+exp(-u))}',
    '.func rho(u) {10*tanh(u*sig(u)/10)}',
    '.func drho(u) {(1-tanh(u*sig(u)/10)**2)*sig(u)*(1+u*(1-sig(u)))}',
  ];
}

/** One subcircuit per element kind; instances below give each device its realised value. */
function subcircuits(): string[] {
  return [
    '* Node: capacitor C to ground and leak conductance G_L (realises the 1/2 u^2 energy term).',
    '.subckt node_rc n params: c=1e-13 gl=1e-5',
    'C1 n 0 {c}',
    'RL n 0 {1/gl}',
    '.ends node_rc',
    '* Spring: conductance g from a DAC source at V_unit x_t (the lambda/2 |x - x_t|^2 term).',
    '.subckt spring n params: g=1e-4 v=0',
    'VDAC src 0 DC {v}',
    'RS src n {1/g}',
    '.ends spring',
    '* Nudge: current g (V(n) - V_unit x_target) out of the node; g < 0 in the -beta phase, so a VCCS.',
    '.subckt nudge n params: g=1e-7 v=0',
    'VDAC tgt 0 DC {v}',
    'GN n 0 n tgt {g}',
    '.ends nudge',
    '* Visible driver: ideal buffer putting s V(x) on its crossbar drive line (s = synapse.v_read_scale).',
    '.subckt buffer n d params: s=1',
    'EB d 0 n 0 {s}',
    '.ends buffer',
    '* Activation element: drive line at s V_unit gain rho(u - offset), u = V(h)/V_unit.',
    '.subckt activation h d params: vu=0.1 s=1 gain=1 off=0',
    'BA d 0 V = {s*vu*gain}*rho(v(h)/{vu}-{off})',
    '.ends activation',
    '* Visible sense amplifier: lines sp, sm held at 0 V; injects (I(sp) - I(sm)) / s into the node.',
    '* ib: programmed bias current s G_unit V_unit bx plus the amplifier offset current V_os G_line, on the sp line.',
    '.subckt sense_visible n sp sm params: s=1 ib=0',
    'VP sp 0 DC 0',
    'VM sm 0 DC 0',
    'IB 0 sp DC {ib}',
    'FP 0 n VP {1/s}',
    'FM n 0 VM {1/s}',
    '.ends sense_visible',
    '* Hidden sense amplifier and multiplier: injects gm rho\'(u - off) ((I(sp) - I(sm)) / s + io) into the node;',
    '* gm = gain x rho\' generator gain x multiplier gain, off includes the rho\' generator offset, io the multiplier input offset (A).',
    '.subckt sense_hidden h sp sm params: vu=0.1 s=1 gm=1 off=0 io=0 ib=0',
    'VP sp 0 DC 0',
    'VM sm 0 DC 0',
    'IB 0 sp DC {ib}',
    'BI 0 h I = {gm}*drho(v(h)/{vu}-{off})*((i(VP)-i(VM))/{s}+{io})',
    '.ends sense_hidden',
    '* Amplifier pole (finite amplifier.gbw): node z with C_z and 1/g_z, time constant C_z / g_z = 1 / w_a, fed g_z / G_unit',
    '* times the amplifier input ((I(sp) - I(sm)) / s + io), so V(z) = V_unit z with z\' = w_a (a - z) (CircuitModel aux state).',
    '.subckt pole z sp sm params: s=1 gz=1e-5 c=1e-13 gu=1e-5 io=0 ib=0',
    'VP sp 0 DC 0',
    'VM sm 0 DC 0',
    'IB 0 sp DC {ib}',
    'FP 0 z VP {gz/(gu*s)}',
    'FM z 0 VM {gz/(gu*s)}',
    'IO 0 z DC {gz*io/gu}',
    'CZ z 0 {c}',
    'RZ z 0 {1/gz}',
    '.ends pole',
    '* Visible node fed by its pole: current G_unit V(z) into the node.',
    '.subckt pole_visible n z params: gu=1e-5',
    'GZ 0 n z 0 {gu}',
    '.ends pole_visible',
    '* Hidden node fed by its pole through the multiplier: gm rho\'(u - off) G_unit V(z) into the node.',
    '.subckt pole_hidden h z params: vu=0.1 gm=1 off=0 gu=1e-5',
    'BI 0 h I = {gm*gu}*drho(v(h)/{vu}-{off})*v(z)',
    '.ends pole_hidden',
  ];
}

/** Capacitor and leak of every node. */
function nodeElements(m: CircuitModel, names: string[]): string[] {
  const out = ['', '* ---- Nodes: C_n and G_L,n (frozen mismatch included) ----'];
  for (let n = 0; n < m.N; n++) out.push(`XN_${names[n]} ${names[n]} node_rc c=${num(m.chip.C[n])} gl=${num(m.chip.GL[n])}`);
  return out;
}

/** Spring element of every visible node (omitted where its realised conductance is 0). */
function springElements(m: CircuitModel, ph: Phase, b: number): string[] {
  const { nx } = m.d;
  const out = ['', '* ---- Springs: G_s,j = lambda G_L (1 + mismatch) to V_unit x_t,j ----'];
  for (let j = 0; j < nx; j++) {
    const g = m.chip.gSpring[j];
    if (g > 0) out.push(`XS_x${j} x${j} spring g=${num(g)} v=${num(m.vUnit * ph.xt[b * nx + j])}`);
  }
  return out;
}

/** Nudge element of every visible node in a nudged phase (none in the free phase). */
function nudgeElements(m: CircuitModel, ph: Phase, b: number): string[] {
  if (ph.betaKappa === 0) return ['', '* ---- Nudge: none (free phase) ----'];
  const { nx } = m.d;
  const tgt = ph.xtarget as Float64Array;
  const out = ['', `* ---- Nudge: beta kappa = ${num(ph.betaKappa)}, g_j = beta kappa G_unit g_j toward V_unit x_target,j ----`];
  for (let j = 0; j < nx; j++) {
    const g = ph.betaKappa * m.gUnit * m.chip.nudgeGain[j];
    if (g !== 0) out.push(`XU_x${j} x${j} nudge g=${num(g)} v=${num(m.vUnit * tgt[b * nx + j])}`);
  }
  return out;
}

/** Drive lines: buffers for the visible nodes, activation elements for the hidden ones (both at s V_unit u, s = v_read_scale). */
function driverElements(m: CircuitModel): string[] {
  const { nx, n1, n2 } = m.d;
  const { gain, offset } = m.chip;
  const s = num(m.readScale);
  const out = ['', '* ---- Drive lines: dx_j = s V(x_j); d1_i, d2_k = s V_unit gain rho(u - offset) ----'];
  for (let j = 0; j < nx; j++) out.push(`XB_x${j} x${j} dx${j} buffer s=${s}`);
  for (let i = 0; i < n1 + n2; i++) {
    const [l, k] = i < n1 ? [1, i] : [2, i - n1];
    out.push(`XA_h${l}_${k} h${l}_${k} d${l}_${k} activation vu=${num(m.vUnit)} s=${s} gain=${num(gain[i])} off=${num(offset[i])}`);
  }
  return out;
}

/** Per node: its sensed-line prefix, the line current source (A) and, on hidden nodes, the multiplier's gain, offset (u) and input offset (A). */
function senseParams(m: CircuitModel, n: number): { line: string; ib: number; gm: number; off: number; io: number } {
  const { nx, n1 } = m.d;
  const c = m.chip;
  const p = m.per;
  const iu = m.gUnit * m.vUnit;
  const vos = p.vos ? p.vos[n] * m.gSyn[n] : 0;
  if (n < nx) return { line: `sx${n}`, ib: m.readScale * iu * c.bias.bx[n] + vos, gm: 1, off: 0, io: 0 };
  const i = n - nx;
  const [l, k] = i < n1 ? [1, i] : [2, i - n1];
  const b = l === 1 ? c.bias.b0[k] : c.bias.b1[k];
  const gm = c.gain[i] * (p.derivGain ? p.derivGain[i] : 1) * (p.multGain ? p.multGain[i] : 1);
  const off = c.offset[i] + (p.derivOffset ? p.derivOffset[i] : 0);
  return { line: `s${l}_${k}`, ib: m.readScale * iu * b + vos, gm, off, io: p.multOffset ? iu * p.multOffset[i] : 0 };
}

/**
 * Sense amplifiers with their line current sources (bias, V_os G_line) and, on hidden nodes, the
 * rho' generator and multiplier. With finite GBW each node also gets a pole node z_<node> (.ic
 * from CircuitModel.initAux: settled on its input at the start state).
 */
function senseElements(m: CircuitModel, names: string[]): string[] {
  const nx = m.d.nx;
  const vu = num(m.vUnit);
  const s = num(m.readScale);
  const gu = num(m.gUnit);
  const out = ['', `* ---- Sense amplifiers (virtual-ground lines s*p, s*m), bias and offset currents${m.wa ? ', amplifier poles z_*' : ''} ----`];
  for (let n = 0; n < m.N; n++) {
    const { line, ib, gm, off, io } = senseParams(m, n);
    const [p, q] = [`${line}p`, `${line}m`];
    if (m.wa) {
      const z = `z_${names[n]}`;
      const c = m.chip.C[n];
      out.push(`XP_${names[n]} ${z} ${p} ${q} pole s=${s} gz=${num(m.wa[n] * c)} c=${num(c)} gu=${gu} io=${num(io)} ib=${num(ib)}`);
      if (n < nx) out.push(`XI_${names[n]} ${names[n]} ${z} pole_visible gu=${gu}`);
      else out.push(`XI_${names[n]} ${names[n]} ${z} pole_hidden vu=${vu} gm=${num(gm)} off=${num(off)} gu=${gu}`);
    } else if (n < nx) out.push(`XI_${names[n]} ${names[n]} ${p} ${q} sense_visible s=${s} ib=${num(ib)}`);
    else out.push(`XI_${names[n]} ${names[n]} ${p} ${q} sense_hidden vu=${vu} s=${s} gm=${num(gm)} off=${num(off)} io=${num(io)} ib=${num(ib)}`);
  }
  return out;
}

interface ArrayPath {
  label: string;
  rows: number;
  cols: number;
  Gp: Float64Array;
  Gm: Float64Array;
  mp: Float64Array;
  mm: Float64Array;
  back: Float64Array | null;
  /** Drive line of (row, col) and the two sense lines it feeds. */
  drive: (r: number, c: number) => string;
  sense: (r: number, c: number) => string;
}

/** One read path of one crossbar: G+ m+ k and G- m- k resistors (k = drift, times back for W_b); sinh devices when v0 > 0. */
function crossbarPath(p: ArrayPath, k: number, v0: number): string[] {
  const out = ['', `* ---- Crossbar ${p.label} ----`];
  for (let r = 0; r < p.rows; r++) {
    for (let c = 0; c < p.cols; c++) {
      const idx = r * p.cols + c;
      const f = k * (p.back ? p.back[idx] : 1);
      const gp = p.Gp[idx] * p.mp[idx] * f;
      const gm = p.Gm[idx] * p.mm[idx] * f;
      const d = p.drive(r, c);
      const s = p.sense(r, c);
      for (const [h, g] of [['p', gp], ['m', gm]] as [string, number][]) {
        if (!(g > 0)) continue;
        // synapse.iv_v0: the device I-V I = G V0 sinh(V / V0) as a B source (V across it: drive to virtual ground).
        if (v0 > 0) out.push(`B${p.label}${h}_${r}_${c} ${d} ${s}${h} I = ${num(g * v0)}*sinh(v(${d},${s}${h})/${num(v0)})`);
        else out.push(`R${p.label}${h}_${r}_${c} ${d} ${s}${h} ${num(1 / g)}`);
      }
    }
  }
  return out;
}

/**
 * One read path with line resistance r (synapse.r_wire), in the geometry of src/chip/irdrop.ts:
 * each logical driven line d is a +V_d line (G+ devices) and a -V_d line (inverting buffer; G-
 * devices), fed at the end of sensed line 0; each sensed line is held at virtual ground by its
 * amplifier past the last driven line; every cell adds a segment r to both of its lines. Every
 * sensed current goes into the amplifier's p line. `sensedIsRow`: rows index the sensed lines.
 */
function wiredPath(p: ArrayPath, k: number, r: number, sensedIsRow: boolean, v0: number): string[] {
  const [ns, nd] = sensedIsRow ? [p.rows, p.cols] : [p.cols, p.rows];
  const at = (sn: number, dn: number) => (sensedIsRow ? [sn, dn] : [dn, sn]);
  const L = p.label;
  const out = ['', `* ---- Crossbar ${L} with line resistance ${num(r)} ohm per cell segment (+V and -V driven lines, one sensed line each) ----`];
  for (let d = 0; d < nd; d++) {
    const src = p.drive(...(at(0, d) as [number, number]));
    out.push(`E${L}n_${d} ${L}n_${d} 0 ${src} 0 -1`);
    for (const [q, from] of [[2 * d, src], [2 * d + 1, `${L}n_${d}`]] as [number, string][]) {
      for (let sn = 0; sn < ns; sn++) out.push(`R${L}a_${q}_${sn} ${sn === 0 ? from : `${L}a${q}_${sn - 1}`} ${L}a${q}_${sn} ${num(r)}`);
    }
  }
  for (let sn = 0; sn < ns; sn++) {
    const [i, j] = at(sn, 0);
    for (let q = 0; q < 2 * nd; q++) {
      const [ri, ci] = at(sn, q >> 1);
      const idx = ri * p.cols + ci;
      const g = (q & 1 ? p.Gm[idx] * p.mm[idx] : p.Gp[idx] * p.mp[idx]) * k;
      const [na, nb] = [`${L}a${q}_${sn}`, `${L}b${q}_${sn}`];
      if (g > 0 && v0 > 0) out.push(`B${L}g_${q}_${sn} ${na} ${nb} I = ${num(g * v0)}*sinh(v(${na},${nb})/${num(v0)})`);
      else if (g > 0) out.push(`R${L}g_${q}_${sn} ${na} ${nb} ${num(1 / g)}`);
      out.push(`R${L}b_${q}_${sn} ${L}b${q}_${sn} ${q === 2 * nd - 1 ? `${p.sense(i, j)}p` : `${L}b${q + 1}_${sn}`} ${num(r)}`);
    }
  }
  return out;
}

/** The four read paths: W0 forward (x to h1), W0 backward (rho(h1) to x), W1 forward, W1 backward. */
function crossbarElements(m: CircuitModel): string[] {
  const { nx, n1, n2 } = m.d;
  const c = m.chip;
  const k = driftFactor(c, m.readTime ?? c.spec.program.drift_t0);
  const a0 = { rows: n1, cols: nx, Gp: c.G0p, Gm: c.G0m, mp: c.m0p, mm: c.m0m };
  const a1 = { rows: n2, cols: n1, Gp: c.G1p, Gm: c.G1m, mp: c.m1p, mm: c.m1m };
  // synapse.topology two_arrays: the backward paths are their own devices (chip.bwd).
  const b = c.bwd;
  const b0 = b ? { rows: n1, cols: nx, Gp: b.G0p, Gm: b.G0m, mp: b.m0p, mm: b.m0m } : a0;
  const b1 = b ? { rows: n2, cols: n1, Gp: b.G1p, Gm: b.G1m, mp: b.m1p, mm: b.m1m } : a1;
  const r = c.spec.synapse.r_wire;
  const v0 = c.spec.synapse.iv_v0 ?? 0;
  if (r > 0) {
    return [
      ...wiredPath({ ...a0, label: 'W0f', back: null, drive: (_i, j) => `dx${j}`, sense: (i) => `s1_${i}` }, k, r, true, v0),
      ...wiredPath({ ...b0, label: 'W0b', back: null, drive: (i) => `d1_${i}`, sense: (_i, j) => `sx${j}` }, k, r, false, v0),
      ...wiredPath({ ...a1, label: 'W1f', back: null, drive: (_k, i) => `d1_${i}`, sense: (kk) => `s2_${kk}` }, k, r, true, v0),
      ...wiredPath({ ...b1, label: 'W1b', back: null, drive: (kk) => `d2_${kk}`, sense: (_k, i) => `s1_${i}` }, k, r, false, v0),
    ];
  }
  return [
    ...crossbarPath({ ...a0, label: 'W0f', back: null, drive: (_i, j) => `dx${j}`, sense: (i) => `s1_${i}` }, k, v0),
    ...crossbarPath({ ...b0, label: 'W0b', back: c.back0, drive: (i) => `d1_${i}`, sense: (_i, j) => `sx${j}` }, k, v0),
    ...crossbarPath({ ...a1, label: 'W1f', back: null, drive: (_k, i) => `d1_${i}`, sense: (kk) => `s2_${kk}` }, k, v0),
    ...crossbarPath({ ...b1, label: 'W1b', back: c.back1, drive: (kk) => `d2_${kk}`, sense: (_k, i) => `s1_${i}` }, k, v0),
  ];
}

/** Fastest time constant (s): C_n over everything attached to the node, nudge included, and the amplifier poles 1 / w_a. */
export function fastestTau(m: CircuitModel, ph: Phase): number {
  let t = m.wa ? 1 / Math.max(...m.wa) : Infinity;
  for (let n = 0; n < m.N; n++) {
    const s = n < m.d.nx ? m.chip.gSpring[n] + Math.abs(ph.betaKappa) * m.gUnit * m.chip.nudgeGain[n] : 0;
    t = Math.min(t, m.chip.C[n] / (m.chip.GL[n] + m.gSyn[n] + s));
  }
  return t;
}

/**
 * Noise sources (--noise), amplitudes from CircuitModel.sigma after setPhase (so the nudge
 * transconductor's noise of noise.placement source is in) and sLine. Per node a white current of
 * intensity (sigma_n C_n V_unit)^2: all Johnson noise and amplifier e_n (lumped), or the leak, spring
 * and nudge noise (source). With source placement the sensed-line noise is a current on the
 * amplifier's p line, scaled by s so that it enters after the 1/s amplifier as in the model: it then
 * passes the multiplier (sigma_line C V_unit) or the pole (sigma_z G_unit V_unit / w_a). trnoise
 * samples of rms sqrt(intensity / step) held for `step` seconds.
 */
function noiseElements(m: CircuitModel, names: string[], step: number): string[] {
  const out = ['', `* ---- Noise: trnoise current per node${m.sourceNoise ? ' and per sensed line' : ''}, sample interval ${num(step)} s ----`];
  const src = (name: string, node: string, q: number) => {
    if (q > 0) out.push(`${name} 0 ${node} DC 0 trnoise(${num(Math.sqrt(q / step))} ${num(step)} 0 0)`);
  };
  const { nx } = m.d;
  for (let n = 0; n < m.N; n++) src(`IN_${names[n]}`, names[n], (m.sigma[n] * m.chip.C[n] * m.vUnit) ** 2);
  if (!m.sourceNoise) return out;
  for (let n = 0; n < m.N; n++) {
    const line = `${senseParams(m, n).line}p`;
    let a = 0;
    if (m.wa) a = (m.sigma[m.N + n] * m.gUnit * m.vUnit) / m.wa[n];
    else if (n >= nx) a = m.sLine[n - nx] * m.chip.C[n] * m.vUnit;
    src(`INL_${names[n]}`, line, (m.readScale * a) ** 2);
  }
  return out;
}

/** Initial conditions, options, saved vectors and the transient analysis. */
function analysisCards(m: CircuitModel, names: string[], o: NetlistOptions): string[] {
  const tmax = o.tmax ?? o.duration / 500;
  const out = ['', '* ---- Analysis: start state (.ic, used as given: uic), transient over the phase ----'];
  for (let n = 0; n < m.N; n += 8) {
    out.push('.ic ' + names.slice(n, n + 8).map((s, i) => `v(${s})=${num(m.vUnit * o.start[n + i])}`).join(' '));
  }
  if (m.wa) {
    // Amplifier poles settled on their inputs at the start state, as gradep's transient starts them.
    const y = new Float64Array(2 * m.N);
    y.set(o.start);
    m.initAux(o.sample, y);
    for (let n = 0; n < m.N; n += 8) {
      out.push('.ic ' + names.slice(n, n + 8).map((s, i) => `v(z_${s})=${num(m.vUnit * y[m.N + n + i])}`).join(' '));
    }
  }
  out.push(`.options reltol=${num(o.reltol ?? 1e-6)} abstol=1e-15 vntol=1e-9 chgtol=1e-20 trtol=${num(o.trtol ?? 1)}`);
  for (let n = 0; n < m.N; n += 8) out.push('.save ' + names.slice(n, n + 8).map((s) => `v(${s})`).join(' '));
  out.push(`.tran ${num(tmax)} ${num(o.duration)} 0 ${num(tmax)} uic`);
  out.push('.end');
  return out;
}

/** The netlist of one sample of one phase on the model's chip. */
export function writeNetlist(m: CircuitModel, ph: Phase, o: NetlistOptions): string {
  if (ph.clampX) throw new GradepError('netlist: a phase with clamped x (energy_gd inference) is not supported; write the free or a nudged phase');
  if (o.start.length !== m.N) throw new GradepError(`netlist: start state has ${o.start.length} values, allowed exactly ${m.N}`);
  if (o.noise && !m.noisy) throw new GradepError('netlist: --noise needs noise.temperature > 0 in the circuit');
  const sp = m.chip.spec;
  if (!m.kernelSupported || (sp.synapse.r_wire > 0 && sp.synapse.nonreciprocity > 0)) {
    throw new GradepError('netlist: not yet written for synapse.r_wire together with synapse.nonreciprocity (the model scales the IR-dropped backward weights, not devices): set one of them to 0');
  }
  m.setPhase(ph);
  const names = stateNodeNames(m);
  const { nx, n1, n2 } = m.d;
  const head = [
    `* ${o.title ?? 'gradep realised chip'}`,
    '* Written by gradep (src/spice/netlist.ts). Units: V, A, S, F, s; node voltage V = V_unit u,',
    `* V_unit = ${num(m.vUnit)} V, G_unit = ${num(m.gUnit)} S. Layers: ${nx} visible (x*), ${n1} + ${n2} hidden (h1_*, h2_*).`,
    '* KCL at node n / V_unit: C_n du/dt = -G_L,n u + G_unit c_n(u) + G_s (x_t - x) - beta kappa G_unit g (x - x_target).',
    '* Run: ngspice -b this.cir (node voltages v(x*), v(h1_*), v(h2_*)).',
    ...(o.comments ?? []).map((c) => `* ${c}`),
    '',
  ];
  const noise = o.noise ? noiseElements(m, names, o.noiseStep ?? fastestTau(m, ph) / 20) : [];
  const lines = [
    ...head,
    ...activationFuncs(m.chip.shape),
    '',
    ...subcircuits(),
    ...nodeElements(m, names),
    ...springElements(m, ph, o.sample),
    ...nudgeElements(m, ph, o.sample),
    ...driverElements(m),
    ...senseElements(m, names),
    ...crossbarElements(m),
    ...noise,
    ...analysisCards(m, names, o),
  ];
  return lines.join('\n') + '\n';
}
