/**
 * The network as an analogue circuit (README "Circuit model"). Node voltage V = V_unit u;
 * Kirchhoff's current law at node n, divided by V_unit:
 *   C_n du_n/dt = -G_L,n u_n + G_unit c_n(u) + G_s,j (x_t,j - x_j) - beta kappa G_unit g_j (x_j - x_target,j)
 * with the coupling currents of the synapse crossbars and activation elements
 *   c_x,j  = bx_j + sum_i W0b[i][j] rho_i(h1_i)
 *   c_h1,i = rho_i'(h1_i) (sum_j W0f[i][j] x_j + b0_i + sum_k W1b[k][i] rho_k(h2_k))
 *   c_h2,k = rho_k'(h2_k) (sum_i W1f[k][i] rho_i(h1_i) + b1_k)
 * and rho_i(u) = gain_i rho(u - offset_i). For an ideal chip (C_n = C, G_L,n = G_unit,
 * G_s = lambda G_unit, W_f = W_b = W) this is exactly du/dt = -grad F(u) / tau, tau = C/G_L:
 * the paper relaxation is its Euler discretisation with dt = epsilon tau. With W_f != W_b
 * (non-reciprocity) the currents are no longer the gradient of any energy.
 *
 * Thermal noise: every conductance G into a node adds current noise of intensity 2 k_B T G
 * (Johnson-Nyquist), so in state units sigma_n = sqrt(2 k_B T_eff G_tot,n) / (C_n V_unit)
 * per sqrt(second); an isolated RC node then has Var(V) = k_B T / C (equipartition).
 *
 * Periphery (src/chip/periphery.ts, docs/circuit-model.md "Activation, multiplier and amplifier
 * elements"), every effect off by default: a separate rho' generator, the multiplier
 * c_h = m_i rho'_i(h) (a + o_i), sense amplifiers with input offset V_os (a current V_os G_line)
 * and one pole per node (auxiliary state z_n' = w_a (a_n - z_n), the node reads z_n), the
 * device I-V I = G V0 sinh(V / V0) on every driven line, and noise placed where it enters
 * (noise.placement = "source": line noise through the multiplier, noisy nudge transconductor).
 */
import { actAndDeriv } from './activation.js';
import { crossbarDrives } from './network.js';
import type { Dims } from '../circuit/params.js';
import type { Phase } from '../circuit/phase.js';
import { type Chip, crossbarLines, effectiveWeights, type EffectiveWeights } from '../chip/chip.js';
import type { Periphery } from '../chip/periphery.js';

export const K_BOLTZMANN = 1.380649e-23; // J/K (SI, exact)

export class CircuitModel {
  readonly d: Dims;
  readonly N: number;
  readonly w: EffectiveWeights;
  /** 1 / C_n (1/F). */
  readonly invC: Float64Array;
  /** Noise amplitude per node in state units per sqrt(s). */
  readonly sigma: Float64Array;
  /** Sum of synapse conductances attached to each node (S), for noise and dissipation. */
  readonly gSyn: Float64Array;
  /** Per-input-line conductance sums (S) for the crossbar dissipation model (see power). */
  readonly s0col: Float64Array;
  readonly s0row: Float64Array;
  readonly s1col: Float64Array;
  readonly s1row: Float64Array;
  private readonly rd: Float64Array;
  /** rho, rho' of h2: a view of rd past h1. */
  private readonly rd2: Float64Array;
  private readonly a1: Float64Array;
  private readonly a2: Float64Array;
  private readonly ax: Float64Array;
  readonly gUnit: number;
  readonly vUnit: number;
  ph: Phase | null = null;
  /** The chip's periphery draws (all null = ideal elements). */
  readonly per: Periphery;
  /**
   * Constant current into each node's sensed line, units of G_unit V_unit: the amplifier offset
   * V_os G_line / (G_unit V_unit v_read_scale) plus, on hidden nodes, the multiplier input
   * offset o_i. Null when there is none.
   */
  readonly lineOffset: Float64Array | null;
  /** Amplifier pole w_a = 2 pi GBW / (1 + G_line / G_unit) per node (rad/s); null = ideal amplifiers. */
  readonly wa: Float64Array | null;
  /** sinh I-V: k = v_read_scale V_unit / V0, each drive u enters as sinh(k u) / k; 0 = linear. */
  readonly ivK: number;
  readonly readScale: number;
  /** noise.placement = "source" (see noiseAt). */
  readonly sourceNoise: boolean;
  /** Squared additive noise amplitude per state without the nudge element's. */
  readonly sig2: Float64Array;
  /** Per visible node: the nudge transconductor's noise intensity per unit |beta kappa| (source placement). */
  private readonly nudgeQ: Float64Array;
  /** Per hidden neuron: sensed-line noise amplitude before the multiplier (state units per sqrt(s)); used when the noise is multiplicative. */
  readonly sLine: Float64Array;
  /** Hidden nodes' sensed-line noise passes the multiplier (source placement, ideal amplifiers): sigma depends on the state. */
  readonly multiplicative: boolean;
  private readonly derivPath: boolean;
  private readonly dtmp = new Float64Array(2);
  private readonly xd: Float64Array;
  private readonly rdv: Float64Array;
  private readonly rdv2: Float64Array;
  private readonly rdn: Float64Array;

  constructor(readonly chip: Chip, readonly readTime?: number) {
    const d = chip.d;
    this.d = d;
    this.N = d.nx + d.n1 + d.n2;
    this.w = effectiveWeights(chip, readTime);
    this.gUnit = chip.spec.node.g_leak;
    this.vUnit = chip.spec.node.v_unit;
    this.invC = chip.C.map((c) => 1 / c);
    const { nx, n1, n2 } = d;
    // Sensed lines bring their devices' noise into a node; driven lines dissipate (see power).
    const lines = crossbarLines(chip);
    this.s0col = lines.f0.driven;
    this.s0row = lines.b0.driven;
    this.s1col = lines.f1.driven;
    this.s1row = lines.b1.driven;
    this.gSyn = new Float64Array(this.N);
    for (let j = 0; j < nx; j++) this.gSyn[j] = lines.b0.sensed[j];
    for (let i = 0; i < n1; i++) this.gSyn[nx + i] = lines.f0.sensed[i] + lines.b1.sensed[i];
    for (let k = 0; k < n2; k++) this.gSyn[nx + n1 + k] = lines.f1.sensed[k];
    this.per = chip.periphery ?? { derivGain: null, derivOffset: null, multGain: null, multOffset: null, vos: null, gbw: null };
    this.readScale = chip.spec.synapse.v_read_scale ?? 1;
    const v0 = chip.spec.synapse.iv_v0 ?? 0;
    this.ivK = v0 > 0 ? (this.readScale * this.vUnit) / v0 : 0;
    this.derivPath = this.per.derivGain !== null || this.per.derivOffset !== null || this.per.multGain !== null;
    this.lineOffset = lineOffsets(this);
    this.wa = ampPoles(this);
    this.sourceNoise = chip.spec.noise.placement === 'source';
    const nz = noiseParts(this);
    this.sigma = nz.sigma;
    this.sig2 = nz.sig2;
    this.nudgeQ = nz.nudgeQ;
    this.sLine = nz.sLine;
    this.multiplicative = this.sourceNoise && this.wa === null && this.sLine.some((v) => v > 0);
    this.xd = new Float64Array(nx);
    this.rdv = new Float64Array(2 * (n1 + n2));
    this.rdv2 = this.rdv.subarray(2 * n1);
    this.rdn = new Float64Array(2 * (n1 + n2));
    this.rd = new Float64Array(2 * (n1 + n2));
    this.rd2 = this.rd.subarray(2 * n1);
    this.a1 = new Float64Array(n1);
    this.a2 = new Float64Array(n2);
    this.ax = new Float64Array(nx);
  }

  get noisy(): boolean {
    return this.sigma.some((s) => s > 0) || this.sLine.some((s) => s > 0) || this.nudgeQ.some((q) => q > 0);
  }

  /** Slowest nominal time constant C/G_L (s). */
  get tau(): number {
    return this.chip.spec.node.capacitance / this.chip.spec.node.g_leak;
  }

  /** Enter a phase; with source noise placement the nudge transconductor's noise joins sigma here. */
  setPhase(ph: Phase): void {
    this.ph = ph;
    if (!this.sourceNoise) return;
    const k = Math.abs(ph.betaKappa);
    for (let j = 0; j < this.d.nx; j++) this.sigma[j] = Math.sqrt(this.sig2[j] + k * this.nudgeQ[j]);
  }

  /**
   * Length of one sample's integration state: the N node voltages first, then the auxiliary
   * states: with finite amplifier GBW, z_n (the amplifier output of node n's sensed current,
   * units of G_unit V_unit). Solvers size their buffers by it; callers see nodes only.
   */
  get nState(): number {
    return this.wa ? 2 * this.N : this.N;
  }

  /** Initialise the auxiliary states y[N..nState) of sample b: each amplifier settled on its input at y. */
  initAux(_b: number, y: Float64Array): void {
    if (!this.wa) return;
    this.activations(y, 0, this.rd);
    this.sensed(y, 0);
    const { nx, n1, n2 } = this.d;
    const N = this.N;
    for (let j = 0; j < nx; j++) y[N + j] = this.ax[j];
    for (let i = 0; i < n1; i++) y[N + nx + i] = this.a1[i];
    for (let k = 0; k < n2; k++) y[N + nx + n1 + k] = this.a2[k];
  }

  /**
   * The linear decay rate a_n (1/s) of every state in the current phase, constant within it:
   * drift_n = -a_n y_n + (the rest). Leak, spring and nudge elements of a node:
   * a_x = (G_L + G_s + beta kappa G_unit g) / C, a_h = G_L / C; 0 for a clamped x.
   * Exponential integrators treat this part exactly.
   */
  linearRates(out: Float64Array): void {
    const { nx } = this.d;
    const chip = this.chip;
    const ph = this.ph as Phase;
    for (let n = 0; n < this.N; n++) out[n] = chip.GL[n] * this.invC[n];
    for (let j = 0; j < nx; j++) {
      if (ph.clampX) out[j] = 0;
      else out[j] += (chip.gSpring[j] + ph.betaKappa * this.gUnit * chip.nudgeGain[j]) * this.invC[j];
    }
    if (this.wa) for (let n = 0; n < this.N; n++) out[this.N + n] = this.wa[n];
  }

  /**
   * Noise amplitude of every state of sample b at state y (state units per sqrt(s), Ito). With
   * source placement and ideal amplifiers a hidden node's sensed-line noise passes its
   * multiplier: sigma_h^2 = sigma_leak^2 + (m rho'_h(h))^2 sigma_line^2 (multiplicative).
   */
  noiseAt(_b: number, y: Float64Array, out: Float64Array): void {
    out.set(this.sigma);
    if (!this.multiplicative) return;
    const nx = this.d.nx;
    const rd = this.rdn;
    this.activations(y, 0, rd);
    for (let i = 0; i < this.sLine.length; i++) {
      const a = rd[2 * i + 1] * this.sLine[i];
      out[nx + i] = Math.sqrt(this.sig2[nx + i] + a * a);
    }
  }

  /** True when noiseAt does not depend on the state (additive noise). */
  get additiveNoise(): boolean {
    return !this.multiplicative;
  }

  /**
   * True when the float32 wasm chip kernel (assembly/relax.ts chipRun) implements every effect of
   * this model. It does all of them: the separate rho' path and multiplier, line offsets,
   * v_read_scale, e_n, both noise placements (multiplicative line noise included), the amplifier
   * poles and the sinh device I-V; an effect added here without a kernel makes it false, and the
   * wasm engine then runs the float64 path.
   */
  get kernelSupported(): boolean {
    return true;
  }

  /**
   * rho and the multiplier's rho' factor of every hidden neuron at state y into rd (interleaved):
   * rho_i = gain_i rho(u - offset_i); rho'_i = gain_i [dgain_i] rho'(u - offset_i [- doff_i]) [m_i].
   */
  private activations(y: Float64Array, yo: number, rd: Float64Array): void {
    const nx = this.d.nx;
    const nh = this.d.n1 + this.d.n2;
    const gain = this.chip.gain;
    const off = this.chip.offset;
    const shape = this.chip.shape;
    for (let i = 0; i < nh; i++) {
      actAndDeriv(shape, y[yo + nx + i] - off[i], rd, 2 * i);
      rd[2 * i] *= gain[i];
      rd[2 * i + 1] *= gain[i];
    }
    if (!this.derivPath) return;
    const { derivGain, derivOffset, multGain } = this.per;
    const t = this.dtmp;
    for (let i = 0; i < nh; i++) {
      if (derivOffset) {
        actAndDeriv(shape, y[yo + nx + i] - off[i] - derivOffset[i], t, 0);
        rd[2 * i + 1] = gain[i] * t[1];
      }
      if (derivGain) rd[2 * i + 1] *= derivGain[i];
      if (multGain) rd[2 * i + 1] *= multGain[i];
    }
  }

  /** Sensed currents ax, a1, a2 (units of G_unit V_unit) at state y, activations in this.rd: crossbars (sinh I-V when on) plus line offsets. */
  private sensed(y: Float64Array, yo: number): void {
    const d = this.d;
    const { nx, n1, n2 } = d;
    const { W0f, W0b, W1f, W1b } = this.w;
    const { rd, ax, a1, a2 } = this;
    const bias = this.chip.bias;
    if (this.ivK === 0) crossbarDrives(d, W0f, W0b, W1f, W1b, bias, y, yo, rd, this.rd2, ax, a1, a2);
    else {
      // Device current G V0 sinh(V / V0) at drive V = s V_unit u, sensed back by 1/(s V_unit): sinh(k u) / k.
      const k = this.ivK;
      const { xd, rdv } = this;
      for (let j = 0; j < nx; j++) xd[j] = Math.sinh(k * y[yo + j]) / k;
      for (let i = 0; i < n1 + n2; i++) {
        rdv[2 * i] = Math.sinh(k * rd[2 * i]) / k;
        rdv[2 * i + 1] = rd[2 * i + 1];
      }
      crossbarDrives(d, W0f, W0b, W1f, W1b, bias, xd, 0, rdv, this.rdv2, ax, a1, a2);
    }
    const lo = this.lineOffset;
    if (!lo) return;
    for (let j = 0; j < nx; j++) ax[j] += lo[j];
    for (let i = 0; i < n1; i++) a1[i] += lo[nx + i];
    for (let k = 0; k < n2; k++) a2[k] += lo[nx + n1 + k];
  }

  /** Amplifier poles: z_n' = w_a (a_n - z_n) into out[N..2N); the node equations then read z (in ax, a1, a2). */
  private amplifierPoles(y: Float64Array, yo: number, out: Float64Array, oo: number): void {
    const wa = this.wa as Float64Array;
    const { nx, n1, n2 } = this.d;
    const N = this.N;
    const { ax, a1, a2 } = this;
    const z = yo + N;
    const o = oo + N;
    for (let j = 0; j < nx; j++) {
      out[o + j] = wa[j] * (ax[j] - y[z + j]);
      ax[j] = y[z + j];
    }
    for (let i = 0; i < n1; i++) {
      out[o + nx + i] = wa[nx + i] * (a1[i] - y[z + nx + i]);
      a1[i] = y[z + nx + i];
    }
    for (let k = 0; k < n2; k++) {
      const n = nx + n1 + k;
      out[o + n] = wa[n] * (a2[k] - y[z + n]);
      a2[k] = y[z + n];
    }
  }

  /** du/dt of sample b (state y[0..N)) into out[0..N). No allocation. */
  drift(b: number, y: Float64Array, out: Float64Array, yo = 0, oo = 0): void {
    const { nx, n1, n2 } = this.d;
    const chip = this.chip;
    const ph = this.ph as Phase;
    const { rd, a1, a2, ax } = this;
    this.activations(y, yo, rd);
    this.sensed(y, yo);
    if (this.wa) this.amplifierPoles(y, yo, out, oo);
    const gu = this.gUnit;
    const GL = chip.GL;
    const invC = this.invC;
    const xo = b * nx;
    if (ph.clampX) out.fill(0, oo, oo + nx);
    else {
      for (let j = 0; j < nx; j++) {
        const x = y[yo + j];
        let cur = -GL[j] * x + gu * ax[j] + chip.gSpring[j] * (ph.xt[xo + j] - x);
        if (ph.betaKappa !== 0) cur -= ph.betaKappa * gu * chip.nudgeGain[j] * (x - (ph.xtarget as Float64Array)[xo + j]);
        out[oo + j] = cur * invC[j];
      }
    }
    for (let i = 0; i < n1; i++) {
      const n = nx + i;
      out[oo + n] = (-GL[n] * y[yo + n] + gu * rd[2 * i + 1] * a1[i]) * invC[n];
    }
    for (let k = 0; k < n2; k++) {
      const n = nx + n1 + k;
      out[oo + n] = (-GL[n] * y[yo + n] + gu * rd[2 * (n1 + k) + 1] * a2[k]) * invC[n];
    }
  }

  /**
   * Resistive power (W) of sample b at state y: leaks G_L V^2, spring and nudge elements
   * G (V - V_source)^2, and the crossbar read model: every device G of a line driven at
   * V_unit * (input) dissipates G (V_unit * input)^2 (rows and columns at virtual ground),
   * in both directions.
   */
  power(b: number, y: Float64Array, yo = 0): number {
    const { nx, n1, n2 } = this.d;
    const chip = this.chip;
    const ph = this.ph as Phase;
    const rd = this.rd;
    for (let i = 0; i < n1 + n2; i++) {
      actAndDeriv(chip.shape, y[yo + nx + i] - chip.offset[i], rd, 2 * i);
      rd[2 * i] *= chip.gain[i];
    }
    let p = 0;
    for (let n = 0; n < this.N; n++) p += chip.GL[n] * y[yo + n] * y[yo + n];
    const xo = b * nx;
    for (let j = 0; j < nx; j++) {
      const x = y[yo + j];
      const ds = x - ph.xt[xo + j];
      p += chip.gSpring[j] * ds * ds + this.s0col[j] * x * x;
      if (ph.betaKappa !== 0) {
        const dn = x - (ph.xtarget as Float64Array)[xo + j];
        p += Math.abs(ph.betaKappa) * this.gUnit * chip.nudgeGain[j] * dn * dn;
      }
    }
    for (let i = 0; i < n1; i++) p += (this.s0row[i] + this.s1col[i]) * rd[2 * i] * rd[2 * i];
    for (let k = 0; k < n2; k++) p += this.s1row[k] * rd[2 * (n1 + k)] * rd[2 * (n1 + k)];
    if (this.ivK !== 0 || this.readScale !== 1) p += this.linePowerCorrection(y, yo);
    return p * this.vUnit * this.vUnit;
  }

  /**
   * Crossbar dissipation with drive s V_unit u and the sinh I-V, minus the linear u^2 terms power()
   * already added: a device G on a line driven at u dissipates G s^2 u f(u) V_unit^2, f(u) = sinh(k u)/k.
   */
  private linePowerCorrection(y: Float64Array, yo: number): number {
    const { nx, n1, n2 } = this.d;
    const rd = this.rd;
    const s2 = this.readScale * this.readScale;
    const k = this.ivK;
    const term = (u: number) => s2 * u * (k === 0 ? u : Math.sinh(k * u) / k) - u * u;
    let p = 0;
    for (let j = 0; j < nx; j++) p += this.s0col[j] * term(y[yo + j]);
    for (let i = 0; i < n1; i++) p += (this.s0row[i] + this.s1col[i]) * term(rd[2 * i]);
    for (let k2 = 0; k2 < n2; k2++) p += this.s1row[k2] * term(rd[2 * (n1 + k2)]);
    return p;
  }
}

/** Constant line currents (CircuitModel.lineOffset): V_os G_line / (G_unit V_unit s) plus the multiplier input offsets. */
function lineOffsets(m: CircuitModel): Float64Array | null {
  const { vos, multOffset } = m.per;
  if (!vos && !multOffset) return null;
  const nx = m.d.nx;
  const lo = new Float64Array(m.N);
  if (vos) for (let n = 0; n < m.N; n++) lo[n] = (vos[n] * m.gSyn[n]) / (m.gUnit * m.vUnit * m.readScale);
  if (multOffset) for (let i = 0; i < multOffset.length; i++) lo[nx + i] += multOffset[i];
  return lo;
}

/** Amplifier poles w_a = 2 pi GBW / NG, noise gain NG = 1 + G_line / G_unit (a transimpedance stage with R_f = 1/G_unit). */
function ampPoles(m: CircuitModel): Float64Array | null {
  const gbw = m.per.gbw;
  if (!gbw) return null;
  const wa = new Float64Array(m.N);
  for (let n = 0; n < m.N; n++) wa[n] = (2 * Math.PI * gbw[n]) / (1 + m.gSyn[n] / m.gUnit);
  return wa;
}

/**
 * Noise intensities. Johnson 2 k_B T_eff G per conductance, amplifier e_n as a line current noise
 * of one-sided PSD e_n^2 G_line^2 (SDE intensity e_n^2 G_line^2 / 2); line noise counts 1/s^2 with
 * v_read_scale s. Lumped: all at the node (today's model when e_n = 0, s = 1). Source: the node
 * keeps leak and spring noise; line noise goes onto the amplifier state z (finite GBW), or passes
 * the multiplier (ideal amplifiers: sLine, see noiseAt); the nudge element's noise is added per phase.
 */
function noiseParts(m: CircuitModel): { sigma: Float64Array; sig2: Float64Array; nudgeQ: Float64Array; sLine: Float64Array } {
  const chip = m.chip;
  const { nx } = m.d;
  const N = m.N;
  const tEff = chip.spec.noise.temperature * (1 + chip.spec.noise.excess);
  const en = chip.spec.amplifier?.en ?? 0;
  const s = m.readScale;
  const M = m.wa ? 2 * N : N;
  const sigma = new Float64Array(M);
  const nudgeQ = new Float64Array(nx);
  const sLine = new Float64Array(N - nx);
  for (let n = 0; n < N; n++) {
    const cv = chip.C[n] * m.vUnit;
    const enq = (en * en * m.gSyn[n] * m.gSyn[n]) / (2 * s * s);
    if (!m.sourceNoise) {
      const gTot = chip.GL[n] + m.gSyn[n] / (s * s) + (n < nx ? chip.gSpring[n] : 0);
      sigma[n] = Math.sqrt(2 * K_BOLTZMANN * tEff * gTot + enq) / cv;
      continue;
    }
    const qNode = 2 * K_BOLTZMANN * tEff * (chip.GL[n] + (n < nx ? chip.gSpring[n] : 0));
    const qLine = (2 * K_BOLTZMANN * tEff * m.gSyn[n]) / (s * s) + enq;
    if (m.wa) {
      sigma[n] = Math.sqrt(qNode) / cv;
      sigma[N + n] = (m.wa[n] * Math.sqrt(qLine)) / (m.gUnit * m.vUnit);
    } else if (n < nx) sigma[n] = Math.sqrt(qNode + qLine) / cv;
    else {
      sigma[n] = Math.sqrt(qNode) / cv;
      sLine[n - nx] = Math.sqrt(qLine) / cv;
    }
    if (n < nx) nudgeQ[n] = (2 * K_BOLTZMANN * tEff * m.gUnit * chip.nudgeGain[n]) / (cv * cv);
  }
  return { sigma, sig2: sigma.map((v) => v * v), nudgeQ, sLine };
}
