/**
 * `gradep demo`: what gradep is for, in a few minutes. GradEP trains the paper's network on
 * the ideal circuit (loss falling, with progress), then digits are sampled from this run and
 * from the committed paper checkpoint on the ideal circuit and on a realised ReRAM chip, and
 * shown side by side with their quality (beside real digits at the same n) and, on the chip,
 * physical time and energy per sample.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadCircuit } from '../../circuit/spec.js';
import { compareSampleSets } from '../../experiments/compare-samples.js';
import { loadCheckpoint } from '../../learning/checkpoint.js';
import { comparePng, compareTable } from '../../report/compare-report.js';
import { lossFigure } from '../../report/loss-figure.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { packagePath } from '../../util/paths.js';
import { finiteJson } from '../../util/json.js';
import { withEngine } from '../engine.js';
import { checkOutPath, intIn, rows } from '../io.js';
import { log, out } from '../output.js';
import { Progress } from '../progress.js';
import { addTrainOptions, trainCommand, type TrainFlags } from '../training.js';

type DemoFlags = TrainFlags & { samples: number; chip: string };

const PAPER_CHECKPOINT = packagePath('reports', 'paper', 'checkpoint.json');

async function demoCommand(flags: DemoFlags, cmd: Command) {
  checkOutPath('--out', flags.out, 'dir');
  // Re-running the demo continues its own run instead of refusing to overwrite it.
  const flagsResume = { ...flags, resume: existsSync(join(resolve(flags.out), 'checkpoint.json')) };
  const tr = await trainCommand(flagsResume, cmd);
  const trained = loadCheckpoint(tr.checkpoint);
  const paper = loadCheckpoint(PAPER_CHECKPOINT);
  const chip = loadCircuit(flags.chip);
  const outDir = resolve(flags.out);
  lossFigure(tr.log, join(outDir, 'loss.png'), `GradEP training on ${trained.circuit.name} (batch ${trained.hyper.batch}, ${trained.hyper.relax} relaxation)`);
  log(`sampling ${flags.samples} digits three ways: this run (ideal), the paper checkpoint (ideal), the paper checkpoint on a ${chip.name} chip`);
  const bars = new Map<string, Progress>();
  const onStep = (label: string, k: number, total: number) => {
    if (!bars.has(label)) bars.set(label, new Progress(label, total, Boolean(flags.json)));
    bars.get(label)?.update(k);
  };
  const { sets, real } = await withEngine(cmd, (e) => compareSampleSets(e, trained, paper, chip, chip.name, { n: flags.samples, seed: flags.seed, chipSeed: flags.chipSeed ?? 0, onStep }));
  const png = join(outDir, 'samples.png');
  writeFileAtomic(png, comparePng(sets, real, `energy_gd samples, t1 = 1, n = ${flags.samples} each: ideal circuit vs ${chip.name} chip`));
  const samplesJson = join(outDir, 'samples.json');
  writeFileAtomic(samplesJson, finiteJson({ format: 'gradep-samples/1', mode: 'energy_gd', t1: 1.0, dt: 0.01, n: flags.samples, samples: rows(sets[0].samples, 64) }, samplesJson));
  const table = compareTable(sets, real);
  const compare = [...sets, real].map((s) => ({ name: s.name, source: s.source, metrics: s.metrics, time_per_sample_s: s.timePerSample, energy_per_sample_j: s.energyPerSample }));
  return { ...tr, loss_png: join(outDir, 'loss.png'), samples_png: png, samples_json: samplesJson, compare, table };
}

export function register(program: Command): void {
  addTrainOptions(
    program
      .command('demo')
      .description('the quick start (a few minutes on 2 cores): GradEP training on the ideal paper circuit, then digits from this run and from the committed paper checkpoint, on the ideal circuit and on a realised ReRAM chip, side by side with their quality, physical time and energy per sample'),
    { steps: 250, batch: 1797, out: 'runs/demo', relax: 'equilibrium' },
  )
    .option('--samples <n>', 'samples per set (quality is compared at this n)', intIn('--samples', 10, 10000), 100)
    .option('--chip <file>', 'chip preset the paper checkpoint is programmed onto', packagePath('circuits', 'reram.json'))
    .option('--json', 'print one JSON document')
    .action(async (flags: DemoFlags, cmd: Command) => {
      const doc = await demoCommand(flags, cmd);
      out(Boolean(flags.json), doc, () => `demo done: ${doc.step} steps, flow MSE ${doc.flow_mse?.toFixed(4)}\n\n${doc.table}\n\n  ${doc.checkpoint}\n  ${doc.loss_png}\n  ${doc.samples_png}`);
    });
}
