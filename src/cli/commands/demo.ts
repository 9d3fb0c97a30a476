/** `gradep demo`: the quick start (train, loss curve, sample grid) on circuits/paper.json. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { relaxSpecOf, dimsOfCircuit } from '../../build/build.js';
import { generate } from '../../flow/sample.js';
import { loadCheckpoint } from '../../learning/checkpoint.js';
import { sampleGridPng } from '../../report/figures.js';
import { lossFigure } from '../../report/loss-figure.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { finiteJson } from '../../util/json.js';
import { withEngine } from '../engine.js';
import { intIn, rows } from '../io.js';
import { out } from '../output.js';
import { Progress } from '../progress.js';
import { addTrainOptions, trainCommand, type TrainFlags } from '../training.js';

type DemoFlags = TrainFlags & { samples: number };

async function demoCommand(flags: DemoFlags, cmd: Command) {
  // Re-running the demo continues its own run instead of refusing to overwrite it.
  const flagsResume = { ...flags, resume: existsSync(join(resolve(flags.out), 'checkpoint.json')) };
  const tr = await trainCommand(flagsResume, cmd);
  const ck = loadCheckpoint(tr.checkpoint);
  const d = dimsOfCircuit(ck.circuit);
  const outDir = resolve(flags.out);
  lossFigure(tr.log, join(outDir, 'loss.png'), `GradEP training on ${ck.circuit.name} (batch ${ck.hyper.batch}, ${ck.hyper.relax} relaxation)`);
  const bar = new Progress('sample', 101, Boolean(flags.json));
  const r = await withEngine(cmd, (e) =>
    generate(e, ck.params, d, { mode: 'energy_gd', lambda: ck.hyper.lambda, alpha: ck.hyper.alpha, relax: relaxSpecOf(ck.circuit, 'equilibrium'), n: flags.samples, t1: 1.0, dt: 0.01, seed: flags.seed, onStep: (k) => bar.update(k) }),
  );
  finiteJson({ relax: r.relax }, join(outDir, 'samples.json')); // a diverged relaxation can leave finite-looking samples
  writeFileAtomic(join(outDir, 'samples.json'), finiteJson({ format: 'gradep-samples/1', mode: 'energy_gd', t1: 1.0, dt: 0.01, n: flags.samples, samples: rows(r.samples, d.nx) }, join(outDir, 'samples.json')));
  writeFileAtomic(join(outDir, 'samples.png'), sampleGridPng(r.samples, flags.samples, { title: `energy_gd samples, t1 = 1.0, after ${ck.step} steps` }));
  return { ...tr, loss_png: join(outDir, 'loss.png'), samples_png: join(outDir, 'samples.png'), samples_json: join(outDir, 'samples.json') };
}

export function register(program: Command): void {
  addTrainOptions(program.command('demo').description('the quick start: train on circuits/paper.json for about 4 minutes on 2 cores (200 full-batch steps), sample, and write the checkpoint, a loss curve and a sample grid'), {
    steps: 200,
    batch: 1797,
    out: 'runs/demo',
    relax: 'equilibrium',
  })
    .option('--samples <n>', 'samples in the grid', intIn('--samples', 1, 10000), 100)
    .option('--json', 'print one JSON document')
    .action(async (flags: DemoFlags, cmd: Command) => {
      const doc = await demoCommand(flags, cmd);
      out(Boolean(flags.json), doc, () => `demo done: ${doc.step} steps, flow MSE ${doc.flow_mse?.toFixed(4)}\n  ${doc.checkpoint}\n  ${doc.loss_png}\n  ${doc.samples_png}`);
    });
}
