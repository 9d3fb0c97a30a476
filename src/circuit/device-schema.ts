/**
 * Schema of the device models and update modes (fields under `program.` of a circuit file):
 * which device physics a write and a read follow (simple / pcm / reram), and how training
 * changes the devices (rewrite / write_verify / pulsed). Every default reproduces the
 * simple, rewrite-everything model, so circuits without these fields behave as before.
 *
 * Sources: the PCM statistics are those of IBM aihwkit's PCMLikeNoiseModel
 * (aihwkit/inference/noise/pcm.py; Nandakumar et al., ICECS 2019; Joshi et al., Nat. Commun.
 * 11, 2473 (2020)); the pulsed device response and its presets follow aihwkit's PulsedDevice,
 * SoftBoundsDevice and ExpStepDevice (aihwkit/simulator/configs/devices.py) and the presets
 * ReRamESPresetDevice / ReRamSBPresetDevice (aihwkit/simulator/presets/devices.py), fits to
 * Gong et al., Nat. Commun. 9, 2102 (2018).
 */
import type { FieldSpec } from './schema.js';

const AIHW_PULSED = 'aihwkit PulsedDevice (aihwkit/simulator/configs/devices.py)';

const pcm: FieldSpec = {
  kind: 'object',
  doc: 'device = "pcm": PCM statistics of aihwkit PCMLikeNoiseModel (Nandakumar et al., ICECS 2019; Joshi et al., Nat. Commun. 11, 2473 (2020), Fig. 2 and Methods); replaces program.write_noise_* and program.drift_nu',
  fields: {
    prog_noise_scale: { kind: 'number', unit: '', min: 0, max: 100, default: 1, doc: 'scale of the programming noise std sigma_prog(g) = (0.26348 + 1.9650 x - 1.1731 x^2) uS (g_max / 25 uS), x = g_target / g_max (polynomial fit of aihwkit PCMLikeNoiseModel.prog_coeff, Nandakumar et al. 2019); 1 = as measured' },
    drift_scale: { kind: 'number', unit: '', min: 0, max: 100, default: 1, doc: 'scale of the per-device drift exponent nu ~ |N(mu(g), sigma(g))|, mu = clip(-0.0155 ln x + 0.0244, 0.049, 0.1), sigma = clip(-0.0125 ln x - 0.0059, 0.008, 0.045) (aihwkit PCMLikeNoiseModel.generate_drift_coefficients; Joshi et al. 2020, Fig. 2); 1 = as measured, 0 = no drift' },
    read_noise_scale: { kind: 'number', unit: '', min: 0, max: 100, default: 1, doc: 'scale of the 1/f read noise: relative std Q_s sqrt(ln((t + t_read) / (2 t_read))), Q_s = min(0.2, 0.0088 / max(1e-3, x^0.65)) (aihwkit PCMLikeNoiseModel.apply_drift_noise_to_conductance; Joshi et al. 2020, Methods); 1 = as measured' },
    t_read: { kind: 'number', unit: 's', gt: 0, max: 1, default: 250e-9, doc: 'read duration of the 1/f noise fit (aihwkit PCMLikeNoiseModel t_read = 250 ns)' },
    compensation: { kind: 'enum', values: ['none', 'global'], default: 'none', doc: 'global: one scale factor per weight array, mean |W| just after programming over mean |W| as read (aihwkit GlobalDriftCompensation, aihwkit/inference/compensation/drift.py; Joshi et al. 2020), applied to the weights the circuit computes with (a periphery gain)' },
  },
};

const reram: FieldSpec = {
  kind: 'object',
  doc: 'device = "reram": write as the simple model (bits, write noise, drift), plus conductance relaxation after programming and short-term read noise',
  fields: {
    read_noise_rel: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'short-term read noise: relative std of each conductance, one draw per programming event and read time (random telegraph and 1/f fluctuations of the filament: Ambrogio et al., IEEE Trans. Electron Devices 61, 2920 (2014), doi:10.1109/TED.2014.2330202, larger at low conductance; about 1% is the short-term read noise aihwkit ReRamWan2022NoiseModel (aihwkit/inference/noise/reram.py) adds to its fit of Wan et al., Nature 608, 504 (2022), which has no separate read-noise data)' },
    relax_std: { kind: 'number', unit: '', min: 0, max: 1, default: 0, doc: 'conductance relaxation after programming: each device moves to G (1 + relax_mean + relax_std N(0,1)), the normal frozen per programming event. Measured scale: 1 s after write-verify, Wan et al., Nature 608, 504 (2022), Extended Data Fig. 3 (fit of aihwkit ReRamWan2022NoiseModel), the deviation from target has std 1.1 uS at g_max = 40 uS and 2.0-2.3 uS at g_max/4 to g_max/2, i.e. 3% to 10-20% of G (residual programming error included); a constant relative std is an assumption that underestimates the low-conductance spread' },
    relax_mean: { kind: 'number', unit: '', min: -1, max: 1, default: 0, doc: 'mean relative shift of the relaxation (0 = unbiased, as the target-centred fit of aihwkit ReRamWan2022NoiseModel to Wan et al. 2022 assumes; filamentary CMO/HfOx devices decay on average, aihwkit ReRamCMONoiseModel)' },
    relax_tau: { kind: 'number', unit: 's', gt: 0, max: 1e9, default: 1, doc: 'relaxation time constant: the shift grows as 1 - exp(-t / relax_tau) with the time t since programming (assumption: one exponential; in the fit of aihwkit ReRamWan2022NoiseModel to Wan et al. 2022 the spread keeps growing logarithmically, from 2.0 uS at 1 s to 3.9 uS at 1 day at g_max/2, which one time constant does not capture)' },
  },
};

const writeVerify: FieldSpec = {
  kind: 'object',
  doc: 'update = "write_verify": program-and-verify, each device rewritten (with the device write noise) until |G - G_target| <= tol or max_pulses writes',
  fields: {
    tol: { kind: 'number', unit: 'S', gt: 0, max: 1, default: 1e-6, doc: 'verify tolerance on |G - G_target| (assumption; about the write noise of one pulse)' },
    max_pulses: { kind: 'number', unit: '', integer: true, min: 1, max: 10000, default: 20, doc: 'pulse budget per device per programming (assumption; iterative programming uses of order 10-20, Joshi et al. 2020, Methods)' },
  },
};

const pulsed: FieldSpec = {
  kind: 'object',
  doc: `update = "pulsed": no digital master weights; each step\'s update dW is applied to the devices as pulses through this device response (${AIHW_PULSED}); weights in device units, W = w_scale w`,
  fields: {
    model: { kind: 'enum', values: ['soft_bounds', 'exp_step', 'constant_step'], default: 'soft_bounds', doc: 'soft_bounds: dw = dw_up (1 - w/b_max) up, dw_down (1 - w/b_min) down (aihwkit SoftBoundsDevice); exp_step: dw = dw_d max(0, 1 - A_d exp(d gamma_d z)), z = 2 a w/(b_max - b_min) + b (aihwkit ExpStepDevice); constant_step: dw = dw_d (aihwkit ConstantStepDevice)' },
    scheme: { kind: 'enum', values: ['deterministic', 'stochastic'], default: 'deterministic', doc: 'pulses per device: deterministic round(|dW| / (w_scale dw_min)); stochastic: floor plus a Bernoulli pulse for the remainder (unbiased, the per-device marginal of stochastic pulse trains, Gokmen & Vlasov, Front. Neurosci. 10, 333 (2016))' },
    max_pulses: { kind: 'number', unit: '', integer: true, min: 1, max: 1000000, default: 31, doc: 'most pulses per device per update (aihwkit UpdateParameters.desired_bl = 31)' },
    w_scale: { kind: 'number', unit: '', gt: 0, max: 1e3, default: 1, doc: 'chip weight per device unit (device bounds are clipped to the conductance range (g_max - g_min) / G_unit)' },
    dw_min: { kind: 'number', unit: '', gt: 0, max: 1, default: 0.001, doc: `mean step per pulse, device units (${AIHW_PULSED} default)` },
    dw_min_dtod: { kind: 'number', unit: '', min: 0, max: 10, default: 0.3, doc: `device-to-device relative std of dw_min (${AIHW_PULSED} default)` },
    dw_min_std: { kind: 'number', unit: '', min: 0, max: 100, default: 0.3, doc: `cycle-to-cycle std of each step relative to dw_min (${AIHW_PULSED} default; additive for soft_bounds and constant_step, multiplicative for exp_step)` },
    up_down: { kind: 'number', unit: '', min: -1, max: 1, default: 0, doc: `up/down asymmetry beta: dw_up = dw (1 + beta), dw_down = dw (1 - beta) (${AIHW_PULSED})` },
    up_down_dtod: { kind: 'number', unit: '', min: 0, max: 1, default: 0.01, doc: `device-to-device std of beta (${AIHW_PULSED} default)` },
    w_max: { kind: 'number', unit: '', gt: 0, max: 100, default: 0.6, doc: `upper bound b_max, device units (${AIHW_PULSED} default)` },
    w_min: { kind: 'number', unit: '', lt: 0, min: -100, default: -0.6, doc: `lower bound b_min, device units (${AIHW_PULSED} default)` },
    w_max_dtod: { kind: 'number', unit: '', min: 0, max: 10, default: 0.3, doc: `device-to-device relative std of b_max (${AIHW_PULSED} default)` },
    w_min_dtod: { kind: 'number', unit: '', min: 0, max: 10, default: 0.3, doc: `device-to-device relative std of b_min (${AIHW_PULSED} default)` },
    write_noise_std: { kind: 'number', unit: '', min: 0, max: 1000, default: 0, doc: 'apparent-weight write noise in units of dw_min, redrawn at every programming of the chip (aihwkit write_noise_std, which redraws only when a device is touched)' },
    gamma_up: { kind: 'number', unit: '', min: -100, max: 100, default: 12.44625, doc: 'exp_step gamma_up (aihwkit ExpStepDevice default)' },
    gamma_down: { kind: 'number', unit: '', min: -100, max: 100, default: 12.78785, doc: 'exp_step gamma_down (aihwkit ExpStepDevice default)' },
    A_up: { kind: 'number', unit: '', min: -100, max: 100, default: 0.00081, doc: 'exp_step A_up (aihwkit ExpStepDevice default)' },
    A_down: { kind: 'number', unit: '', min: -100, max: 100, default: 0.36833, doc: 'exp_step A_down (aihwkit ExpStepDevice default)' },
    a: { kind: 'number', unit: '', min: -100, max: 100, default: 0.244, doc: 'exp_step slope a (aihwkit ExpStepDevice default)' },
    b: { kind: 'number', unit: '', min: -100, max: 100, default: 0.2425, doc: 'exp_step offset b (aihwkit ExpStepDevice default)' },
  },
};

/** The fields appended to the circuit schema's `program` section. */
export const PROGRAM_MODEL_FIELDS: Record<string, FieldSpec> = {
  device: { kind: 'enum', values: ['simple', 'pcm', 'reram'], default: 'simple', doc: 'device physics of writes and reads: simple (write noise, uniform drift), pcm (program.pcm.*), reram (simple plus program.reram.*)' },
  update: { kind: 'enum', values: ['rewrite', 'write_verify', 'pulsed'], default: 'rewrite', doc: 'how in-situ training changes the devices: rewrite every device from digital weights, program-and-verify (program.write_verify.*), or pulses without master weights (program.pulsed.*, in-situ training only)' },
  pcm,
  reram,
  write_verify: writeVerify,
  pulsed,
};

export interface PcmSpec {
  prog_noise_scale: number;
  drift_scale: number;
  read_noise_scale: number;
  t_read: number;
  compensation: 'none' | 'global';
}

export interface ReramSpec {
  read_noise_rel: number;
  relax_std: number;
  relax_mean: number;
  relax_tau: number;
}

export interface PulsedSpec {
  model: 'soft_bounds' | 'exp_step' | 'constant_step';
  scheme: 'deterministic' | 'stochastic';
  max_pulses: number;
  w_scale: number;
  dw_min: number;
  dw_min_dtod: number;
  dw_min_std: number;
  up_down: number;
  up_down_dtod: number;
  w_max: number;
  w_min: number;
  w_max_dtod: number;
  w_min_dtod: number;
  write_noise_std: number;
  gamma_up: number;
  gamma_down: number;
  A_up: number;
  A_down: number;
  a: number;
  b: number;
}

/** The typed record of PROGRAM_MODEL_FIELDS. */
export interface ProgramModelSpec {
  device: 'simple' | 'pcm' | 'reram';
  update: 'rewrite' | 'write_verify' | 'pulsed';
  pcm: PcmSpec;
  reram: ReramSpec;
  write_verify: { tol: number; max_pulses: number };
  pulsed: PulsedSpec;
}

/**
 * A circuit without the program-model fields that cannot change its results: the device and
 * update sections not selected, and `device` / `update` at their defaults. What identifies a
 * circuit's results (sweep point keys), so circuits from before these fields existed, or that
 * only list inert values (reram.json's `reram` section), keep the keys of their committed results.
 */
export function withoutDefaultProgramModel<T extends { program: object }>(c: T): T {
  const program = { ...c.program } as Record<string, unknown>;
  const inert: Record<string, boolean> = {
    pcm: program.device !== 'pcm',
    reram: program.device !== 'reram',
    write_verify: program.update !== 'write_verify',
    pulsed: program.update !== 'pulsed',
    device: program.device === 'simple',
    update: program.update === 'rewrite',
  };
  for (const k of Object.keys(inert)) if (inert[k]) delete program[k];
  return { ...c, program };
}
