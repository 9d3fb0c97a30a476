/** `gradep sample`: Euler generation with the learned velocity field, ideal or on a realised chip. */
import type { Command } from 'commander';
import { loadCircuit } from '../../circuit/spec.js';
import { buildChip, buildSimulation, dimsOfCircuit, relaxSpecOf } from '../../build/build.js';
import { generate, type VelocityMode } from '../../flow/sample.js';
import { generateOnChip } from '../../flow/sample-chip.js';
import { loadCheckpoint } from '../../learning/checkpoint.js';
import { sampleGridPng } from '../../report/figures.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { GradepError, UsageError } from '../../util/errors.js';
import { finiteJson } from '../../util/json.js';
import { withEngine } from '../engine.js';
import { checkOutPath, intIn, posNum, rows } from '../io.js';
import { modeOption, type Relax, relaxOption } from '../options.js';
import { out } from '../output.js';
import { fmtTime, Progress } from '../progress.js';

interface SampleFlags {
  checkpoint: string;
  n: number;
  t1: number;
  dt: number;
  mode: VelocityMode;
  relax?: Relax;
  seed: number;
  ema?: boolean;
  circuit?: string;
  chipSeed: number;
  out: string;
  png?: string | boolean;
  json?: boolean;
}

/** Most Euler steps a sampling run may take (t1 / dt): bounds a mistyped --dt, not a real run (100 by default). */
export const MAX_EULER_STEPS = 100_000;

/**
 * --dt against --t1: the Euler loop takes round(t1 / dt) steps, so dt > t1 or a t1 that is no
 * multiple of dt would integrate to another horizon than the one recorded in the output.
 */
export function checkEulerSteps(t1: number, dt: number): void {
  const steps = t1 / dt;
  if (dt > t1) throw new UsageError(`--dt: got ${dt}, allowed <= --t1 (${t1})`);
  if (Math.abs(steps - Math.round(steps)) > 1e-9 * steps) throw new UsageError(`--dt: got ${dt}, allowed a step that divides --t1 (${t1}) into a whole number of steps (got ${steps} steps)`);
  if (Math.round(steps) > MAX_EULER_STEPS) throw new UsageError(`--dt: got ${dt}, allowed at most ${MAX_EULER_STEPS} Euler steps up to --t1 (${t1}), i.e. --dt >= ${t1 / MAX_EULER_STEPS}`);
}

/** The PNG path of --png: its own value, or next to --out. */
function pngPath(flags: SampleFlags): string | null {
  if (!flags.png) return null;
  return typeof flags.png === 'string' ? flags.png : flags.out.replace(/\.json$/i, '') + '.png';
}

async function sampleCommand(flags: SampleFlags, cmd: Command) {
  checkEulerSteps(flags.t1, flags.dt);
  checkOutPath('--out', flags.out, 'file');
  const png = pngPath(flags);
  if (png) checkOutPath('--png', png, 'file');
  const ck = loadCheckpoint(flags.checkpoint);
  const d = dimsOfCircuit(ck.circuit);
  const relax = flags.circuit ? 'transient' : (flags.relax ?? 'equilibrium');
  const bar = new Progress('sample', Math.round(flags.t1 / flags.dt) + 1, Boolean(flags.json));
  const t0 = performance.now();
  const weights = flags.ema ? ck.ema_params : ck.params;
  let physical: { time_per_sample_s: number; energy_per_sample_j: number } | null = null;
  let r: { samples: Float64Array; evaluations: number; relax?: unknown };
  if (flags.circuit) {
    const chipCircuit = loadCircuit(flags.circuit);
    const cd = dimsOfCircuit(chipCircuit);
    if (cd.nx !== d.nx || cd.n1 !== d.n1 || cd.n2 !== d.n2) throw new GradepError(`${flags.circuit}: layers: got ${cd.nx}-${cd.n1}-${cd.n2}, allowed the checkpoint's ${d.nx}-${d.n1}-${d.n2}`);
    const g = await withEngine(cmd, (e) => generateOnChip(e, buildSimulation(chipCircuit, 'transient'), buildChip(chipCircuit, flags.chipSeed), weights, { mode: flags.mode, n: flags.n, t1: flags.t1, dt: flags.dt, seed: flags.seed, onStep: (k) => bar.update(k) }));
    physical = { time_per_sample_s: g.timePerSample, energy_per_sample_j: g.energyPerSample };
    r = g;
  } else {
    r = await withEngine(cmd, (e) =>
      generate(e, weights, d, { mode: flags.mode, lambda: ck.hyper.lambda, alpha: ck.hyper.alpha, relax: relaxSpecOf(ck.circuit, relax as Relax), n: flags.n, t1: flags.t1, dt: flags.dt, seed: flags.seed, onStep: (k) => bar.update(k) }),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const doc = { format: 'gradep-samples/1', checkpoint: flags.checkpoint, step: ck.step, mode: flags.mode, relax, circuit: flags.circuit ?? null, chip_seed: flags.circuit ? flags.chipSeed : null, t1: flags.t1, dt: flags.dt, seed: flags.seed, ema: Boolean(flags.ema), n: flags.n, evaluations: r.evaluations, seconds, physical, samples: rows(r.samples, d.nx) };
  finiteJson({ relax: r.relax }, flags.out); // a diverged relaxation can leave finite-looking samples
  writeFileAtomic(flags.out, finiteJson(doc, flags.out));
  if (png) writeFileAtomic(png, sampleGridPng(r.samples, flags.n, { title: `${flags.mode}, t1 = ${flags.t1}, step ${ck.step}` }));
  return { out: flags.out, png, n: flags.n, evaluations: r.evaluations, seconds, physical, relax: r.relax ?? null };
}

export function register(program: Command): void {
  program
    .command('sample')
    .description('generate digits by Euler integration of the learned velocity field')
    .requiredOption('--checkpoint <file>', 'checkpoint file')
    .option('--n <n>', 'number of samples', intIn('--n', 1, 100000), 100)
    .option('--t1 <t>', 'generation horizon (1.0 = training horizon; > 1 extends it)', posNum('--t1', 100), 1.0)
    .option('--dt <dt>', 'Euler step', posNum('--dt', 1), 0.01)
    .addOption(modeOption())
    .addOption(relaxOption())
    .option('--seed <s>', 'sampling seed', intIn('--seed', 0, 2 ** 31 - 1), 0)
    .option('--ema', 'use the EMA weights')
    .option('--circuit <file>', 'transfer the weights onto a realised chip of this circuit and generate on it (physical transients, measured read-out)')
    .option('--chip-seed <s>', 'chip seed with --circuit', intIn('--chip-seed', 0, 2 ** 31 - 1), 0)
    .requiredOption('--out <file>', 'samples JSON file')
    .option('--png [file]', 'also write a PNG grid (default: next to --out)')
    .option('--json', 'print one JSON document (a summary; samples go to --out)')
    .action(async (flags: SampleFlags, cmd: Command) => {
      const summary = await sampleCommand(flags, cmd);
      out(Boolean(flags.json), summary, () => `wrote ${flags.n} samples to ${flags.out}${summary.png ? ` and ${summary.png}` : ''} in ${fmtTime(summary.seconds)}`);
    });
}
