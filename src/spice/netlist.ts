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
  /** Noise sample interval (s) of trnoise; default a twentieth of the fastest node time constant. */
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
    '* Visible driver: ideal buffer putting the node voltage on its crossbar drive line.',
    '.subckt buffer n d',
    'EB d 0 n 0 1',
    '.ends buffer',
    '* Activation element: drive line at V_unit gain rho(u - offset), u = V(h)/V_unit.',
    '.subckt activation h d params: vu=0.1 gain=1 off=0',
    'BA d 0 V = {vu*gain}*rho(v(h)/{vu}-{off})',
    '.ends activation',
    '* Visible sense amplifier: lines sp, sm held at 0 V; injects I(sp) - I(sm) into the node.',
    '* The bias bx is a programmed current source on the sp line.',
    '.subckt sense_visible n sp sm params: ib=0',
    'VP sp 0 DC 0',
    'VM sm 0 DC 0',
    'IB 0 sp DC {ib}',
    'FP 0 n VP 1',
    'FM n 0 VM 1',
    '.ends sense_visible',
    '* Hidden sense amplifier: injects gain rho\'(u - offset) (I(sp) - I(sm)) into the node.',
    '.subckt sense_hidden h sp sm params: vu=0.1 gain=1 off=0 ib=0',
    'VP sp 0 DC 0',
    'VM sm 0 DC 0',
    'IB 0 sp DC {ib}',
    'BI 0 h I = {gain}*drho(v(h)/{vu}-{off})*(i(VP)-i(VM))',
    '.ends sense_hidden',
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

/** Drive lines: buffers for the visible nodes, activation elements for the hidden ones. */
function driverElements(m: CircuitModel): string[] {
  const { nx, n1, n2 } = m.d;
  const { gain, offset } = m.chip;
  const out = ['', '* ---- Drive lines: dx_j = V(x_j); d1_i, d2_k = V_unit gain rho(u - offset) ----'];
  for (let j = 0; j < nx; j++) out.push(`XB_x${j} x${j} dx${j} buffer`);
  for (let i = 0; i < n1 + n2; i++) {
    const [l, k] = i < n1 ? [1, i] : [2, i - n1];
    out.push(`XA_h${l}_${k} h${l}_${k} d${l}_${k} activation vu=${num(m.vUnit)} gain=${num(gain[i])} off=${num(offset[i])}`);
  }
  return out;
}

/** Sense amplifiers with the bias current sources (bias times G_unit V_unit, in amperes). */
function senseElements(m: CircuitModel): string[] {
  const { nx, n1, n2 } = m.d;
  const { gain, offset, bias } = m.chip;
  const iu = m.gUnit * m.vUnit;
  const out = ['', '* ---- Sense amplifiers (virtual-ground lines s*p, s*m) and bias currents ----'];
  for (let j = 0; j < nx; j++) out.push(`XI_x${j} x${j} sx${j}p sx${j}m sense_visible ib=${num(iu * bias.bx[j])}`);
  for (let i = 0; i < n1 + n2; i++) {
    const [l, k] = i < n1 ? [1, i] : [2, i - n1];
    const b = l === 1 ? bias.b0[k] : bias.b1[k];
    out.push(`XI_h${l}_${k} h${l}_${k} s${l}_${k}p s${l}_${k}m sense_hidden vu=${num(m.vUnit)} gain=${num(gain[i])} off=${num(offset[i])} ib=${num(iu * b)}`);
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

/** One read path of one crossbar: G+ m+ k and G- m- k resistors (k = drift, times back for W_b). */
function crossbarPath(p: ArrayPath, k: number): string[] {
  const out = ['', `* ---- Crossbar ${p.label} ----`];
  for (let r = 0; r < p.rows; r++) {
    for (let c = 0; c < p.cols; c++) {
      const idx = r * p.cols + c;
      const f = k * (p.back ? p.back[idx] : 1);
      const gp = p.Gp[idx] * p.mp[idx] * f;
      const gm = p.Gm[idx] * p.mm[idx] * f;
      const d = p.drive(r, c);
      const s = p.sense(r, c);
      if (gp > 0) out.push(`R${p.label}p_${r}_${c} ${d} ${s}p ${num(1 / gp)}`);
      if (gm > 0) out.push(`R${p.label}m_${r}_${c} ${d} ${s}m ${num(1 / gm)}`);
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
function wiredPath(p: ArrayPath, k: number, r: number, sensedIsRow: boolean): string[] {
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
      if (g > 0) out.push(`R${L}g_${q}_${sn} ${L}a${q}_${sn} ${L}b${q}_${sn} ${num(1 / g)}`);
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
  if (r > 0) {
    return [
      ...wiredPath({ ...a0, label: 'W0f', back: null, drive: (_i, j) => `dx${j}`, sense: (i) => `s1_${i}` }, k, r, true),
      ...wiredPath({ ...b0, label: 'W0b', back: null, drive: (i) => `d1_${i}`, sense: (_i, j) => `sx${j}` }, k, r, false),
      ...wiredPath({ ...a1, label: 'W1f', back: null, drive: (_k, i) => `d1_${i}`, sense: (kk) => `s2_${kk}` }, k, r, true),
      ...wiredPath({ ...b1, label: 'W1b', back: null, drive: (kk) => `d2_${kk}`, sense: (_k, i) => `s1_${i}` }, k, r, false),
    ];
  }
  return [
    ...crossbarPath({ ...a0, label: 'W0f', back: null, drive: (_i, j) => `dx${j}`, sense: (i) => `s1_${i}` }, k),
    ...crossbarPath({ ...b0, label: 'W0b', back: c.back0, drive: (i) => `d1_${i}`, sense: (_i, j) => `sx${j}` }, k),
    ...crossbarPath({ ...a1, label: 'W1f', back: null, drive: (_k, i) => `d1_${i}`, sense: (kk) => `s2_${kk}` }, k),
    ...crossbarPath({ ...b1, label: 'W1b', back: c.back1, drive: (kk) => `d2_${kk}`, sense: (_k, i) => `s1_${i}` }, k),
  ];
}

/** Fastest node time constant (s): C_n over everything attached to the node, nudge included. */
export function fastestTau(m: CircuitModel, ph: Phase): number {
  let t = Infinity;
  for (let n = 0; n < m.N; n++) {
    const s = n < m.d.nx ? m.chip.gSpring[n] + Math.abs(ph.betaKappa) * m.gUnit * m.chip.nudgeGain[n] : 0;
    t = Math.min(t, m.chip.C[n] / (m.chip.GL[n] + m.gSyn[n] + s));
  }
  return t;
}

/**
 * Thermal noise: per node a white current of intensity 2 k_B T_eff G_tot (CircuitModel.sigma
 * times C_n V_unit), as trnoise samples of rms sqrt(intensity / step) held for `step` seconds.
 */
function noiseElements(m: CircuitModel, names: string[], step: number): string[] {
  const out = ['', `* ---- Thermal noise: trnoise current per node, sample interval ${num(step)} s ----`];
  for (let n = 0; n < m.N; n++) {
    const intensity = (m.sigma[n] * m.chip.C[n] * m.vUnit) ** 2;
    if (intensity > 0) out.push(`IN_${names[n]} 0 ${names[n]} DC 0 trnoise(${num(Math.sqrt(intensity / step))} ${num(step)} 0 0)`);
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
    throw new GradepError('netlist: not yet written for the periphery effects of this circuit (synapse.iv_v0, v_read_scale; amplifier gbw, vos, en; the rho\' generator and multiplier spreads; noise.placement source; r_wire together with nonreciprocity): set them to their ideal values');
  }
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
    ...senseElements(m),
    ...crossbarElements(m),
    ...noise,
    ...analysisCards(m, names, o),
  ];
  return lines.join('\n') + '\n';
}
