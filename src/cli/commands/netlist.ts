/** `gradep netlist`: a realised chip, one sample of one phase, written as an ngspice netlist. */
import { type Command, Option } from 'commander';
import { type CircuitSpec, loadCircuit } from '../../circuit/spec.js';
import { dimsOfCircuit } from '../../build/build.js';
import { loadDigits } from '../../data/optdigits.js';
import { drawFlowBatch } from '../../flow/batch.js';
import { loadCheckpoint } from '../../learning/checkpoint.js';
import { initParams } from '../../learning/init.js';
import { chipPhases, type ChipPhases, phaseNetlist, type SpicePhase } from '../../spice/check.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { GradepError } from '../../util/errors.js';
import { checkOutPath, intIn, readJson, vectors } from '../io.js';
import { out } from '../output.js';

/** Options shared by `netlist` and `spice`. */
export interface ChipFlags {
  circuit: string;
  checkpoint?: string;
  chipSeed: number;
  points?: string;
  noise?: boolean;
}

/** Points without --points: this many flow-matching pairs (x_t, u_t) of the evaluation digits. */
export const DEFAULT_POINTS = 3;

/** x_t (and u_t) from --points (as `gradep relax` reads them), or a fixed draw of digits. */
function pointsOf(flags: ChipFlags, nx: number): { xt: Float64Array; ut: Float64Array } {
  if (!flags.points) {
    if (nx !== 64) throw new GradepError(`--points: needed for a circuit with layers.visible ${nx} (the default points are 64-pixel digits)`);
    const digits = loadDigits('tra');
    const b = drawFlowBatch(digits.images, digits.n, 64, DEFAULT_POINTS, 'independent', flags.chipSeed, 0);
    return { xt: b.xt, ut: b.ut };
  }
  const raw = readJson(flags.points, 'points');
  const isPairs = !Array.isArray(raw);
  const xt = vectors(isPairs ? (raw as { xt?: unknown }).xt : raw, nx, flags.points, isPairs ? 'xt' : 'points');
  const ut = isPairs ? vectors((raw as { ut?: unknown }).ut, nx, flags.points, 'ut') : { n: xt.n, data: new Float64Array(xt.data.length) };
  if (ut.n !== xt.n) throw new GradepError(`${flags.points}: ut: got ${ut.n} rows, allowed exactly as many as xt (${xt.n})`);
  return { xt: xt.data, ut: ut.data };
}

/** The circuit, its programmed chip and the phases of the chosen points. */
export function chipFromFlags(flags: ChipFlags): { circuit: CircuitSpec; cp: ChipPhases } {
  const circuit = loadCircuit(flags.circuit);
  const d = dimsOfCircuit(circuit);
  if (flags.noise && circuit.noise.temperature === 0) throw new GradepError(`--noise: ${flags.circuit}: noise.temperature is 0, allowed > 0 for thermal noise sources`);
  const params = flags.checkpoint ? loadCheckpoint(flags.checkpoint).params : initParams(d, flags.chipSeed);
  const { xt, ut } = pointsOf(flags, d.nx);
  return { circuit, cp: chipPhases(circuit, params, xt, ut, flags.chipSeed) };
}

/** --circuit, --checkpoint, --chip-seed, --points, --noise. */
export function chipOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--circuit <file>', 'circuit file (its devices, mismatch, drift and phase durations t_free, t_nudge)')
    .option('--checkpoint <file>', 'weights to program (default: the paper initialisation from --chip-seed)')
    .option('--chip-seed <s>', 'chip seed: mismatch, programming and the default weights and points', intIn('--chip-seed', 0, 2 ** 31 - 1), 0)
    .option('--points <file>', `JSON array of x_t vectors, or { "xt": [...], "ut": [...] } (ut sets the nudge targets; default ${DEFAULT_POINTS} flow-matching pairs of evaluation digits drawn with --chip-seed)`);
}

interface NetlistFlags extends ChipFlags {
  phase: SpicePhase;
  sample: number;
  out: string;
  json?: boolean;
}

export function register(program: Command): void {
  chipOptions(program.command('netlist').description('write a realised chip (mismatch, programmed and drifted conductances, activation, spring, nudge, DAC sources, start state) as an ngspice netlist of one phase of one point; run it with `ngspice -b FILE.cir`'))
    .addOption(new Option('--phase <phase>', 'free phase (from x = x_t, hidden at 0), or a nudged phase (from the free end state)').choices(['free', 'plus', 'minus']).default('free'))
    .option('--sample <i>', 'which point of --points', intIn('--sample', 0, 1e6), 0)
    .option('--noise', 'add Johnson-Nyquist thermal noise as trnoise current sources (needs noise.temperature > 0)')
    .requiredOption('--out <file.cir>', 'netlist file to write')
    .option('--json', 'print one JSON document')
    .action((flags: NetlistFlags) => {
      checkOutPath('--out', flags.out, 'file');
      const { circuit, cp } = chipFromFlags(flags);
      if (flags.sample >= cp.B) throw new GradepError(`--sample: got ${flags.sample}, allowed 0..${cp.B - 1} (the points given)`);
      const title = `gradep chip ${flags.chipSeed} of ${circuit.name}, ${flags.phase} phase, point ${flags.sample}`;
      const weights = flags.checkpoint ? `weights ${flags.checkpoint}` : `paper initialisation, seed ${flags.chipSeed}`;
      const text = phaseNetlist(cp, flags.phase, flags.sample, { noise: flags.noise, title, comments: [`Circuit ${flags.circuit}; ${weights}.`] });
      writeFileAtomic(flags.out, text);
      const doc = { out: flags.out, phase: flags.phase, sample: flags.sample, nodes: cp.model.N, elements: text.split('\n').filter((l) => /^[A-Za-z]/.test(l)).length, duration_s: cp.duration[flags.phase] };
      out(Boolean(flags.json), doc, () => `wrote ${flags.out}: ${doc.nodes} nodes, ${doc.elements} element lines, ${flags.phase} phase of ${doc.duration_s} s`);
    });
}
