/** `gradep relax`: one batch relaxed on a realised chip in physical time. */
import { type Command, Option } from 'commander';
import { loadCircuit } from '../../circuit/spec.js';
import { relaxOnChip } from '../../experiments/relax-chip.js';
import { dimsOfCircuit } from '../../build/build.js';
import { loadCheckpoint } from '../../learning/checkpoint.js';
import { initParams } from '../../learning/init.js';
import { GradepError } from '../../util/errors.js';
import { intIn, posNum, readJson, rows, vectors } from '../io.js';
import { out } from '../output.js';

interface RelaxFlags {
  circuit: string;
  checkpoint?: string;
  points: string;
  phase: 'free' | 'plus' | 'minus';
  time?: number;
  seed: number;
  trace?: string | boolean;
  json?: boolean;
}

function relaxCommand(flags: RelaxFlags) {
  const circuit = loadCircuit(flags.circuit);
  const d = dimsOfCircuit(circuit);
  const params = flags.checkpoint ? loadCheckpoint(flags.checkpoint).params : initParams(d, flags.seed);
  const raw = readJson(flags.points, 'points');
  const isPairs = !Array.isArray(raw);
  const xt = vectors(isPairs ? (raw as { xt?: unknown }).xt : raw, d.nx, flags.points, isPairs ? 'xt' : 'points');
  const ut = isPairs ? vectors((raw as { ut?: unknown }).ut, d.nx, flags.points, 'ut') : { n: xt.n, data: new Float64Array(xt.data.length) };
  if (ut.n !== xt.n) throw new GradepError(`${flags.points}: ut: got ${ut.n} rows, allowed exactly as many as xt (${xt.n})`);
  const nTrace = flags.trace === undefined || flags.trace === false ? 0 : flags.trace === true ? 20 : Number(flags.trace);
  if (!Number.isInteger(nTrace) || nTrace < 0 || nTrace > 10000) throw new GradepError(`--trace: got ${JSON.stringify(flags.trace)}, allowed an integer 1..10000`);
  const r = relaxOnChip(circuit, params, xt.data, ut.data, { phase: flags.phase, time: flags.time, seed: flags.seed, traceCount: nTrace });
  const vu = circuit.node.v_unit;
  const volts = (a: Float64Array) => rows(a.map((v) => v * vu), d.nx + d.n1 + d.n2);
  return {
    circuit: flags.circuit,
    phase: flags.phase,
    n: xt.n,
    time_s: r.stats.time,
    tau_s: r.tau,
    solver: circuit.transient.solver,
    steps: r.stats.steps,
    evaluations: r.stats.evaluations,
    settle_time_s: r.stats.settleTimeMax,
    energy_j_per_sample: r.stats.energyMean,
    final_voltages_v: volts(r.final),
    measured_voltages_v: volts(r.measured),
    trace: r.trace ? r.trace.times.map((t, k) => ({ t_s: t, voltages_v: r.trace!.states[k].map((s) => Array.from(s, (v) => v * vu)) })) : undefined,
  };
}

export function register(program: Command): void {
  program
    .command('relax')
    .description('relax one batch on a realised chip in physical time; prints final voltages, settle time, dissipated energy (and the trace with --trace)')
    .requiredOption('--circuit <file>', 'circuit file (any; simulated as a transient with its transient.* settings)')
    .option('--checkpoint <file>', 'weights to program (default: the paper initialisation from --seed)')
    .requiredOption('--points <file>', 'JSON array of 64-vectors x_t, or { "xt": [...], "ut": [...] } (ut needed for the nudged phases)')
    .addOption(new Option('--phase <phase>', 'free phase, or a nudged phase from the free end state').choices(['free', 'plus', 'minus']).default('free'))
    .option('--time <seconds>', 'relaxation time of the phase (default: transient.t_free or t_nudge)', posNum('--time', 10))
    .option('--seed <s>', 'chip seed (mismatch) and noise seed', intIn('--seed', 0, 2 ** 31 - 1), 0)
    .option('--trace [n]', 'also print the node voltages at n evenly spaced times (default 20)')
    .option('--json', 'print one JSON document')
    .action((flags: RelaxFlags) => {
      const doc = relaxCommand(flags);
      out(Boolean(flags.json), doc, () => `relaxed ${doc.n} point(s) on chip ${flags.seed} of ${doc.circuit} for ${doc.time_s} s: settle time ${doc.settle_time_s ?? 'n/a (fixed-step solver)'} s, energy ${doc.energy_j_per_sample.toExponential(3)} J per sample`);
    });
}
