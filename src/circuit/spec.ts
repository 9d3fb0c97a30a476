/**
 * The circuit description: the paper's network as an (ideal, for now) analogue circuit.
 * Physical fields (capacitances, conductances, noise, mismatch) extend this schema later;
 * every field has a documented unit, default and range (see `gradep circuit --schema`).
 */
import { GradepError } from '../util/errors.js';
import { packagePath } from '../util/paths.js';
import { readJsonFile } from '../util/json.js';
import { type ObjectField, validateObject } from './schema.js';
import { EXP_DT_TAU, VARIANCE_TOL, maxStepForVariance } from './step-bounds.js';

export const CIRCUIT_FORMAT = 'gradep-circuit/1';

export const CIRCUIT_SCHEMA: ObjectField = {
  kind: 'object',
  doc: 'circuit',
  fields: {
    format: { kind: 'string', doc: 'file format tag', default: CIRCUIT_FORMAT, exact: CIRCUIT_FORMAT },
    name: { kind: 'string', doc: 'short name', default: 'unnamed' },
    description: { kind: 'string', doc: 'what this circuit is', default: '' },
    source: { kind: 'string', doc: 'where its numbers come from', default: '' },
    layers: {
      kind: 'object',
      doc: 'layer sizes',
      fields: {
        visible: { kind: 'number', unit: '', integer: true, min: 1, max: 4096, default: 64, doc: 'visible nodes (pixels); 64 for 8x8 digits' },
        hidden1: { kind: 'number', unit: '', integer: true, min: 1, max: 4096, default: 128, doc: 'first hidden layer' },
        hidden2: { kind: 'number', unit: '', integer: true, min: 1, max: 4096, default: 128, doc: 'second hidden layer' },
      },
    },
    activation: {
      kind: 'object',
      doc: 'activation element',
      fields: {
        kind: { kind: 'enum', values: ['scaled_tanh_silu'], default: 'scaled_tanh_silu', doc: 'rho(u) = 10 tanh(silu(u)/10) (arXiv 2604.08150)' },
        gain_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'device-to-device spread of each neuron\'s activation gain: relative std, gain = 1 + gain_dtod N(0,1)' },
        offset_dtod: { kind: 'number', unit: '', min: 0, max: 10, default: 0, doc: 'device-to-device input offset of each activation element: absolute std in units of V_unit, rho_i(u) = gain_i rho(u - offset_i)' },
      },
    },
    spring: {
      kind: 'object',
      doc: 'spring element tying x to x_t',
      fields: {
        lambda: { kind: 'number', unit: '', gt: 0, max: 1e4, default: 15, doc: 'spring stiffness lambda (relative to the node leak, dimensionless); spring conductance = lambda G_L' },
        g_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'device-to-device spread of each spring conductance: relative std (normal, truncated at 0)' },
      },
    },
    readout: {
      kind: 'object',
      doc: 'velocity read-out v = alpha lambda (x* - x_t)',
      fields: {
        alpha: { kind: 'number', unit: '', gt: 0, max: 1e4, default: 2, doc: 'output scale alpha' },
      },
    },
    nudge: {
      kind: 'object',
      doc: 'nudge element (cost C = (alpha lambda)^2/2 |x - x_target|^2)',
      fields: {
        beta: { kind: 'number', unit: '', gt: 0, max: 1, default: 1.25e-3, doc: 'nudge strength beta; phases at +beta and -beta; nudge conductance = beta (alpha lambda)^2 G_L' },
        g_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'device-to-device spread of each nudge conductance: relative std (normal, truncated at 0)' },
      },
    },
    node: {
      kind: 'object',
      doc: 'node capacitors and leak conductances (tau = C / G_L)',
      fields: {
        capacitance: { kind: 'number', unit: 'F', gt: 0, max: 1e-6, default: 100e-15, doc: 'node capacitance C to ground' },
        c_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'device-to-device spread of C: relative std (normal, truncated at 1% of nominal)' },
        g_leak: { kind: 'number', unit: 'S', gt: 0, max: 1, default: 10e-6, doc: 'leak conductance G_L realising the 1/2 u^2 terms; also the weight unit G_unit' },
        gl_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'device-to-device spread of G_L: relative std (normal, truncated at 1% of nominal)' },
        v_unit: { kind: 'number', unit: 'V', gt: 0, max: 100, default: 0.1, doc: 'voltage of one state unit: V = V_unit u' },
      },
    },
    synapse: {
      kind: 'object',
      doc: 'differential conductance pairs: W = (G+ - G-) / G_unit, G_unit = G_L',
      fields: {
        g_min: { kind: 'number', unit: 'S', min: 0, max: 1, default: 0, doc: 'lowest programmable conductance' },
        g_max: { kind: 'number', unit: 'S', gt: 0, max: 1e3, default: 1e3, doc: 'highest programmable conductance (the default is effectively unbounded: ideal)' },
        bits: { kind: 'number', unit: '', integer: true, min: 0, max: 32, default: 0, doc: 'programmable levels per conductance = 2^bits evenly spaced on [g_min, g_max]; 0 = continuous' },
        g_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'device-to-device spread of each conductance: relative std, G = G_target (1 + g_dtod N(0,1)) frozen per chip (normal, truncated at 0)' },
        nonreciprocity: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'breaks W_forward = W_backward: the backward path gets its own relative mismatch of this std (0 = reciprocal, the circuit keeps an energy)' },
      },
    },
    dac: {
      kind: 'object',
      doc: 'DACs driving the spring and nudge sources (x_t, x_target)',
      fields: {
        bits: { kind: 'number', unit: '', integer: true, min: 0, max: 32, default: 0, doc: 'DAC resolution; 0 = ideal' },
        v_range: { kind: 'number', unit: 'V', gt: 0, max: 100, default: 0.5, doc: 'DAC output range [-v_range, v_range] (values beyond clip)' },
      },
    },
    noise: {
      kind: 'object',
      doc: 'Johnson-Nyquist thermal noise of every conductance (current noise intensity 2 k_B T_eff G_total per node)',
      fields: {
        temperature: { kind: 'number', unit: 'K', min: 0, max: 1e4, default: 0, doc: 'device temperature T; 0 = noiseless (ideal)' },
        excess: { kind: 'number', unit: '', min: 0, max: 1e6, default: 0, doc: 'injected effective-temperature noise: T_eff = T (1 + excess)' },
      },
    },
    measure: {
      kind: 'object',
      doc: 'how node voltages are read for the weight update and the velocity read-out',
      fields: {
        window: { kind: 'number', unit: 's', min: 0, max: 1, default: 0, doc: 'averaging window at the end of each phase (0 = one instantaneous read)' },
        adc_bits: { kind: 'number', unit: '', integer: true, min: 0, max: 32, default: 0, doc: 'ADC resolution; 0 = ideal' },
        adc_range: { kind: 'number', unit: 'V', gt: 0, max: 100, default: 1, doc: 'ADC input range [-adc_range, adc_range] (values beyond clip)' },
        read_noise_std: { kind: 'number', unit: 'V', min: 0, max: 10, default: 0, doc: 'read noise per measurement: absolute std in volts' },
      },
    },
    program: {
      kind: 'object',
      doc: 'writing weights to the conductances',
      fields: {
        write_noise_abs: { kind: 'number', unit: 'S', min: 0, max: 1, default: 0, doc: 'write noise: absolute std in siemens (added to the relative part)' },
        write_noise_rel: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'write noise: std relative to the target conductance' },
        drift_nu: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'power-law drift exponent: G(t) = G(t0) (t / t0)^-nu' },
        drift_t0: { kind: 'number', unit: 's', gt: 0, max: 1e9, default: 1, doc: 'drift reference time t0 after programming' },
        read_time: { kind: 'number', unit: 's', gt: 0, max: 1e9, default: 1, doc: 'time after programming at which a transferred chip is used (drift is applied for read_time > drift_t0)' },
      },
    },
    transient: {
      kind: 'object',
      doc: 'physical-time simulation of each phase (relax.method = transient)',
      fields: {
        solver: { kind: 'enum', values: ['euler', 'euler_maruyama', 'heun', 'odex', 'exp_euler', 'exp_heun'], default: 'heun', doc: 'euler: fixed-step deterministic (= paper dynamics at dt = epsilon tau); euler_maruyama / heun: SDE with thermal noise; odex: adaptive deterministic (noise must be 0); exp_euler / exp_heun: exponential Euler / order-2 exponential Runge-Kutta (ETD2RK, Cox & Matthews 2002) SDE steps that integrate the linear leak, spring and nudge and their thermal noise exactly (Ornstein-Uhlenbeck transition), with the nonlinear coupling explicit (docs/circuit-model.md)' },
        dt: { kind: 'number', unit: 's', gt: 0, max: 1, default: 1e-9, doc: 'fixed step of euler / euler_maruyama / heun (must be below the fastest time constant)' },
        t_free: { kind: 'number', unit: 's', gt: 0, max: 10, default: 300e-9, doc: 'relaxation time of the free phase' },
        t_nudge: { kind: 'number', unit: 's', gt: 0, max: 10, default: 100e-9, doc: 'relaxation time of each nudged phase (starts from the free phase end state)' },
        rtol: { kind: 'number', unit: '', gt: 0, max: 1, default: 1e-5, doc: 'odex relative tolerance' },
        atol: { kind: 'number', unit: '', gt: 0, max: 1, default: 1e-9, doc: 'odex absolute tolerance (state units u)' },
        settle_tol: { kind: 'number', unit: '', gt: 0, max: 1, default: 1e-3, doc: 'settling time is when every node stays within settle_tol (state units u) of its final value' },
      },
    },
    relax: {
      kind: 'object',
      doc: 'relaxation of each phase',
      fields: {
        method: { kind: 'enum', values: ['paper', 'equilibrium', 'transient'], default: 'paper', doc: 'paper: T gradient steps of size epsilon (reference); equilibrium: Anderson-accelerated solve to tol; transient: the realised chip simulated in physical time (see transient.*)' },
        epsilon: { kind: 'number', unit: '', gt: 0, max: 1, default: 0.1, doc: 'paper step size epsilon = dt/tau' },
        T: { kind: 'number', unit: '', integer: true, min: 1, max: 1000000, default: 300, doc: 'paper steps per phase' },
        tol: { kind: 'number', unit: '', gt: 0, max: 1, default: 1e-5, doc: 'equilibrium: stop when the Euclidean norm of grad F of a sample is below tol (absolute)' },
        max_iter: { kind: 'number', unit: '', integer: true, min: 1, max: 100000, default: 300, doc: 'equilibrium: Anderson iterations before the safe fallback' },
        memory: { kind: 'number', unit: '', integer: true, min: 0, max: 50, default: 10, doc: 'equilibrium: Anderson memory (0 = plain preconditioned steps)' },
        eta: { kind: 'number', unit: '', gt: 0, max: 1, default: 1, doc: 'equilibrium: step of the preconditioned map g(s) = s - eta P grad F' },
      },
    },
  },
};

/** What the circuit is: the network's elements and devices (the netlist). */
export interface DeviceSpec {
  layers: { visible: number; hidden1: number; hidden2: number };
  activation: { kind: 'scaled_tanh_silu'; gain_dtod: number; offset_dtod: number };
  spring: { lambda: number; g_dtod: number };
  readout: { alpha: number };
  nudge: { beta: number; g_dtod: number };
  node: { capacitance: number; c_dtod: number; g_leak: number; gl_dtod: number; v_unit: number };
  synapse: { g_min: number; g_max: number; bits: number; g_dtod: number; nonreciprocity: number };
  dac: { bits: number; v_range: number };
  noise: { temperature: number; excess: number };
  measure: { window: number; adc_bits: number; adc_range: number; read_noise_std: number };
  program: { write_noise_abs: number; write_noise_rel: number; drift_nu: number; drift_t0: number; read_time: number };
}

/** How it is simulated: the transient and ideal-relaxation settings (the analyses). */
export interface AnalysisSpec {
  transient: { solver: 'euler' | 'euler_maruyama' | 'heun' | 'odex' | 'exp_euler' | 'exp_heun'; dt: number; t_free: number; t_nudge: number; rtol: number; atol: number; settle_tol: number };
  relax: { method: 'paper' | 'equilibrium' | 'transient'; epsilon: number; T: number; tol: number; max_iter: number; memory: number; eta: number };
}

/** A circuit file: devices and analyses in one validated record (the file format keeps both). */
export interface CircuitSpec extends DeviceSpec, AnalysisSpec {
  format: string;
  name: string;
  description: string;
  source: string;
}

/**
 * The nudge strengths beta the validator allows for this circuit: 0 < beta < the returned
 * bound (the -beta phase's stability, and the paper relaxation's step bound when it uses it).
 */
export function betaBound(c: CircuitSpec): number {
  const kappa = (c.readout.alpha * c.spring.lambda) ** 2;
  const minus = (1 + c.spring.lambda) / kappa;
  const bound = c.relax.method === 'paper' ? Math.min(minus, (2 / c.relax.epsilon - 1 - c.spring.lambda) / kappa) : minus;
  return Math.min(bound, 1);
}

/**
 * Validate a parsed circuit; `file` names it in errors. `o.stepAccuracy: false` skips the
 * stationary-variance step rule (checkVarianceStep), for circuits stored by earlier runs.
 */
export function validateCircuit(raw: unknown, file: string, o: { stepAccuracy?: boolean } = {}): CircuitSpec {
  const c = validateObject(file, '', raw, CIRCUIT_SCHEMA) as unknown as CircuitSpec;
  // The paper dynamics x <- x - eps (1 + lambda + beta kappa) (...) is stable only when
  // eps (1 + lambda + beta kappa) < 2 (the paper: lambda above ~19 diverges at eps = 0.1).
  const kappa = (c.readout.alpha * c.spring.lambda) ** 2;
  const stiff = 1 + c.spring.lambda + c.nudge.beta * kappa;
  if (c.relax.method === 'paper' && c.relax.epsilon * stiff >= 2) {
    throw new GradepError(
      `${file}: relax.epsilon: got ${c.relax.epsilon}, allowed epsilon * (1 + lambda + beta (alpha lambda)^2) < 2, i.e. epsilon < ${(2 / stiff).toPrecision(4)} for this spring and nudge (the paper relaxation diverges otherwise)`,
    );
  }
  // Symmetric nudging runs a -beta phase: its nudge element pushes x away from the target with
  // conductance beta kappa G_unit, and once that exceeds the spring and leak (1 + lambda) x has
  // no stable equilibrium: the phase runs away (necessary condition; couplings tighten it).
  if (c.nudge.beta * kappa >= 1 + c.spring.lambda) {
    throw new GradepError(
      `${file}: nudge.beta: got ${c.nudge.beta}, allowed beta (alpha lambda)^2 < 1 + lambda, i.e. beta < ${((1 + c.spring.lambda) / kappa).toPrecision(3)} for this spring and readout (the -beta phase has no stable equilibrium beyond it)`,
    );
  }
  if (c.synapse.g_max <= c.synapse.g_min) {
    throw new GradepError(`${file}: synapse.g_max: got ${c.synapse.g_max} S, allowed > synapse.g_min (${c.synapse.g_min} S)`);
  }
  if (c.relax.method === 'transient') {
    const tau = c.node.capacitance / c.node.g_leak;
    const stiff = (1 + c.spring.lambda + c.nudge.beta * kappa) * (1 + 3 * c.node.c_dtod);
    checkExpStep(c, file, tau);
    // Explicit fixed steps need dt well below the fastest time constant tau / (1 + lambda + beta kappa).
    if (c.transient.solver !== 'odex' && !c.transient.solver.startsWith('exp_') && c.transient.dt * stiff >= 1.9 * tau) {
      throw new GradepError(`${file}: transient.dt: got ${c.transient.dt} s, allowed < ${((1.9 * tau) / stiff).toPrecision(3)} s (the fastest node time constant is tau/(1+lambda+beta kappa) = ${(tau / stiff).toPrecision(3)} s)`);
    }
    if (c.transient.solver === 'odex' && c.noise.temperature > 0) {
      throw new GradepError(`${file}: transient.solver: got "odex" with noise.temperature ${c.noise.temperature} K, allowed "euler_maruyama" or "heun" when there is thermal noise (odex is deterministic)`);
    }
    if (o.stepAccuracy !== false) checkVarianceStep(c, file, tau / stiff);
  }
  return c;
}

/** exp_euler / exp_heun: the linear part is exact, the explicit nonlinear coupling needs dt <= tau (step-bounds.ts). */
function checkExpStep(c: CircuitSpec, file: string, tau: number): void {
  if (!c.transient.solver.startsWith('exp_')) return;
  const bound = EXP_DT_TAU * tau;
  if (c.transient.dt > bound * (1 + 1e-9)) {
    throw new GradepError(`${file}: transient.dt: got ${c.transient.dt} s, allowed <= ${bound.toPrecision(3)} s with "${c.transient.solver}" (tau = C/G_L: the nonlinear coupling, on that time constant, is explicit)`);
  }
}

/**
 * With thermal noise, euler_maruyama / heun must keep the stationary variance of the fastest
 * node (rate 1/tauFast, a linear OU node) within VARIANCE_TOL of sigma^2 / (2 a) (step-bounds.ts).
 */
function checkVarianceStep(c: CircuitSpec, file: string, tauFast: number): void {
  const s = c.transient.solver;
  if ((s !== 'heun' && s !== 'euler_maruyama') || !(c.noise.temperature > 0)) return;
  const bound = maxStepForVariance(s) * tauFast;
  if (c.transient.dt > bound) {
    throw new GradepError(`${file}: transient.dt: got ${c.transient.dt} s, allowed <= ${bound.toPrecision(3)} s with "${s}" and thermal noise (stationary variance of the fastest node, time constant ${tauFast.toPrecision(3)} s, within ${VARIANCE_TOL * 100}%; "exp_euler"/"exp_heun" are exact there)`);
  }
}

/** Time constant tau = C / G_L of a node (seconds). */
export function tauOf(c: CircuitSpec): number {
  return c.node.capacitance / c.node.g_leak;
}

export function loadCircuit(file: string): CircuitSpec {
  return validateCircuit(readJsonFile(file, 'circuit'), file);
}

export const DEFAULT_CIRCUIT_FILE = packagePath('circuits', 'paper.json');
