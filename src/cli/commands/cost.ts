/**
 * `gradep cost`: what one in-situ training step and one generated sample would spend on a real
 * chip, term by term (docs/energy.md), beside the same step and sample on a digital machine.
 * The resistive term is measured: one step and one sample run on a realised chip of the circuit.
 */
import type { Command } from 'commander';
import { buildChip, buildSimulation, dimsOfCircuit, relaxSpecOf } from '../../build/build.js';
import type { Params } from '../../circuit/params.js';
import { betaBound, type CircuitSpec, loadCircuit, validateCircuit } from '../../circuit/spec.js';
import { loadDigits } from '../../data/optdigits.js';
import { PAPER_RECIPE } from '../../experiments/train.js';
import { drawFlowBatch } from '../../flow/batch.js';
import { generate } from '../../flow/sample.js';
import { generateOnChip } from '../../flow/sample-chip.js';
import { loadCheckpoint } from '../../learning/checkpoint.js';
import { gradepEstimate } from '../../learning/gradep.js';
import { initParams } from '../../learning/init.js';
import { insituEstimator } from '../../learning/insitu.js';
import { type CostBreakdown, type CostMode, type CostScenario, costBreakdown, countOps, type DigitalBaseline, digitalBaseline, type MeasuredCpu, type MeasuredResistive } from '../../metrics/cost.js';
import type { RelaxEngine } from '../../solvers/engine.js';
import { GradepError } from '../../util/errors.js';
import { withEngine } from '../engine.js';
import { intIn, posNum } from '../io.js';
import { modeOption } from '../options.js';
import { out } from '../output.js';
import { checkEulerSteps } from './sample.js';

interface CostFlags {
  circuit: string;
  checkpoint?: string;
  batch: number;
  dt: number;
  mode: CostMode;
  seed: number;
  chipSeed: number;
  arrays: number;
  pulsesPerWrite?: number;
  json?: boolean;
}

/** The circuit with its relaxation set to the transient (what the chip runs), validated as such. */
function chipCircuit(file: string): CircuitSpec {
  const c = loadCircuit(file);
  const t = validateCircuit({ ...c, relax: { ...c.relax, method: 'transient' } }, file);
  if (t.layers.visible !== 64) throw new GradepError(`${file}: layers.visible: got ${t.layers.visible}, allowed 64 for the 8x8 digits data`);
  return t;
}

function weightsOf(flags: CostFlags, c: CircuitSpec): Params {
  const d = dimsOfCircuit(c);
  if (!flags.checkpoint) return initParams(d, flags.seed, PAPER_RECIPE.init_gain);
  const ck = loadCheckpoint(flags.checkpoint);
  const k = dimsOfCircuit(ck.circuit);
  if (k.nx !== d.nx || k.n1 !== d.n1 || k.n2 !== d.n2) throw new GradepError(`${flags.circuit}: layers: got ${d.nx}-${d.n1}-${d.n2}, allowed the checkpoint's ${k.nx}-${k.n1}-${k.n2}`);
  return ck.params;
}

interface Measured {
  resistive: MeasuredResistive;
  evaluations: number;
  cpu: MeasuredCpu;
}

/** One in-situ step and one sample on the chip (resistive energy), then the same step and sample on the ideal network, timed. */
async function measure(e: RelaxEngine, c: CircuitSpec, p: Params, flags: CostFlags): Promise<Measured> {
  const sim = buildSimulation(c, 'transient');
  const d = sim.dims;
  const data = loadDigits('tes');
  if (flags.batch > data.n) throw new GradepError(`--batch: got ${flags.batch}, allowed an integer 2..${data.n}`);
  const batch = drawFlowBatch(data.images, data.n, d.nx, flags.batch, 'ot', flags.seed, 0);
  const r = await insituEstimator(sim, flags.chipSeed, flags.seed, e).estimate(p, batch.xt, batch.ut, 0);
  const B = flags.batch;
  const resistiveStep = { free: B * r.free.energyMean, plus: B * r.plus.energyMean, minus: B * r.minus.energyMean, total: r.physical?.energy ?? 0 };
  const g = await generateOnChip(e, sim, buildChip(c, flags.chipSeed), p, { mode: flags.mode, n: 1, t1: 1, dt: flags.dt, seed: flags.seed });
  // The digital baseline runs the paper relaxation (and the paper's activation: a chip's transistor-level
  // element has no digital counterpart); beta is kept below its step bound so it converges.
  const paper = { ...c, activation: { ...c.activation, kind: 'scaled_tanh_silu' as const }, relax: { ...c.relax, method: 'paper' as const } };
  const relax = relaxSpecOf(paper, 'paper');
  const beta = Math.min(sim.beta, 0.5 * betaBound(paper));
  const t0 = performance.now();
  await gradepEstimate(e, p, d, batch.xt, batch.ut, { lambda: sim.lambda, alpha: sim.alpha, beta, relax });
  const t1 = performance.now();
  await generate(e, p, d, { mode: flags.mode, lambda: sim.lambda, alpha: sim.alpha, relax, n: 1, t1: 1, dt: flags.dt, seed: flags.seed });
  const t2 = performance.now();
  return { resistive: { step: resistiveStep, sample: g.energyPerSample }, evaluations: g.evaluations, cpu: { stepSeconds: (t1 - t0) / 1000, sampleSeconds: (t2 - t1) / 1000 } };
}

async function costCommand(flags: CostFlags, cmd: Command) {
  checkEulerSteps(1, flags.dt);
  const c = chipCircuit(flags.circuit);
  const p = weightsOf(flags, c);
  const m = await withEngine(cmd, (e) => measure(e, c, p, flags));
  const counts = countOps(c, dimsOfCircuit(c), flags.batch, { arrays: flags.arrays, pulsesPerWrite: flags.pulsesPerWrite, evaluations: m.evaluations, mode: flags.mode });
  const breakdown = costBreakdown(counts, c, m.resistive);
  const baseline = digitalBaseline(counts, c, m.cpu);
  return {
    format: 'gradep-cost/1',
    circuit: flags.circuit,
    checkpoint: flags.checkpoint ?? null,
    batch: flags.batch,
    seed: flags.seed,
    chip_seed: flags.chipSeed,
    mode: flags.mode,
    cost: c.cost,
    amplifier_static_power: c.amplifier.static_power,
    counts,
    measured: m.resistive,
    breakdown,
    baseline,
  };
}

const fmt = (x: number) => (x === 0 ? '0' : x.toExponential(2));
const pct = (x: number, of: number) => (of > 0 ? `${((100 * x) / of).toFixed(1)}%` : '-');

function table(title: string, s: CostScenario): string[] {
  const rows = s.terms.map((t) => `  ${t.name.padEnd(26)} ${fmt(t.joules).padStart(9)} J ${pct(t.joules, s.total.joules).padStart(6)}   ${fmt(t.seconds).padStart(9)} s ${pct(t.seconds, s.total.seconds).padStart(6)}`);
  return [title, `  ${'term'.padEnd(26)} ${'energy'.padStart(11)} ${'share'.padStart(6)}   ${'time'.padStart(11)} ${'share'.padStart(6)}`, ...rows, `  ${'total'.padEnd(26)} ${fmt(s.total.joules).padStart(9)} J ${''.padStart(6)}   ${fmt(s.total.seconds).padStart(9)} s`];
}

function human(doc: { circuit: string; batch: number; breakdown: CostBreakdown; baseline: DigitalBaseline; counts: { devices: number; sample: { evaluations: number } } }): string {
  const { breakdown: b, baseline: g } = doc;
  const cpu = g.cpu ? `this CPU (measured, x ${g.cpu.power} W): step ${fmt(g.cpu.step.joules)} J in ${fmt(g.cpu.step.seconds)} s; sample ${fmt(g.cpu.sample.joules)} J in ${fmt(g.cpu.sample.seconds)} s` : '';
  return [
    `gradep cost: ${doc.circuit}, batch ${doc.batch}, ${doc.counts.devices} devices`,
    ...table(`training step (batch ${doc.batch}):`, b.step),
    ...table(`generated sample (${doc.counts.sample.evaluations} evaluations):`, b.sample),
    `transfer (programming the chip once before generation): ${fmt(b.transfer.joules)} J in ${fmt(b.transfer.seconds)} s`,
    `area: ${b.area.total_mm2.toPrecision(3)} mm^2 (cells ${b.area.cells_mm2.toPrecision(3)}, periphery ${b.area.periphery_mm2.toPrecision(3)})`,
    `digital baseline: step ${fmt(g.flops.step)} FLOPs, sample ${fmt(g.flops.sample)} FLOPs`,
    `  GPU at ${g.gpu.utilisation} of peak: step ${fmt(g.gpu.step.joules)} J in ${fmt(g.gpu.step.seconds)} s; sample ${fmt(g.gpu.sample.joules)} J in ${fmt(g.gpu.sample.seconds)} s`,
    ...(cpu ? [`  ${cpu}`] : []),
    `  paper anchor (A100, batch ${g.anchor.batch}): ${fmt(g.anchor.step.seconds)} s and ${fmt(g.anchor.step.joules)} J at TDP per step; its ${fmt(g.anchor.flops)} FLOPs imply ${(100 * g.anchor.utilisation).toPrecision(2)}% of peak`,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('cost')
    .description('energy, time and area of one in-situ training step and one generated sample on a chip, term by term (resistive measured; converters, programming, static power, digital update counted), with a digital baseline (docs/energy.md)')
    .requiredOption('--circuit <file>', 'circuit file (its cost section holds the per-event figures; its layers must be 64-wide)')
    .option('--checkpoint <file>', 'weights to program (default: the initial weights of --seed)')
    .option('--batch <b>', 'training batch size', intIn('--batch', 2, 1797), 32)
    .option('--dt <dt>', 'Euler step of the generated sample (t1 = 1)', posNum('--dt', 1), 0.01)
    .addOption(modeOption())
    .option('--seed <s>', 'seed of the weights, the batch and the noise', intIn('--seed', 0, 2 ** 31 - 1), 0)
    .option('--chip-seed <s>', 'chip seed (frozen mismatch)', intIn('--chip-seed', 0, 2 ** 31 - 1), 0)
    .option('--arrays <n>', 'physical arrays per chip (2 when forward and backward weights have their own arrays)', intIn('--arrays', 1, 2), 1)
    .option('--pulses-per-write <n>', 'programming pulses per device write (default: the circuit\'s cost.program_pulses)', intIn('--pulses-per-write', 1, 1_000_000))
    .option('--json', 'print one JSON document')
    .action(async (flags: CostFlags, cmd: Command) => {
      const doc = await costCommand(flags, cmd);
      out(Boolean(flags.json), doc, () => human(doc));
    });
}
