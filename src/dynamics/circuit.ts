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
 */
import { rhoAndDeriv } from './activation.js';
import { crossbarDrives } from './network.js';
import type { Dims } from '../circuit/params.js';
import type { Phase } from '../circuit/phase.js';
import { type Chip, crossbarLines, effectiveWeights, type EffectiveWeights } from '../chip/chip.js';

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
    const tEff = chip.spec.noise.temperature * (1 + chip.spec.noise.excess);
    this.sigma = new Float64Array(this.N);
    for (let n = 0; n < this.N; n++) {
      const gTot = chip.GL[n] + this.gSyn[n] + (n < nx ? chip.gSpring[n] : 0);
      this.sigma[n] = Math.sqrt(2 * K_BOLTZMANN * tEff * gTot) / (chip.C[n] * this.vUnit);
    }
    this.rd = new Float64Array(2 * (n1 + n2));
    this.rd2 = this.rd.subarray(2 * n1);
    this.a1 = new Float64Array(n1);
    this.a2 = new Float64Array(n2);
    this.ax = new Float64Array(nx);
  }

  get noisy(): boolean {
    return this.sigma.some((s) => s > 0);
  }

  /** Slowest nominal time constant C/G_L (s). */
  get tau(): number {
    return this.chip.spec.node.capacitance / this.chip.spec.node.g_leak;
  }

  setPhase(ph: Phase): void {
    this.ph = ph;
  }

  /**
   * Length of one sample's integration state: the N node voltages first, then any auxiliary
   * states the model adds (none yet). Solvers size their buffers by it; callers see nodes only.
   */
  get nState(): number {
    return this.N;
  }

  /** Initialise the auxiliary states y[N..nState) of sample b from its node voltages (none yet). */
  initAux(_b: number, _y: Float64Array): void {}

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
  }

  /** Noise amplitude of every state of sample b at state y (state units per sqrt(s), Ito). Additive today. */
  noiseAt(_b: number, _y: Float64Array, out: Float64Array): void {
    out.set(this.sigma);
  }

  /** True when noiseAt does not depend on the state (additive noise). */
  get additiveNoise(): boolean {
    return true;
  }

  /** True when the float32 wasm chip kernel implements every effect of this model. */
  get kernelSupported(): boolean {
    return true;
  }

  /** du/dt of sample b (state y[0..N)) into out[0..N). No allocation. */
  drift(b: number, y: Float64Array, out: Float64Array, yo = 0, oo = 0): void {
    const { nx, n1, n2 } = this.d;
    const chip = this.chip;
    const ph = this.ph as Phase;
    const { rd, a1, a2, ax } = this;
    const { W0f, W0b, W1f, W1b } = this.w;
    const gain = chip.gain;
    const off = chip.offset;
    for (let i = 0; i < n1 + n2; i++) {
      rhoAndDeriv(y[yo + nx + i] - off[i], rd, 2 * i);
      rd[2 * i] *= gain[i];
      rd[2 * i + 1] *= gain[i];
    }
    crossbarDrives(this.d, W0f, W0b, W1f, W1b, chip.bias, y, yo, rd, this.rd2, ax, a1, a2);
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
      rhoAndDeriv(y[yo + nx + i] - chip.offset[i], rd, 2 * i);
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
    return p * this.vUnit * this.vUnit;
  }
}
