/** Training from the command line: the options shared by `train` and `demo`, and the run with a progress bar. */
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { type CircuitSpec, DEFAULT_CIRCUIT_FILE, loadCircuit, validateCircuit } from '../circuit/spec.js';
import { GradepError } from '../util/errors.js';
import { PAPER_RECIPE, runTraining } from '../experiments/train.js';
import { withEngine } from './engine.js';
import { intIn, posNum } from './io.js';
import type { Relax, TrainRelax } from './options.js';
import { log } from './output.js';
import { Progress } from './progress.js';

export interface TrainFlags {
  circuit: string;
  steps: number;
  batch: number;
  seed: number;
  relax?: TrainRelax;
  chipSeed?: number;
  pairing: 'ot' | 'independent';
  out: string;
  resume?: boolean;
  overrideCircuit?: boolean;
  checkpointEvery: number;
  lr?: number;
  json?: boolean;
}

export interface TrainSummary {
  step: number;
  flow_mse: number | null;
  seconds: number;
  checkpoint: string;
  log: string;
}

/** `--relax` overrides the circuit's relax.method: the overridden circuit must pass the validator (a usage error otherwise). */
function checkRelax(c: CircuitSpec, method: TrainRelax, file: string, cmd: Command): void {
  try {
    validateCircuit({ ...c, relax: { ...c.relax, method } }, file);
  } catch (e) {
    if (!(e instanceof GradepError)) throw e;
    cmd.error(`error: --relax: got "${method}", not allowed for this circuit: ${e.message}`, { exitCode: 2, code: 'gradep.invalidArgument' });
  }
}

export async function trainCommand(flags: TrainFlags, cmd: Command): Promise<TrainSummary> {
  const circuitFile = resolve(flags.circuit);
  const circuit = loadCircuit(circuitFile);
  const outDir = resolve(flags.out);
  const relax = flags.relax ?? circuit.relax.method;
  if (flags.relax) checkRelax(circuit, relax, flags.circuit, cmd);
  let bar: Progress | null = null;
  let seconds = 0;
  const ck = await withEngine(cmd, (engine) =>
    runTraining(
      { circuit, circuitFile, steps: flags.steps, batch: flags.batch, seed: flags.seed, chipSeed: flags.chipSeed, pairing: flags.pairing, relax, outDir, resume: Boolean(flags.resume), overrideCircuit: Boolean(flags.overrideCircuit), checkpointEvery: flags.checkpointEvery, lr: flags.lr },
      engine,
      (e) => {
        if (e.type === 'start') {
          log(`training ${flags.circuit} from step ${e.fromStep} to ${e.steps}, batch ${e.batch}, relax ${relax}, ${e.threads} thread(s) -> ${outDir}`);
          bar = new Progress('train', e.steps);
          bar.update(e.fromStep);
        } else if (e.type === 'step') {
          bar?.update(e.row.step, `loss ${e.row.flow_mse.toFixed(4)} |g| ${e.row.grad_norm.toFixed(2)} ${e.row.seconds.toFixed(2)}s/step${e.row.energy_j !== undefined ? ` ${e.row.energy_j.toExponential(2)} J/step` : ''}`);
        } else if (e.type === 'done') seconds = e.seconds;
      },
    ),
  );
  return { step: ck.step, flow_mse: ck.last.flow_mse, seconds, checkpoint: join(outDir, 'checkpoint.json'), log: join(outDir, 'log.jsonl') };
}

export function addTrainOptions(c: Command, defaults: { steps: number; batch: number; out: string; relax?: Relax }): Command {
  return c
    .option('--circuit <file>', 'circuit file', DEFAULT_CIRCUIT_FILE)
    .option('--steps <n>', 'total training steps', intIn('--steps', 1, 10_000_000), defaults.steps)
    .option('--batch <b>', 'flow-matching batch size (1797 = the whole data set)', intIn('--batch', 2, 1797), defaults.batch)
    .option('--seed <s>', 'run seed (init, data, noise and time streams)', intIn('--seed', 0, 2 ** 31 - 1), 0)
    .addOption(
      new Option('--relax <method>', 'relaxation: paper (T steps of epsilon), equilibrium (converge to tol), or transient (in situ: every phase a physical transient on the realised chip); default: the circuit\'s relax.method')
        .choices(['paper', 'equilibrium', 'transient'])
        .default(defaults.relax),
    )
    .option('--chip-seed <s>', 'chip seed (frozen mismatch) for transient training (default: --seed)', intIn('--chip-seed', 0, 2 ** 31 - 1))
    .addOption(new Option('--pairing <p>', 'noise-data pairing').choices(['ot', 'independent']).default('ot'))
    .option('--lr <lr>', 'Adam learning rate', posNum('--lr', 1), PAPER_RECIPE.lr)
    .option('--override-circuit', 'with --resume: continue even though the circuit, --chip-seed or --engine differ from the checkpoint\'s (not its layer sizes); the change is recorded in its overrides')
    .option('--checkpoint-every <n>', 'write the checkpoint every n steps', intIn('--checkpoint-every', 1, 1_000_000), 25)
    .option('--out <dir>', 'output directory', defaults.out);
}
