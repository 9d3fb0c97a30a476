/**
 * The cost model (docs/energy.md): what one in-situ training step and one generated sample
 * would spend on a real chip, in joules and seconds, term by term, and the same step and
 * sample on a digital machine. Pure functions in two stages:
 *   countOps(spec, dims, batch, ...)      -> conversions, device writes, element counts, MACs, FLOPs
 *   costBreakdown(counts, spec, measured) -> named terms {joules, seconds} per phase, step and sample
 * The resistive term is the G V^2 integral a simulated run measured (src/solvers/transient.ts);
 * every other term is a count times a per-event figure of the circuit's `cost` section.
 * Timing model: one chip, the samples of a batch one after another, terms in sequence
 * (static power runs only during the analogue phases, which it does not lengthen).
 */
import { type Dims, paramCount, stateSize } from '../circuit/params.js';
import type { CircuitSpec } from '../circuit/spec.js';

/** FLOPs of one digital rho evaluation with its derivative (tanh and silu through exp and a division); assumption. */
export const RHO_FLOPS = 20;
/** FLOPs per node per relaxation step of the digital baseline: its force (leak, spring, nudge, rho' a) and Euler update; assumption. */
export const NODE_FLOPS = 8;
/** The paper's anchor (arXiv 2604.08150): 2000 full-batch steps (1797 digits) in about 1 h on one A100. */
export const PAPER_ANCHOR = { steps: 2000, seconds: 3600, batch: 1797 };

export type CostMode = 'spring' | 'energy_gd';

export interface CountOptions {
  /** Physical arrays per chip: 1 (forward and backward share one array) or 2 (two arrays). */
  arrays?: number;
  /** Programming pulses per device write (default cost.program_pulses; a write-verify loop's mean count). */
  pulsesPerWrite?: number;
  /** Velocity evaluations per generated sample (default 101: t = 0, 0.01, ..., 1 as eulerEvaluations counts them). */
  evaluations?: number;
  /** Relaxation steps per phase of the digital baseline (default relax.T, the paper relaxation). */
  stepsPerPhase?: number;
  /** Read-out of generation (energy_gd adds the W0^T rho(h1) product to the digital baseline). */
  mode?: CostMode;
  /** Analogue time of one velocity evaluation (s; default transient.t_free). */
  evaluationSeconds?: number;
  /** Fully analogue generation (one continuous process of `evaluations` x evaluationSeconds): x set once and read once, no digital Euler step. */
  continuous?: boolean;
}

/** One kind of analogue phase: `runs` transients of `duration` each, with converter use per run. */
export interface PhaseCount {
  phase: string;
  runs: number;
  /** Analogue relaxation per run (s). */
  duration: number;
  /** ADC conversions per run (sensed lines read at the end of the phase). */
  adc: number;
  /** DAC conversions per run (sources driven at its start). */
  dac: number;
}

/** Digital work: float adds and multiplies, 32-bit accesses to SRAM and to the state memory. */
export interface DigitalCount {
  adds: number;
  mults: number;
  sram: number;
  state: number;
}

export interface OpCounts {
  dims: Dims;
  batch: number;
  arrays: number;
  pulsesPerWrite: number;
  /** Programmable devices: 2 (differential pair) x (nx n1 + n1 n2) x arrays. */
  devices: number;
  /** Nodes read by ADCs (one amplifier each), hidden elements (one rho and one multiplier each), bias sources (one per node). */
  sensedLines: number;
  hiddenElements: number;
  biasSources: number;
  step: { analogue: PhaseCount[]; programPulses: number; local: DigitalCount; optimizer: DigitalCount };
  sample: { evaluations: number; analogue: PhaseCount[]; euler: DigitalCount };
  /** Pulses to program the chip once before generation (the transfer). */
  transferPulses: number;
  baseline: { stepsPerPhase: number; relaxStepFlops: number; stepFlops: number; sampleFlops: number };
}

/** Weight entries of the network (each realised by one differential pair per array). */
const weightCount = (d: Dims) => d.nx * d.n1 + d.n1 * d.n2;

/** Programmable devices of a chip: two per weight (G+ and G-), in each physical array. */
export function deviceCount(d: Dims, arrays = 1): number {
  return 2 * weightCount(d) * arrays;
}

/**
 * The digital local update of one step: mean_b [dE/dtheta(s+) - dE/dtheta(s-)] / (2 beta) from
 * the measured nudged states. Each weight product rho_i x_j is one multiply-add per sample and
 * phase (2B of them), each bias gradient one add; rho of the measured hidden states is evaluated
 * digitally (half adds, half multiplies). SRAM: the 2B N measured values are written once, each
 * MAC reads `readsPerMac` operands (2 without reuse), each gradient entry is written once. The
 * final 1/(2 beta B) scale is one multiply per entry.
 */
export function localUpdateCount(d: Dims, B: number, readsPerMac = 2): DigitalCount {
  const P = paramCount(d);
  const Pw = weightCount(d);
  const N = stateSize(d);
  const rho = (2 * B * (d.n1 + d.n2) * RHO_FLOPS) / 2;
  return { adds: 2 * B * P + rho, mults: 2 * B * Pw + P + rho, sram: readsPerMac * 2 * B * Pw + 2 * B * N + P, state: 0 };
}

/**
 * Clipping, Adam and EMA on the P parameters (src/learning/optimizer.ts), per parameter:
 * clip 2 mult + 1 add (norm and scale; the gradient read twice and written once in SRAM);
 * Adam 9 mult (sqrt and divisions counted as multiplies) + 4 add, reading g from SRAM and
 * reading and writing p, m, v in the state memory; EMA 2 mult + 1 add, reading ema and p and
 * writing ema.
 */
export function optimizerCount(d: Dims): DigitalCount {
  const P = paramCount(d);
  return { adds: 6 * P, mults: 13 * P, sram: 4 * P, state: 9 * P };
}

/** FLOPs of one relaxation step of one sample on a digital machine: two crossbar products per weight (forward and backward), rho, node updates. */
export function relaxStepFlops(d: Dims): number {
  return 4 * weightCount(d) + RHO_FLOPS * (d.n1 + d.n2) + NODE_FLOPS * stateSize(d);
}

const flopsOf = (c: DigitalCount) => c.adds + c.mults;

/** FLOPs of one digital GradEP training step: three phases of T relaxation steps per sample, the local update, the optimizer. */
export function trainingStepFlops(d: Dims, B: number, T: number): number {
  return 3 * T * B * relaxStepFlops(d) + flopsOf(localUpdateCount(d, B)) + flopsOf(optimizerCount(d));
}

/** FLOPs of one digitally generated sample: k Euler steps, each a free relaxation of T steps and the velocity read-out. */
export function sampleFlops(d: Dims, k: number, T: number, mode: CostMode = 'spring'): number {
  const readout = 4 * d.nx + (mode === 'energy_gd' ? 2 * d.nx * d.n1 : 0);
  return k * (T * relaxStepFlops(d) + readout);
}

/**
 * One generated sample: per evaluation the DACs set x, one analogue run, the read-out converts
 * nx values and the digital Euler step x <- x + dt v is 2 adds and 2 multiplies per value;
 * continuous (fully analogue) generation is one run of k evaluations' time, set and read once.
 */
function sampleCount(d: Dims, k: number, seconds: number, continuous: boolean): OpCounts['sample'] {
  if (continuous) return { evaluations: k, analogue: [{ phase: 'eval', runs: 1, duration: k * seconds, adc: d.nx, dac: d.nx }], euler: { adds: 0, mults: 0, sram: 0, state: 0 } };
  return { evaluations: k, analogue: [{ phase: 'eval', runs: k, duration: seconds, adc: d.nx, dac: d.nx }], euler: { adds: 2 * k * d.nx, mults: 2 * k * d.nx, sram: 0, state: 0 } };
}

/**
 * Every count of one training step at batch B and one generated sample. Training (src/learning/
 * insitu.ts): per sample the DACs set x_t (springs and the initial condition) before the free
 * phase and x_target before the nudged phases (held for both); each of the three phases ends
 * with a read of all N nodes; every device is rewritten before the step. Generation
 * (src/flow/sample-chip.ts): per evaluation the DACs set x, one free phase of transient.t_free,
 * and the read-out converts nx values (the visible nodes, or the clamp currents in energy_gd);
 * the digital Euler step x <- x + dt v is 2 adds and 2 multiplies per value, x kept in registers.
 */
export function countOps(spec: CircuitSpec, d: Dims, B: number, o: CountOptions = {}): OpCounts {
  const arrays = o.arrays ?? 1;
  const pulsesPerWrite = o.pulsesPerWrite ?? spec.cost.program_pulses;
  const k = o.evaluations ?? 101;
  const T = o.stepsPerPhase ?? spec.relax.T;
  const N = stateSize(d);
  const devices = deviceCount(d, arrays);
  const { t_free, t_nudge } = spec.transient;
  return {
    dims: d,
    batch: B,
    arrays,
    pulsesPerWrite,
    devices,
    sensedLines: N,
    hiddenElements: d.n1 + d.n2,
    biasSources: N,
    step: {
      analogue: [
        { phase: 'free', runs: B, duration: t_free, adc: N, dac: d.nx },
        { phase: 'plus', runs: B, duration: t_nudge, adc: N, dac: d.nx },
        { phase: 'minus', runs: B, duration: t_nudge, adc: N, dac: 0 },
      ],
      programPulses: devices * pulsesPerWrite,
      local: localUpdateCount(d, B, spec.cost.reads_per_mac),
      optimizer: optimizerCount(d),
    },
    sample: sampleCount(d, k, o.evaluationSeconds ?? t_free, o.continuous ?? false),
    transferPulses: devices * pulsesPerWrite,
    baseline: { stepsPerPhase: T, relaxStepFlops: relaxStepFlops(d), stepFlops: trainingStepFlops(d, B, T), sampleFlops: sampleFlops(d, k, T, o.mode) },
  };
}

export interface Amount {
  joules: number;
  seconds: number;
}

export interface CostTerm extends Amount {
  name: string;
  /** Equation and source of the term, in words. */
  source: string;
  phases: Record<string, Amount>;
}

export interface CostScenario {
  terms: CostTerm[];
  total: Amount;
}

/**
 * Resistive energy a simulated run measured: per phase of the step (J for the whole batch) with
 * the step's reported total (the in-situ estimate's physical.energy, kept as the term's total so
 * that it is reproduced bit for bit), and per generated sample (generateOnChip's energyPerSample).
 */
export interface MeasuredResistive {
  step: { free: number; plus: number; minus: number; total: number };
  sample: number;
}

export interface CostBreakdown {
  step: CostScenario;
  sample: CostScenario;
  /** Programming the chip once before generation (not in the per-sample total). */
  transfer: CostTerm;
  area: { cells_mm2: number; periphery_mm2: number; total_mm2: number };
}

/** Energy of one ADC conversion (J): Walden FOM 2^ENOB, or P/f_s from the Schreier FOM; 0 for an ideal (0-bit) ADC. */
export function adcEnergy(spec: CircuitSpec): number {
  const c = spec.cost;
  const enob = c.adc_enob > 0 ? c.adc_enob : spec.measure.adc_bits;
  if (enob === 0) return 0;
  if (c.adc_fom === 'walden') return c.adc_walden * 2 ** enob;
  // FOM_S = SNDR + 10 log10(f_s / (2 P))  =>  P / f_s = 10^((SNDR - FOM_S) / 10) / 2.
  return 0.5 * 10 ** ((6.02 * enob + 1.76 - c.adc_schreier) / 10);
}

/** Energy of one DAC conversion (J): dac_walden 2^bits; 0 for an ideal DAC. */
export function dacEnergy(spec: CircuitSpec): number {
  return spec.dac.bits === 0 ? 0 : spec.cost.dac_walden * 2 ** spec.dac.bits;
}

const zero = (): Amount => ({ joules: 0, seconds: 0 });
const sum = (xs: Amount[]): Amount => xs.reduce((a, x) => ({ joules: a.joules + x.joules, seconds: a.seconds + x.seconds }), zero());

function term(name: string, source: string, phases: Record<string, Amount>, joules?: number): CostTerm {
  const total = sum(Object.values(phases));
  return { name, source, joules: joules ?? total.joules, seconds: total.seconds, phases };
}

/** The terms that live in the analogue phases: resistive, converters, static power. */
function analogueTerms(spec: CircuitSpec, c: OpCounts, phases: PhaseCount[], resistive: Record<string, number>, resistiveTotal: number): CostTerm[] {
  const k = spec.cost;
  const eAdc = adcEnergy(spec);
  const eDac = dacEnergy(spec);
  const adcs = k.adc_count > 0 ? k.adc_count : c.sensedLines;
  const per = (f: (p: PhaseCount) => Amount) => Object.fromEntries(phases.map((p) => [p.phase, f(p)]));
  const staticTerm = (name: string, count: number, watts: number, what: string) =>
    term(name, `${count} ${what} x ${watts} W x analogue time`, per((p) => ({ joules: count * watts * p.runs * p.duration, seconds: 0 })));
  return [
    term('resistive', 'G V^2 integrated over each phase (measured by the transient)', per((p) => ({ joules: resistive[p.phase], seconds: p.runs * p.duration })), resistiveTotal),
    term('adc', `conversions x ${eAdc.toPrecision(3)} J (${k.adc_fom} FOM); ${adcs} ADC(s) at ${k.adc_rate} Hz`, per((p) => ({ joules: p.runs * p.adc * eAdc, seconds: eAdc > 0 && p.adc > 0 ? (p.runs * Math.ceil(p.adc / adcs)) / k.adc_rate : 0 }))),
    term('dac', `conversions x ${eDac.toPrecision(3)} J (dac_walden 2^bits); one DAC per driven line at ${k.dac_rate} Hz`, per((p) => ({ joules: p.runs * p.dac * eDac, seconds: eDac > 0 && p.dac > 0 ? p.runs / k.dac_rate : 0 }))),
    staticTerm('amplifiers', c.sensedLines, spec.amplifier.static_power, 'amplifiers (one per sensed line)'),
    staticTerm('activations', c.hiddenElements, k.activation_power, 'activation elements'),
    staticTerm('multipliers', c.hiddenElements, k.multiplier_power, 'multiplier elements'),
    staticTerm('bias sources', c.biasSources, k.bias_power, 'bias sources'),
  ];
}

/** Energy and time of digital work at the stated node (Horowitz 45 nm by default). */
export function digitalAmount(spec: CircuitSpec, w: DigitalCount): Amount {
  const k = spec.cost;
  const stateE = k.state_memory === 'dram' ? k.dram_access : k.sram_access;
  return { joules: w.adds * k.flop_add + w.mults * k.flop_mult + w.sram * k.sram_access + w.state * stateE, seconds: (w.adds + w.mults) / k.digital_rate };
}

function programming(spec: CircuitSpec, pulses: number, phase: string, c: OpCounts): CostTerm {
  const k = spec.cost;
  const amount = { joules: pulses * k.program_pulse_energy, seconds: Math.ceil(pulses / k.program_parallel) * k.program_pulse_time };
  return term('programming', `${c.devices} devices x ${c.pulsesPerWrite} pulse(s) x ${k.program_pulse_energy} J, ${k.program_parallel} at a time x ${k.program_pulse_time} s`, { [phase]: amount });
}

function scenario(terms: CostTerm[]): CostScenario {
  return { terms, total: sum(terms) };
}

/** Named terms per phase, per training step and per generated sample, from the counts and a measured run's resistive energy. */
export function costBreakdown(c: OpCounts, spec: CircuitSpec, measured: MeasuredResistive): CostBreakdown {
  const k = spec.cost;
  const stepTerms = [
    ...analogueTerms(spec, c, c.step.analogue, measured.step, measured.step.total),
    programming(spec, c.step.programPulses, 'program', c),
    term('digital: local update', 'outer products of measured states (MACs, SRAM reads) x Horowitz energies', { update: digitalAmount(spec, c.step.local) }),
    term('digital: clip, Adam, EMA', `per-parameter FLOPs and ${k.state_memory} accesses x Horowitz energies`, { update: digitalAmount(spec, c.step.optimizer) }),
  ];
  const sampleTerms = [
    ...analogueTerms(spec, c, c.sample.analogue, { eval: measured.sample }, measured.sample),
    term('digital: Euler step', 'x <- x + dt v per evaluation x Horowitz energies', { update: digitalAmount(spec, c.sample.euler) }),
  ];
  const F2 = k.feature_size ** 2;
  const cells = c.devices * k.cell_area * F2 * 1e6;
  const periphery = c.sensedLines * k.periphery_area * 1e6;
  return {
    step: scenario(stepTerms),
    sample: scenario(sampleTerms),
    transfer: programming(spec, c.transferPulses, 'transfer', c),
    area: { cells_mm2: cells, periphery_mm2: periphery, total_mm2: cells + periphery },
  };
}

/** Measured time of the same work done digitally on this CPU (wall seconds). */
export interface MeasuredCpu {
  stepSeconds: number;
  sampleSeconds: number;
}

export interface DigitalBaseline {
  flops: { step: number; sample: number };
  gpu: { step: Amount; sample: Amount; utilisation: number };
  cpu: { step: Amount; sample: Amount; power: number } | null;
  /** The paper's A100 run: seconds and joules (at TDP) per full-batch step, and the utilisation its FLOPs imply. */
  anchor: { batch: number; step: Amount; flops: number; utilisation: number };
}

/** The same step and sample on a GPU (counted FLOPs at a stated utilisation) and on this CPU (measured time x package power). */
export function digitalBaseline(c: OpCounts, spec: CircuitSpec, cpu: MeasuredCpu | null = null): DigitalBaseline {
  const k = spec.cost;
  const rate = k.gpu_flops * k.gpu_utilisation;
  const gpu = (flops: number): Amount => ({ joules: (flops / rate) * k.gpu_power, seconds: flops / rate });
  const anchorSeconds = PAPER_ANCHOR.seconds / PAPER_ANCHOR.steps;
  const anchorFlops = trainingStepFlops(c.dims, PAPER_ANCHOR.batch, c.baseline.stepsPerPhase);
  return {
    flops: { step: c.baseline.stepFlops, sample: c.baseline.sampleFlops },
    gpu: { step: gpu(c.baseline.stepFlops), sample: gpu(c.baseline.sampleFlops), utilisation: k.gpu_utilisation },
    cpu: cpu && { step: { joules: cpu.stepSeconds * k.cpu_power, seconds: cpu.stepSeconds }, sample: { joules: cpu.sampleSeconds * k.cpu_power, seconds: cpu.sampleSeconds }, power: k.cpu_power },
    anchor: { batch: PAPER_ANCHOR.batch, step: { joules: anchorSeconds * k.gpu_power, seconds: anchorSeconds }, flops: anchorFlops, utilisation: anchorFlops / (anchorSeconds * k.gpu_flops) },
  };
}

/** The terms of a scenario summed by group (e.g. all static powers), for tables; a term in no group stays on its own. */
export function termGroups(sc: CostScenario, groups: Record<string, string[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of sc.terms) {
    const g = Object.keys(groups).find((k) => groups[k].includes(t.name)) ?? t.name;
    out[g] = (out[g] ?? 0) + t.joules;
  }
  return out;
}

/** Stacked-bar data of several breakdowns (e.g. the points of a sweep): one series of joules per term. */
export function costBars(points: { label: string; breakdown: CostBreakdown }[], which: 'step' | 'sample'): { labels: string[]; series: { term: string; joules: number[] }[] } {
  const names = [...new Set(points.flatMap((p) => p.breakdown[which].terms.map((t) => t.name)))];
  return {
    labels: points.map((p) => p.label),
    series: names.map((term) => ({ term, joules: points.map((p) => p.breakdown[which].terms.find((t) => t.name === term)?.joules ?? 0) })),
  };
}
