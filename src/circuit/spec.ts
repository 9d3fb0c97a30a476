/**
 * The circuit description: the paper's network as an (ideal, for now) analogue circuit.
 * Physical fields (capacitances, conductances, noise, mismatch) extend this schema later;
 * every field has a documented unit, default and range (see `gradep circuit --schema`).
 */
import { GradepError } from '../util/errors.js';
import { packagePath } from '../util/paths.js';
import { readJsonFile } from '../util/json.js';
import { type ObjectField, validateObject } from './schema.js';
import { PROGRAM_MODEL_FIELDS, type ProgramModelSpec } from './device-schema.js';
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
        kind: { kind: 'enum', values: ['scaled_tanh_silu', 'tanh'], default: 'scaled_tanh_silu', doc: 'scaled_tanh_silu: rho(u) = 10 tanh(silu(u)/10) (arXiv 2604.08150); tanh: the bounded differential-pair element, rho(u) = tanh_amplitude tanh((u - tanh_offset)/tanh_scale) + tanh_bias, fitted to its ngspice characterisation (circuits/spice, docs/spice.md); realised chips only (in-situ training, chip sampling)' },
        tanh_amplitude: { kind: 'number', unit: '', gt: 0, max: 100, default: 1, doc: 'tanh kind: output amplitude A in units of V_unit (= R_TIA I_tail / V_unit: a design choice of the sense transimpedance, 99 kOhm at I_tail = 1.01 uA, V_unit = 100 mV)' },
        tanh_scale: { kind: 'number', unit: '', gt: 0, max: 100, default: 0.915, doc: 'tanh kind: input scale s in units of V_unit (= V_s / V_unit; V_s = 91.5 mV fitted to the PTM 130 nm differential pair at 27 C, reports/spice-activation/characterisation.json)' },
        tanh_offset: { kind: 'number', unit: '', min: -10, max: 10, default: -0.01295, doc: 'tanh kind: systematic input offset u0 in units of V_unit (-1.295 mV measured at 27 C, same source); device-to-device offsets add offset_dtod on top' },
        tanh_bias: { kind: 'number', unit: '', min: -10, max: 10, default: 0.00415, doc: 'tanh kind: output offset c in units of V_unit (the fitted offset current 4.20 nA over the amplitude 1.0105 uA, times tanh_amplitude; same source)' },
        gain_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'device-to-device spread of each neuron\'s activation gain: relative std, gain = 1 + gain_dtod N(0,1)' },
        offset_dtod: { kind: 'number', unit: '', min: 0, max: 10, default: 0, doc: 'device-to-device input offset of each activation element: absolute std in units of V_unit, rho_i(u) = gain_i rho(u - offset_i)' },
        deriv_gain_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'own gain spread of the separate rho\' generator, on top of the shared gain: rho\'_i(u) = gain_i (1 + deriv_gain_dtod N(0,1)) rho\'(u - offset_i - d_i); nonzero breaks the energy (assumption: no published rho\' generator data; 0 = rho\' tracks rho exactly)' },
        deriv_offset_dtod: { kind: 'number', unit: '', min: 0, max: 10, default: 0, doc: 'own input offset d_i of the rho\' generator: absolute std in units of V_unit (assumption; 0 = rho\' tracks rho exactly)' },
        mult_gain_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'gain spread of each four-quadrant multiplier c_h = m_i rho\'_i(h) (a + o_i): relative std of m_i (assumption; keeps an energy in the metric C/m, see docs)' },
        mult_offset_dtod: { kind: 'number', unit: '', min: 0, max: 10, default: 0, doc: 'input offset o_i of each multiplier\'s current input: absolute std in units of G_unit V_unit (assumption; acts as a bias error)' },
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
        topology: { kind: 'enum', values: ['ideal_shared', 'two_arrays'], default: 'ideal_shared', doc: 'ideal_shared: one array serves both directions (W_b = W_f; a line cannot really be driven and held at virtual ground at once, so this is the idealisation); two_arrays: a forward and a backward array per layer, each programmed separately (own level snapping, write noise, mismatch), so W_f != W_b physically (docs/circuit-model.md "Two arrays")' },
        r_wire: { kind: 'number', unit: 'ohm', min: 0, max: 1e4, default: 0, doc: 'wire resistance per cell segment on driven and sensed lines (IR drop); 0 = ideal wires. About 1 ohm for a ~100 nm pitch Cu line (estimate from a size-effect resistivity of ~5e-8 ohm m over a 50 nm x 100 nm section, 100 nm long: assumption)' },
        ir_model: { kind: 'enum', values: ['first_order', 'exact'], default: 'first_order', doc: 'IR-drop model when r_wire > 0: first_order (first order in r_wire, O(cells)); exact (solve of the resistive line network, slow on large arrays; the test oracle)' },
        iv_v0: { kind: 'number', unit: 'V', min: 0, max: 100, default: 0, doc: 'device I-V I = G V0 sinh(V / V0); 0 = linear (ideal). Typical ReRAM: 0.25 V (Stanford RRAM compact model, Jiang & Wong, nanoHUB doi:10.4231/D37H1DN48, parameter V0)' },
        v_read_scale: { kind: 'number', unit: '', gt: 0, max: 1, default: 1, doc: 'drive (read) voltage of the crossbar lines relative to the node voltage: a line is driven at v_read_scale V_unit u and its sensed current scaled back by 1/v_read_scale, so its noise and offset currents count 1/v_read_scale more (assumption; 1 = drive at the node voltage)' },
      },
    },
    amplifier: {
      kind: 'object',
      doc: 'the sense amplifier (current conveyor) holding each sensed crossbar line at virtual ground',
      fields: {
        gbw: { kind: 'number', unit: 'Hz', min: 0, max: 1e12, default: 0, doc: 'gain-bandwidth product; 0 = ideal (infinite). One pole per node: w_a = 2 pi gbw / (1 + G_line / G_unit). Reference: 6 MHz at 350 uA (TI MSPM0L1306 datasheet SLASEX0D, op-amp table, GBW = 0x1)' },
        gbw_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'device-to-device spread of gbw: relative std (normal, truncated at 1%) (assumption)' },
        vos_dtod: { kind: 'number', unit: 'V', min: 0, max: 1, default: 0, doc: 'input offset voltage V_os per amplifier: absolute std; a current V_os G_line into the node. Reference: 0.4 mV typical (TI MSPM0L1306 datasheet SLASEX0D, op-amp table, CHOP = 0)' },
        en: { kind: 'number', unit: 'V/Hz^0.5', min: 0, max: 1e-3, default: 0, doc: 'input-referred voltage noise density (one-sided); a current noise e_n G_line. Reference: 19 nV/sqrt(Hz) at 10 kHz (TI MSPM0L1105 datasheet SLASEX5C, op-amp table)' },
        static_power: { kind: 'number', unit: 'W', min: 0, max: 1, default: 10e-6, doc: 'static (quiescent) power of the amplifier of one sensed line (one per node) during the analogue phases, read only by the cost model (docs/energy.md; formerly cost.amp_power). Default: assumption, a low-power OTA at 10 uA from 1 V; a discrete reference draws 350 uA at 3.3 V = 1.2 mW (TI MSPM0L1306 datasheet SLASEX0D, op-amp table, GBW = 0x1)' },
      },
    },
    dac: {
      kind: 'object',
      doc: 'DACs driving the spring and nudge sources (x_t, x_target)',
      fields: {
        bits: { kind: 'number', unit: '', integer: true, min: 0, max: 32, default: 0, doc: 'DAC resolution; 0 = ideal' },
        v_range: { kind: 'number', unit: 'V', gt: 0, max: 100, default: 0.5, doc: 'DAC output range [-v_range, v_range] (values beyond clip)' },
        residual_bits: { kind: 'number', unit: '', integer: true, min: 0, max: 32, default: 0, doc: 'residual nudge DAC: the nudge element is driven with DAC(x_t) plus the offset x_target - x_t through a DAC of its own with this resolution; 0 = off (x_target quantised by the main DAC). Assumption (design choice)' },
        residual_range: { kind: 'number', unit: 'V', gt: 0, max: 100, default: 0.05, doc: 'residual nudge DAC output range [-residual_range, residual_range] for the offset (values beyond clip). Assumption (design choice)' },
      },
    },
    noise: {
      kind: 'object',
      doc: 'Johnson-Nyquist thermal noise of every conductance (current noise intensity 2 k_B T_eff G_total per node)',
      fields: {
        temperature: { kind: 'number', unit: 'K', min: 0, max: 1e4, default: 0, doc: 'device temperature T; 0 = noiseless (ideal)' },
        excess: { kind: 'number', unit: '', min: 0, max: 1e6, default: 0, doc: 'injected effective-temperature noise: T_eff = T (1 + excess)' },
        placement: { kind: 'enum', values: ['lumped', 'source'], default: 'lumped', doc: 'lumped: all Johnson noise of a node\'s conductances enters at the node (the nudge element noiseless); source: noise enters where it is generated: sensed-line noise passes the rho\' multiplier (scales with rho\'(h)^2), the nudge transconductor adds 2 k_B T_eff |beta kappa| G_unit g in nudged phases (assumption: excess-noise factor 1)' },
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
        ...PROGRAM_MODEL_FIELDS,
      },
    },
    controller: {
      kind: 'object',
      doc: 'the digital controller (weight update, velocity read-out)',
      fields: {
        knowledge: { kind: 'enum', values: ['nominal', 'oracle'], default: 'oracle', doc: 'what the controller knows: nominal (nominal activation and G_unit; it sees only measurements: what a real controller knows, for realistic presets) or oracle (the chip\'s true activation gains/offsets, weights and leaks; the default only because it reproduces earlier results exactly). Assumption (controller design)' },
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
        max_iter: { kind: 'number', unit: '', integer: true, min: 1, max: 100000, default: 300, doc: 'equilibrium: Anderson iterations before the safe fallback (plain steps, far slower than more Anderson iterations: on trained paper weights about 0.5% of samples need 300-1000 iterations; 300 sent 10 of 1797 free-phase samples to the fallback, 1000 (circuits/paper.json) 1)' },
        memory: { kind: 'number', unit: '', integer: true, min: 0, max: 50, default: 10, doc: 'equilibrium: Anderson memory (0 = plain preconditioned steps)' },
        eta: { kind: 'number', unit: '', gt: 0, max: 1, default: 1, doc: 'equilibrium: step of the preconditioned map g(s) = s - eta P grad F' },
        precondition: { kind: 'enum', values: ['diag_hessian', 'none'], default: 'diag_hessian', doc: 'equilibrium: P on the hidden units. diag_hessian: 1 / max(0.2, 1 - rho\'\'(h) a), the inverse diagonal of the Hessian of F, re-evaluated at every iterate (about 40% fewer iterations on trained weights); none: 1. Same fixed points either way; P on x is always 1/(1 + lambda + beta kappa)' },
      },
    },
    cost: {
      kind: 'object',
      doc: 'energy, time and area of the chip around the resistive network and of the digital baseline (gradep cost; docs/energy.md). Read only by the cost model: no simulated number depends on it',
      fields: {
        adc_fom: { kind: 'enum', values: ['walden', 'schreier'], default: 'walden', doc: 'ADC energy model: walden E = adc_walden 2^ENOB per conversion; schreier E = 10^((SNDR - adc_schreier)/10) / 2 with SNDR = 6.02 ENOB + 1.76 dB (B. Murmann, ADC Performance Survey 1997-2024, Stanford, defines both)' },
        adc_walden: { kind: 'number', unit: 'J', min: 0, max: 1e-9, default: 5e-15, doc: 'ADC Walden figure of merit P / (2^ENOB f_s) per conversion step; 5 fJ is a good SAR ADC, the best Nyquist ADCs of the Murmann survey reach about 1 fJ' },
        adc_schreier: { kind: 'number', unit: '', min: 100, max: 200, default: 180, doc: 'ADC Schreier figure of merit SNDR + 10 log10(f_s / (2 P)) in dB (adc_fom = schreier); the best designs of the Murmann survey reach about 185 dB' },
        adc_enob: { kind: 'number', unit: '', min: 0, max: 32, default: 0, doc: 'effective bits of the ADC for its energy; 0 = measure.adc_bits (an ideal 0-bit ADC then costs nothing)' },
        adc_rate: { kind: 'number', unit: 'Hz', gt: 0, max: 1e12, default: 100e6, doc: 'conversions per second of one ADC; assumption: a 100 MS/s SAR ADC' },
        adc_count: { kind: 'number', unit: '', integer: true, min: 0, max: 1e6, default: 0, doc: 'ADCs on the chip, shared by the sensed lines in turn; 0 = one per sensed line (all read at once)' },
        dac_walden: { kind: 'number', unit: 'J', min: 0, max: 1e-9, default: 5e-15, doc: 'DAC energy per conversion step: E = dac_walden 2^dac.bits per conversion (0 bits: nothing); assumption: taken equal to the ADC figure, the Murmann survey covers ADCs only' },
        dac_rate: { kind: 'number', unit: 'Hz', gt: 0, max: 1e12, default: 100e6, doc: 'updates per second of a DAC (one per driven line: spring and nudge sources); assumption' },
        program_pulse_energy: { kind: 'number', unit: 'J', min: 0, max: 1e-6, default: 10e-12, doc: 'energy of one programming pulse on one device; 10 pJ is the order of ReRAM SET/RESET pulses (H.-S. P. Wong et al., Metal-oxide RRAM, Proc. IEEE 100, 1951 (2012): pJ-scale switching energies)' },
        program_pulse_time: { kind: 'number', unit: 's', gt: 0, max: 1, default: 50e-9, doc: 'duration of one programming pulse; 50 ns as the programming pulses of Yao et al., Nature 577, 641 (2020)' },
        program_pulses: { kind: 'number', unit: '', integer: true, min: 1, max: 1e6, default: 1, doc: 'pulses per device write: 1 = a blind write; a write-verify loop needs its mean iteration count' },
        program_parallel: { kind: 'number', unit: '', integer: true, min: 1, max: 1e9, default: 1, doc: 'devices written at once (1 = one at a time; a row with per-column drivers writes a row at once)' },
        activation_power: { kind: 'number', unit: 'W', min: 0, max: 1, default: 1e-6, doc: 'static power of one activation element rho (one per hidden node); assumption: a differential pair biased at 1 uA from 1 V' },
        multiplier_power: { kind: 'number', unit: 'W', min: 0, max: 1, default: 1e-6, doc: 'static power of one multiplier element rho\'(h) a (one per hidden node); assumption: a Gilbert cell biased at 1 uA from 1 V' },
        bias_power: { kind: 'number', unit: 'W', min: 0, max: 1, default: 0.1e-6, doc: 'static power of one bias current source (one per node: bx, b0, b1); assumption: 100 nA from 1 V' },
        flop_add: { kind: 'number', unit: 'J', min: 0, max: 1e-6, default: 0.9e-12, doc: 'digital update: energy of a 32-bit float add (M. Horowitz, Computing\'s energy problem, ISSCC 2014, 45 nm table: 0.9 pJ)' },
        flop_mult: { kind: 'number', unit: 'J', min: 0, max: 1e-6, default: 3.7e-12, doc: 'digital update: energy of a 32-bit float multiply (Horowitz, ISSCC 2014, 45 nm: 3.7 pJ)' },
        sram_access: { kind: 'number', unit: 'J', min: 0, max: 1e-6, default: 5e-12, doc: 'digital update: energy of a 32-bit access to an 8 KB SRAM (Horowitz, ISSCC 2014, 45 nm: 10 pJ per 64 bits)' },
        dram_access: { kind: 'number', unit: 'J', min: 0, max: 1e-6, default: 640e-12, doc: 'digital update: energy of a 32-bit DRAM access (Horowitz, ISSCC 2014: 1.3-2.6 nJ per 64 bits; 640 pJ per 32 bits as Han et al., EIE, ISCA 2016, Table I quote it)' },
        reads_per_mac: { kind: 'number', unit: '', min: 0, max: 4, default: 2, doc: 'SRAM operand reads per multiply-accumulate of the digital local update; assumption: 2 = each MAC reads both operands (no reuse), an r x r register tile of accumulators reads 2/r' },
        state_memory: { kind: 'enum', values: ['sram', 'dram'], default: 'sram', doc: 'where the digital weights, Adam moments and EMA live (their accesses cost sram_access or dram_access)' },
        digital_rate: { kind: 'number', unit: '', gt: 0, max: 1e18, default: 1e11, doc: 'digital update throughput in FLOP/s; assumption: 100 FLOPs per cycle at 1 GHz' },
        cell_area: { kind: 'number', unit: '', gt: 0, max: 1e4, default: 12, doc: 'area of one device in F^2; assumption: a 1T1R cell of about 12 F^2' },
        feature_size: { kind: 'number', unit: 'm', gt: 0, max: 1e-5, default: 45e-9, doc: 'process feature size F (45 nm, the node of the Horowitz energies)' },
        periphery_area: { kind: 'number', unit: 'm^2', min: 0, max: 1, default: 1000e-12, doc: 'periphery area per sensed line (amplifier, share of an ADC, activation and multiplier); assumption: 1000 um^2' },
        gpu_power: { kind: 'number', unit: 'W', gt: 0, max: 1e5, default: 400, doc: 'digital baseline GPU power: NVIDIA A100 SXM maximum (TDP) 400 W (A100 datasheet)' },
        gpu_flops: { kind: 'number', unit: '', gt: 0, max: 1e18, default: 19.5e12, doc: 'digital baseline GPU peak FP32 throughput (non-tensor) in FLOP/s: A100 19.5 TFLOP/s (A100 datasheet)' },
        gpu_utilisation: { kind: 'number', unit: '', gt: 0, max: 1, default: 1, doc: 'fraction of gpu_flops the baseline reaches; 1 = peak, a lower bound on GPU time and energy (the paper anchor, 2000 steps in about 1 h on one A100, implies far less)' },
        cpu_power: { kind: 'number', unit: 'W', gt: 0, max: 1e4, default: 65, doc: 'package power of this CPU while gradep cost measures the digital step and sample; assumption: a 65 W desktop TDP' },
      },
    },
  },
};

/** What the circuit is: the network's elements and devices (the netlist). */
export interface DeviceSpec {
  layers: { visible: number; hidden1: number; hidden2: number };
  activation: { kind: 'scaled_tanh_silu' | 'tanh'; tanh_amplitude: number; tanh_scale: number; tanh_offset: number; tanh_bias: number; gain_dtod: number; offset_dtod: number; deriv_gain_dtod: number; deriv_offset_dtod: number; mult_gain_dtod: number; mult_offset_dtod: number };
  spring: { lambda: number; g_dtod: number };
  readout: { alpha: number };
  nudge: { beta: number; g_dtod: number };
  node: { capacitance: number; c_dtod: number; g_leak: number; gl_dtod: number; v_unit: number };
  synapse: { g_min: number; g_max: number; bits: number; g_dtod: number; nonreciprocity: number; topology: 'ideal_shared' | 'two_arrays'; r_wire: number; ir_model: 'first_order' | 'exact'; iv_v0: number; v_read_scale: number };
  amplifier: { gbw: number; gbw_dtod: number; vos_dtod: number; en: number; static_power: number };
  dac: { bits: number; v_range: number; residual_bits: number; residual_range: number };
  noise: { temperature: number; excess: number; placement: 'lumped' | 'source' };
  measure: { window: number; adc_bits: number; adc_range: number; read_noise_std: number };
  program: { write_noise_abs: number; write_noise_rel: number; drift_nu: number; drift_t0: number; read_time: number } & ProgramModelSpec;
  controller: { knowledge: 'nominal' | 'oracle' };
  cost: CostSpec;
}

/** The `cost` section: energy, time and area figures of the cost model (src/metrics/cost.ts). */
export interface CostSpec {
  adc_fom: 'walden' | 'schreier';
  adc_walden: number;
  adc_schreier: number;
  adc_enob: number;
  adc_rate: number;
  adc_count: number;
  dac_walden: number;
  dac_rate: number;
  program_pulse_energy: number;
  program_pulse_time: number;
  program_pulses: number;
  program_parallel: number;
  activation_power: number;
  multiplier_power: number;
  bias_power: number;
  flop_add: number;
  flop_mult: number;
  sram_access: number;
  dram_access: number;
  reads_per_mac: number;
  state_memory: 'sram' | 'dram';
  digital_rate: number;
  cell_area: number;
  feature_size: number;
  periphery_area: number;
  gpu_power: number;
  gpu_flops: number;
  gpu_utilisation: number;
  cpu_power: number;
}

/** How it is simulated: the transient and ideal-relaxation settings (the analyses). */
export interface AnalysisSpec {
  transient: { solver: 'euler' | 'euler_maruyama' | 'heun' | 'odex' | 'exp_euler' | 'exp_heun'; dt: number; t_free: number; t_nudge: number; rtol: number; atol: number; settle_tol: number };
  relax: { method: 'paper' | 'equilibrium' | 'transient'; epsilon: number; T: number; tol: number; max_iter: number; memory: number; eta: number; precondition: 'diag_hessian' | 'none' };
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
 * Fields that moved: `cost.amp_power` is `amplifier.static_power` since the two were merged.
 * A file (or a checkpoint's stored circuit, which holds both, the amplifier's at its former
 * default 0) with the old name loads with its value moved; two different values are an error.
 */
function movedFields(raw: unknown, file: string): unknown {
  const rec = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!rec(raw) || !rec(raw.cost) || !('amp_power' in raw.cost)) return raw;
  const { amp_power, ...cost } = raw.cost;
  const amp = rec(raw.amplifier) ? raw.amplifier : {};
  const was = amp.static_power;
  if (was !== undefined && was !== 0 && JSON.stringify(was) !== JSON.stringify(amp_power)) {
    throw new GradepError(`${file}: cost.amp_power: moved to amplifier.static_power, which also gives ${JSON.stringify(was)} (got ${JSON.stringify(amp_power)}); allowed: one value, in amplifier.static_power only`);
  }
  return { ...raw, cost, amplifier: { ...amp, static_power: amp_power } };
}

/**
 * Validate a parsed circuit; `file` names it in errors. `o.stepAccuracy: false` skips the
 * stationary-variance step rule (checkVarianceStep), for circuits stored by earlier runs.
 */
export function validateCircuit(raw: unknown, file: string, o: { stepAccuracy?: boolean } = {}): CircuitSpec {
  const c = validateObject(file, '', movedFields(raw, file), CIRCUIT_SCHEMA) as unknown as CircuitSpec;
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
    // The amplifier pole is an explicit state too: dt must resolve w_a <= 2 pi gbw (1 + 3 gbw_dtod).
    const wa = 2 * Math.PI * c.amplifier.gbw * (1 + 3 * c.amplifier.gbw_dtod);
    if (c.transient.solver !== 'odex' && !c.transient.solver.startsWith('exp_') && c.transient.dt * wa >= 1.9) {
      throw new GradepError(`${file}: transient.dt: got ${c.transient.dt} s, allowed < ${(1.9 / wa).toPrecision(3)} s (the amplifier pole 2 pi amplifier.gbw must be resolved)`);
    }
    if (c.transient.solver === 'odex' && c.noise.temperature > 0) {
      throw new GradepError(`${file}: transient.solver: got "odex" with noise.temperature ${c.noise.temperature} K, allowed "euler_maruyama" or "heun" when there is thermal noise (odex is deterministic)`);
    }
    if (o.stepAccuracy !== false) checkVarianceStep(c, file, tau / stiff);
  }
  return c;
}

/**
 * Fields added after sweep results were first committed, with the value that reproduces the
 * earlier model exactly: a sweep point's identity leaves them out at that value, so committed
 * results keep their keys (src/experiments/sweep/points.ts). Append new fields here.
 */
export const KEY_NEUTRAL_VALUES: Record<string, unknown> = {
  'synapse.topology': 'ideal_shared',
  'synapse.r_wire': 0,
  'synapse.ir_model': 'first_order',
  'dac.residual_bits': 0,
  'dac.residual_range': 0.05,
  'controller.knowledge': 'oracle',
  'activation.deriv_gain_dtod': 0,
  'activation.deriv_offset_dtod': 0,
  'activation.mult_gain_dtod': 0,
  'activation.mult_offset_dtod': 0,
  'activation.tanh_amplitude': 1,
  'activation.tanh_scale': 0.915,
  'activation.tanh_offset': -0.01295,
  'activation.tanh_bias': 0.00415,
  'synapse.iv_v0': 0,
  'synapse.v_read_scale': 1,
  'noise.placement': 'lumped',
  'amplifier.gbw': 0,
  'amplifier.gbw_dtod': 0,
  'amplifier.vos_dtod': 0,
  'amplifier.en': 0,
  // A solver setting, not a circuit: results from before it existed were relaxed without it, to
  // the same fixed points within the tolerance (399 of 400 trained-weight samples within 1e-3).
  'relax.precondition': 'diag_hessian',
};

/**
 * Fields outside the `cost` section read only by the cost model: no simulated number depends
 * on them, so sweep point keys and resume identities always leave them out (as the section).
 */
export const COST_ONLY_FIELDS = ['amplifier.static_power'];

/** A copy of a circuit without the KEY_NEUTRAL_VALUES fields at their neutral values and the COST_ONLY_FIELDS (and sections left empty). */
export function keyCircuit(c: CircuitSpec): Record<string, unknown> {
  const out = structuredClone(c) as unknown as Record<string, Record<string, unknown>>;
  const drop: [string, unknown][] = [...Object.entries(KEY_NEUTRAL_VALUES), ...COST_ONLY_FIELDS.map((f): [string, unknown] => [f, undefined])];
  for (const [path, v] of drop) {
    const [sec, field] = path.split('.');
    const o = out[sec];
    if (o && (v === undefined || o[field] === v)) {
      delete o[field];
      if (Object.keys(o).length === 0) delete out[sec];
    }
  }
  return out;
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
