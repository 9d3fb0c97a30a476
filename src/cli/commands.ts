/** The gradep commands: thin wrappers that parse options, call the runners and draw progress. */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { type CircuitSpec, CIRCUIT_SCHEMA, DEFAULT_CIRCUIT_FILE, loadCircuit } from '../circuit/spec.js';
import { schemaTable } from '../circuit/schema.js';
import { PAPER_DIMS, type Params, type Dims } from '../circuit/params.js';
import { generate, generateSnapshots, velocity, type VelocityMode } from '../flow/sample.js';
import { buildChip, buildSimulation, dimsOfCircuit, relaxSpecOf } from '../build/build.js';
import { loadCheckpoint } from '../learning/checkpoint.js';
import { compareGrads, exactFlowGradient } from '../learning/exact-grad.js';
import { gradepEstimate } from '../learning/gradep.js';
import { createEngine, LocalEngine, type RelaxEngine } from '../solvers/engine.js';
import { PAPER_RECIPE, runTraining, type StepRow } from '../experiments/train.js';
import { lineChartPng, sampleGridPng } from '../report/figures.js';
import { writeFileAtomic } from '../util/atomic.js';
import { evaluateSamples, type QualityMetrics, referenceRows } from '../metrics/quality.js';
import { evaluatorPath, saveEvaluator, trainEvaluator } from '../metrics/classifier.js';
import { GradepError } from '../util/errors.js';
import { fmtTime, Progress } from './progress.js';
import { intIn, posNum, readJson, rows, vectors } from './io.js';
import { initParams } from '../learning/init.js';
import { relaxOnChip } from '../experiments/relax-chip.js';
import { generateOnChip } from '../flow/sample-chip.js';
import { runBench } from '../experiments/bench.js';
import { writeSweepReport } from '../report/sweep-report.js';
import { collectSweep, loadSweep, parseShard, resultSummary, runSweep, sweepPoints } from '../experiments/sweep/index.js';
import { availableParallelism } from 'node:os';
import { createFastEngine } from '../solvers/fast-engine.js';
import { loadRelaxationQuality, quickSpec, runRelaxationQuality } from '../experiments/relaxation-quality.js';
import { relaxationQualityTable, writeRelaxationQualityReport } from '../report/relaxation-quality.js';

type Relax = 'paper' | 'equilibrium';
type TrainRelax = Relax | 'transient';

/** Ideal commands (velocity, grad) on a circuit whose own method is the transient: use equilibrium. */
function idealMethod(c: CircuitSpec): Relax {
  return c.relax.method === 'transient' ? 'equilibrium' : c.relax.method;
}

function out(json: boolean, doc: unknown, human: () => string): void {
  if (json) process.stdout.write(JSON.stringify(doc) + '\n');
  else process.stdout.write(human() + '\n');
}

function log(msg: string): void {
  process.stderr.write(msg + '\n');
}

function threadsOf(cmd: Command): number | undefined {
  const t = cmd.optsWithGlobals().threads as string | undefined;
  if (t === undefined) return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new GradepError(`--threads: got ${JSON.stringify(t)}, allowed an integer 1..64`);
  return n;
}

/**
 * The engine for a command: the WebAssembly float32 kernels (fast, the default) or the
 * float64 TypeScript workers (`--engine js`, the reference precision).
 */
function engineKind(cmd: Command): 'fast' | 'js' {
  const kind = (cmd.optsWithGlobals().engine as string | undefined) ?? 'fast';
  if (kind !== 'fast' && kind !== 'js') throw new GradepError(`--engine: got ${JSON.stringify(kind)}, allowed "fast" or "js"`);
  return kind;
}

function openEngine(kind: 'fast' | 'js', threads: number | undefined): Promise<RelaxEngine> {
  return kind === 'fast' ? createFastEngine(threads) : Promise.resolve(createEngine(threads));
}

async function withEngine<T>(cmd: Command, f: (e: RelaxEngine) => Promise<T>): Promise<T> {
  const engine = await openEngine(engineKind(cmd), threadsOf(cmd));
  try {
    return await f(engine);
  } finally {
    await engine.close();
  }
}

function paramsJson(p: Params, d: Dims): Record<string, number[] | number[][]> {
  return { W0: rows(p.W0, d.nx), b0: Array.from(p.b0), W1: rows(p.W1, d.n1), b1: Array.from(p.b1), bx: Array.from(p.bx) };
}

const relaxOption = () => new Option('--relax <method>', 'relaxation: paper (T steps of epsilon, reference) or equilibrium (converge to tol)').choices(['paper', 'equilibrium']);
const modeOption = () => new Option('--mode <mode>', 'velocity mode').choices(['spring', 'energy_gd']).default('energy_gd');

interface TrainFlags {
  circuit: string;
  steps: number;
  batch: number;
  seed: number;
  relax?: TrainRelax;
  chipSeed?: number;
  pairing: 'ot' | 'independent';
  out: string;
  resume?: boolean;
  checkpointEvery: number;
  lr?: number;
  json?: boolean;
}

async function trainCommand(flags: TrainFlags, cmd: Command): Promise<{ step: number; flow_mse: number | null; seconds: number; checkpoint: string; log: string }> {
  const circuitFile = resolve(flags.circuit);
  const circuit = loadCircuit(circuitFile);
  const outDir = resolve(flags.out);
  const relax = flags.relax ?? circuit.relax.method;
  let bar: Progress | null = null;
  let seconds = 0;
  const ck = await withEngine(cmd, (engine) =>
    runTraining(
      { circuit, circuitFile, steps: flags.steps, batch: flags.batch, seed: flags.seed, chipSeed: flags.chipSeed, pairing: flags.pairing, relax, outDir, resume: Boolean(flags.resume), checkpointEvery: flags.checkpointEvery, lr: flags.lr },
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

function addTrainOptions(c: Command, defaults: { steps: number; batch: number; out: string; relax?: Relax }): Command {
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
    .option('--checkpoint-every <n>', 'write the checkpoint every n steps', intIn('--checkpoint-every', 1, 1_000_000), 25)
    .option('--out <dir>', 'output directory', defaults.out);
}

function readLog(path: string): StepRow[] {
  const text = readJsonLines(path);
  return text as StepRow[];
}

function readJsonLines(path: string): unknown[] {
  // Local import keeps fs out of the hot path of other commands.
  const fs = require_fs();
  return fs
    .readFileSync(path, 'utf8')
    .split('\n')
    .filter((l: string) => l.trim())
    .map((l: string) => JSON.parse(l));
}

import * as nodeFs from 'node:fs';
function require_fs(): typeof nodeFs {
  return nodeFs;
}

function lossFigure(logPath: string, pngPath: string, title: string): void {
  const rows = readLog(logPath);
  const png = lineChartPng({
    title,
    xLabel: 'training step',
    yLabel: 'flow-matching MSE (per pixel)',
    series: [{ label: 'free-phase flow-matching MSE', x: rows.map((r) => r.step), y: rows.map((r) => r.flow_mse) }],
    logY: true,
  });
  writeFileAtomic(pngPath, png);
}

function relaxCommand(flags: { circuit: string; checkpoint?: string; points: string; phase: 'free' | 'plus' | 'minus'; time?: number; seed: number; trace?: string | boolean }) {
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

function qualityTable(rowsIn: [string, QualityMetrics][]): string {
  const keys = ['fd', 'coverage', 'recognisability', 'class_balance', 'precision', 'recall', 'copy_rate', 'sharpness_w1'] as const;
  const head = ['set', 'n', ...keys];
  const body = rowsIn.map(([name, m]) => [name, String(m.n), ...keys.map((k) => (Number.isInteger(m[k]) ? String(m[k]) : m[k].toFixed(4)))]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n');
}

export function registerCommands(program: Command): void {
  addTrainOptions(program.command('train').description('train the network with GradEP flow matching; writes DIR/checkpoint.json and DIR/log.jsonl'), {
    steps: PAPER_RECIPE.steps,
    batch: PAPER_RECIPE.batch,
    out: 'runs/train',
  })
    .option('--resume', 'continue the checkpoint in --out exactly where it stopped')
    .option('--json', 'print one JSON document')
    .action(async (flags: TrainFlags, cmd: Command) => {
      const r = await trainCommand(flags, cmd);
      out(Boolean(flags.json), r, () => `trained to step ${r.step}, flow MSE ${r.flow_mse?.toFixed(4)}, ${fmtTime(r.seconds)}; checkpoint ${r.checkpoint}`);
    });

  program
    .command('velocity')
    .description('velocity field v(x) of a trained network at given points')
    .requiredOption('--checkpoint <file>', 'checkpoint file')
    .requiredOption('--points <file>', 'JSON array of 64-vectors')
    .addOption(modeOption())
    .addOption(relaxOption())
    .option('--ema', 'use the EMA weights')
    .option('--json', 'print one JSON document')
    .action(async (flags: { checkpoint: string; points: string; mode: VelocityMode; relax?: Relax; ema?: boolean; json?: boolean }, cmd: Command) => {
      const ck = loadCheckpoint(flags.checkpoint);
      const d = dimsOfCircuit(ck.circuit);
      const pts = vectors(readJson(flags.points, 'points'), d.nx, flags.points, 'points');
      const v = new Float64Array(pts.data.length);
      const stats = await withEngine(cmd, (e) =>
        velocity(e, flags.ema ? ck.ema_params : ck.params, d, pts.data, { mode: flags.mode, lambda: ck.hyper.lambda, alpha: ck.hyper.alpha, relax: relaxSpecOf(ck.circuit, flags.relax ?? idealMethod(ck.circuit)) }, v),
      );
      out(Boolean(flags.json), { velocities: rows(v, d.nx), relax: stats }, () => JSON.stringify({ velocities: rows(v, d.nx) }));
    });

  program
    .command('grad')
    .description('batch-mean GradEP gradient estimate on given (x_t, u_t) pairs; --exact adds the implicit-differentiation gradient and their cosine')
    .requiredOption('--checkpoint <file>', 'checkpoint file')
    .requiredOption('--pairs <file>', 'JSON { "xt": [[64 numbers]...], "ut": [[...]...] }')
    .option('--beta <b>', 'nudge strength (default: the circuit\'s)', posNum('--beta', 1))
    .addOption(relaxOption())
    .option('--exact', 'also compute the exact gradient (implicit differentiation) and the cosine')
    .option('--json', 'print one JSON document')
    .action(async (flags: { checkpoint: string; pairs: string; beta?: number; relax?: Relax; exact?: boolean; json?: boolean }, cmd: Command) => {
      const ck = loadCheckpoint(flags.checkpoint);
      const d = dimsOfCircuit(ck.circuit);
      const raw = readJson(flags.pairs, 'pairs') as Record<string, unknown>;
      if (typeof raw !== 'object' || raw === null) throw new GradepError(`${flags.pairs}: expected an object { "xt": [...], "ut": [...] }`);
      const xt = vectors(raw.xt, d.nx, flags.pairs, 'xt');
      const ut = vectors(raw.ut, d.nx, flags.pairs, 'ut');
      if (xt.n !== ut.n) throw new GradepError(`${flags.pairs}: ut: got ${ut.n} rows, allowed exactly as many as xt (${xt.n})`);
      const relax = relaxSpecOf(ck.circuit, flags.relax ?? idealMethod(ck.circuit));
      if (flags.exact) relax.equilibrium = { ...relax.equilibrium, tol: Math.min(relax.equilibrium.tol, 1e-10) };
      const cfg = { lambda: ck.hyper.lambda, alpha: ck.hyper.alpha, beta: flags.beta ?? ck.hyper.beta, relax };
      const r = await withEngine(cmd, (e) => gradepEstimate(e, ck.params, d, xt.data, ut.data, cfg));
      const doc: Record<string, unknown> = { grads: paramsJson(r.grads, d), flow_mse: r.flowMse, beta: cfg.beta, relax: { free: r.free, plus: r.plus, minus: r.minus } };
      if (flags.exact) {
        const ex = exactFlowGradient(ck.params, d, r.sFree, xt.data, ut.data, ck.hyper.alpha, ck.hyper.lambda);
        const cmp = compareGrads(r.grads, ex);
        doc.exact = paramsJson(ex, d);
        doc.cosine = cmp.cosine;
        doc.rel_error = cmp.relError;
      }
      out(Boolean(flags.json), doc, () => (flags.exact ? `cosine ${doc.cosine}, relative error ${doc.rel_error}` : JSON.stringify(doc)));
    });

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
    .action(async (flags: { checkpoint: string; n: number; t1: number; dt: number; mode: VelocityMode; relax?: Relax; seed: number; ema?: boolean; circuit?: string; chipSeed: number; out: string; png?: string | boolean; json?: boolean }, cmd: Command) => {
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
      writeFileAtomic(flags.out, JSON.stringify(doc));
      let png: string | null = null;
      if (flags.png) {
        png = typeof flags.png === 'string' ? flags.png : flags.out.replace(/\.json$/i, '') + '.png';
        writeFileAtomic(png, sampleGridPng(r.samples, flags.n, { title: `${flags.mode}, t1 = ${flags.t1}, step ${ck.step}` }));
      }
      const summary = { out: flags.out, png, n: flags.n, evaluations: r.evaluations, seconds, physical, relax: r.relax ?? null };
      out(Boolean(flags.json), summary, () => `wrote ${flags.n} samples to ${flags.out}${png ? ` and ${png}` : ''} in ${fmtTime(seconds)}`);
    });

  addTrainOptions(program.command('demo').description('the quick start: train on circuits/paper.json for about 4 minutes on 2 cores (200 full-batch steps), sample, and write the checkpoint, a loss curve and a sample grid'), {
    steps: 200,
    batch: 1797,
    out: 'runs/demo',
    relax: 'equilibrium',
  })
    .option('--samples <n>', 'samples in the grid', intIn('--samples', 1, 10000), 100)
    .option('--json', 'print one JSON document')
    .action(async (flags: TrainFlags & { samples: number }, cmd: Command) => {
      // Re-running the demo continues its own run instead of refusing to overwrite it.
      const flagsResume = { ...flags, resume: nodeFs.existsSync(join(resolve(flags.out), 'checkpoint.json')) };
      const tr = await trainCommand(flagsResume, cmd);
      const ck = loadCheckpoint(tr.checkpoint);
      const d = dimsOfCircuit(ck.circuit);
      const outDir = resolve(flags.out);
      lossFigure(tr.log, join(outDir, 'loss.png'), `GradEP training on ${ck.circuit.name} (batch ${ck.hyper.batch}, ${ck.hyper.relax} relaxation)`);
      const bar = new Progress('sample', 101, Boolean(flags.json));
      const r = await withEngine(cmd, (e) =>
        generate(e, ck.params, d, { mode: 'energy_gd', lambda: ck.hyper.lambda, alpha: ck.hyper.alpha, relax: relaxSpecOf(ck.circuit, 'equilibrium'), n: flags.samples, t1: 1.0, dt: 0.01, seed: flags.seed, onStep: (k) => bar.update(k) }),
      );
      writeFileAtomic(join(outDir, 'samples.json'), JSON.stringify({ format: 'gradep-samples/1', mode: 'energy_gd', t1: 1.0, dt: 0.01, n: flags.samples, samples: rows(r.samples, d.nx) }));
      writeFileAtomic(join(outDir, 'samples.png'), sampleGridPng(r.samples, flags.samples, { title: `energy_gd samples, t1 = 1.0, after ${ck.step} steps` }));
      const doc = { ...tr, loss_png: join(outDir, 'loss.png'), samples_png: join(outDir, 'samples.png'), samples_json: join(outDir, 'samples.json') };
      out(Boolean(flags.json), doc, () => `demo done: ${doc.step} steps, flow MSE ${tr.flow_mse?.toFixed(4)}\n  ${doc.checkpoint}\n  ${doc.loss_png}\n  ${doc.samples_png}`);
    });

  program
    .command('report-run')
    .description('report a training run directory: loss curve, sample grids at t1 = 1.0 and 1.2 in both velocity modes, their quality metrics, and a README with the wall time')
    .argument('<dir>', 'run directory (checkpoint.json and log.jsonl)')
    .option('--n <n>', 'samples per grid and metric', intIn('--n', 10, 100000), 500)
    .option('--seed <s>', 'sampling seed', intIn('--seed', 0, 2 ** 31 - 1), 0)
    .option('--json', 'print one JSON document')
    .action(async (dir: string, flags: { n: number; seed: number; json?: boolean }, cmd: Command) => {
      const ck = loadCheckpoint(join(dir, 'checkpoint.json'));
      const d = dimsOfCircuit(ck.circuit);
      const logRows = readLog(join(dir, 'log.jsonl'));
      lossFigure(join(dir, 'log.jsonl'), join(dir, 'loss.png'), `GradEP training on ${ck.circuit.name} (batch ${ck.hyper.batch}, ${ck.hyper.relax} relaxation, ${ck.step} steps)`);
      // Sample with the relaxation the run trained with (an in-situ run's ideal twin: equilibrium).
      const relax = relaxSpecOf(ck.circuit, ck.hyper.relax === 'transient' ? 'equilibrium' : ck.hyper.relax);
      const results: { mode: string; t1: number; metrics: QualityMetrics; png: string }[] = [];
      await withEngine(cmd, async (e) => {
        for (const mode of ['energy_gd', 'spring'] as const) {
          const snaps = await generateSnapshots(e, ck.params, d, { mode, lambda: ck.hyper.lambda, alpha: ck.hyper.alpha, relax, n: flags.n, dt: 0.01, seed: flags.seed }, [1.0, 1.2]);
          [1.0, 1.2].forEach((t1, i) => {
            const png = join(dir, `samples-${mode}-t1_${t1.toFixed(1)}.png`);
            writeFileAtomic(png, sampleGridPng(snaps[i].samples, Math.min(100, flags.n), { cols: 10, title: `${mode}, t1 = ${t1.toFixed(1)}, step ${ck.step}` }));
            results.push({ mode, t1, metrics: evaluateSamples(snaps[i].samples, flags.n), png });
          });
          log(`report-run: ${mode} done`);
        }
      });
      const wall = logRows.reduce((a, r) => a + r.seconds, 0);
      const last = logRows.slice(-50);
      const lastMse = last.reduce((a, r) => a + r.flow_mse, 0) / Math.max(1, last.length);
      const table = qualityTable([...results.map((r) => [`${r.mode}, t1 = ${r.t1.toFixed(1)}`, r.metrics] as [string, QualityMetrics]), ...(Object.entries(referenceRows(0)) as [string, QualityMetrics][]).map(([k, v]) => [`(${k})`, v] as [string, QualityMetrics])]);
      writeFileAtomic(
        join(dir, 'README.md'),
        `# Training run: ${ck.circuit.name}, ${ck.step} steps\n\nCircuit \`${ck.circuit_file}\`, batch ${ck.hyper.batch}, ${ck.hyper.pairing} pairing, ${ck.hyper.relax} relaxation (tol ${ck.hyper.tol}), seed ${ck.seeds.run}.\n\n- training wall time: ${fmtTime(wall)} (sum of the per-step times in log.jsonl)\n- flow-matching MSE: ${logRows[0]?.flow_mse.toFixed(4)} at step 1, ${lastMse.toFixed(4)} (mean of the last ${last.length} steps)\n- loss curve: loss.png; sample grids: samples-<mode>-t1_<t1>.png (first 100 of ${flags.n} samples, seed ${flags.seed})\n\nSample quality (${flags.n} samples each; reference rows: real held-out digits, the same blurred, clipped noise):\n\n\`\`\`\n${table}\n\`\`\`\n\nProduced by \`npx gradep report-run ${dir}\`.\n`,
      );
      out(Boolean(flags.json), { dir, wall_seconds: wall, flow_mse_last: lastMse, results: results.map((r) => ({ mode: r.mode, t1: r.t1, png: r.png, metrics: r.metrics })) }, () => `${table}\n\nwrote ${join(dir, 'README.md')}`);
    });

  program
    .command('plot-log')
    .description('draw the loss curve of a training log as a PNG')
    .requiredOption('--log <file>', 'log.jsonl of a training run')
    .requiredOption('--out <file>', 'PNG file')
    .option('--title <t>', 'figure title', 'GradEP training')
    .action((flags: { log: string; out: string; title: string }) => {
      readJson; // (kept for symmetry of imports)
      lossFigure(flags.log, flags.out, flags.title);
      log(`wrote ${flags.out}`);
    });

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
    .action((flags: { circuit: string; checkpoint?: string; points: string; phase: 'free' | 'plus' | 'minus'; time?: number; seed: number; trace?: string | boolean; json?: boolean }) => {
      const doc = relaxCommand(flags);
      out(Boolean(flags.json), doc, () => `relaxed ${doc.n} point(s) on chip ${flags.seed} of ${doc.circuit} for ${doc.time_s} s: settle time ${doc.settle_time_s ?? 'n/a (fixed-step solver)'} s, energy ${doc.energy_j_per_sample.toExponential(3)} J per sample`);
    });

  program
    .command('experiment')
    .description('run a declarative experiment file (kind "relaxation-vs-quality"): results, figures and sample grids in --out')
    .argument('<file>', 'experiment file, e.g. experiments/relaxation-vs-quality.json')
    .option('--out <dir>', 'output directory (default: reports/<name>)')
    .option('--quick', 'a reduced budget that finishes in minutes')
    .option('--json', 'print one JSON document')
    .action(async (file: string, flags: { out?: string; quick?: boolean; json?: boolean }, cmd: Command) => {
      let spec = loadRelaxationQuality(file);
      if (flags.quick) spec = quickSpec(spec);
      const outDir = resolve(flags.out ?? join('reports', spec.name + (flags.quick ? '-quick' : '')));
      const bar = new Progress('experiment', 1, Boolean(flags.json));
      const t0 = performance.now();
      const res = await withEngine(cmd, (e) =>
        runRelaxationQuality(spec, file, outDir, e, (ev) => {
          bar.setTotal(ev.total);
          bar.update(ev.done, `${ev.row.key} FD ${ev.row.metrics.fd.toFixed(2)}${ev.cached ? ' (cached)' : ''}`);
        }),
      );
      const figures = writeRelaxationQualityReport(res, outDir, spec.name);
      const table = relaxationQualityTable(res);
      const seconds = (performance.now() - t0) / 1000;
      writeFileAtomic(join(outDir, 'README.md'), `# ${spec.name}\n\nProduced by \`npx gradep experiment ${file}${flags.quick ? ' --quick' : ''}${flags.out ? ` --out ${flags.out}` : ''}\` in ${fmtTime(seconds)} (checkpoint ${spec.checkpoint}, ${spec.samples} samples per point). Relaxation time is per generated sample in units of tau = C/G_L; a converged evaluation counts as the reference's T epsilon tau.\n\n${table}\n`);
      out(Boolean(flags.json), { out: outDir, rows: res.rows.length, figures, seconds }, () => `${table}\n\nwrote ${outDir} (${figures.length} figures) in ${fmtTime(seconds)}`);
    });

  program
    .command('sweep')
    .description('run a hardware sweep (experiments/sweep-*.json): every point (grid x action x chip seed) trained in situ, transferred, fine-tuned or its gradient measured; sampled on the chip and scored; results in DIR/results.jsonl, resumable; `gradep sweep collect DIR... --out DIR` merges shards')
    .argument('<file>', 'sweep file, or "collect" followed by shard directories')
    .argument('[dirs...]', 'with "collect": the shard directories')
    .option('--out <dir>', 'output directory (default: runs/sweeps/<name>, with --quick runs/sweeps/<name>-quick)')
    .option('--quick', 'apply the file\'s "quick" object (reduced budgets and vary entries); the sweep is named <name>-quick')
    .option('--jobs <n>', 'points run at once (each with threads = cores / jobs)', intIn('--jobs', 1, 64), 1)
    .option('--shard <i/N>', 'run only the points with index % N == i')
    .option('--list', 'print the points (index, key, overrides, action, chip seed) and exit')
    .option('--json', 'print one JSON document')
    .action(async (file: string, dirs: string[], flags: { out?: string; quick?: boolean; jobs: number; shard?: string; list?: boolean; json?: boolean }, cmd: Command) => {
      if (file === 'collect') {
        if (!flags.out) throw new GradepError('--out: missing, allowed a directory for the merged results');
        if (dirs.length === 0) throw new GradepError('collect: no shard directories given');
        const rows = collectSweep(dirs, resolve(flags.out));
        out(Boolean(flags.json), { out: flags.out, points: rows.length }, () => `collected ${rows.length} points into ${join(flags.out as string, 'results.jsonl')}`);
        return;
      }
      const spec = loadSweep(file, { quick: Boolean(flags.quick) });
      spec.engine = engineKind(cmd);
      if (flags.list) {
        const pts = sweepPoints(spec, file).map((p) => ({ index: p.index, key: p.key, overrides: p.overrides, action: p.action, chip_seed: p.chip_seed }));
        out(Boolean(flags.json), { points: pts }, () => pts.map((p) => `${p.index}\t${p.key}\t${p.action}\tchip ${p.chip_seed}\t${JSON.stringify(p.overrides)}`).join('\n'));
        return;
      }
      const shard = parseShard(flags.shard);
      const outDir = resolve(flags.out ?? join('runs', 'sweeps', spec.name));
      const threads = Math.max(1, Math.floor((threadsOf(cmd) ?? availableParallelism()) / flags.jobs));
      const bar = new Progress('sweep', 1, Boolean(flags.json));
      const t0 = performance.now();
      const rows = await runSweep(spec, file, outDir, shard, flags.jobs, () => openEngine(spec.engine ?? 'fast', threads), (e) => {
        bar.setTotal(e.total);
        bar.update(e.done, `#${e.result.index} ${e.result.action} ${JSON.stringify(e.result.overrides)} chip ${e.result.chip_seed}: ${resultSummary(e.result)}${e.cached ? ' (cached)' : ''}`);
      });
      out(Boolean(flags.json), { out: outDir, shard, points: rows.length, seconds: (performance.now() - t0) / 1000 }, () => `${rows.length} point(s) in ${join(outDir, 'results.jsonl')}`);
    });

  program
    .command('report')
    .description('turn a sweep directory into a report: PNG figures with error bars over chips, sample grids per point, README table, self-contained interactive index.html')
    .argument('<dir>', 'sweep output directory (results.jsonl, sweep.json)')
    .option('--out <dir>', 'report directory (default: reports/<sweep name>)')
    .option('--json', 'print one JSON document')
    .action((dir: string, flags: { out?: string; json?: boolean }) => {
      const name = (JSON.parse(nodeFs.existsSync(join(dir, 'sweep.json')) ? nodeFs.readFileSync(join(dir, 'sweep.json'), 'utf8') : '{"spec":{"name":"sweep"}}') as { spec: { name: string } }).spec.name;
      const outDir = resolve(flags.out ?? join('reports', name));
      const r = writeSweepReport(dir, outDir);
      out(Boolean(flags.json), { out: outDir, files: r.files }, () => `${r.table}\n\nwrote ${r.files.length} files to ${outDir}`);
    });

  program
    .command('bench')
    .description('measure speed and memory: full-batch GradEP step (equilibrium and paper-exact), kernel GFLOP/s, sampling, SDE node-steps/s, peak RSS')
    .option('--quick', 'batch 256, one repetition (a smoke test, not a number to report)')
    .option('--json', 'print one JSON document')
    .action(async (flags: { quick?: boolean; json?: boolean }, cmd: Command) => {
      await withEngine(cmd, async (engine) => {
        const r = await runBench({ quick: Boolean(flags.quick), engine, engineName: engine.constructor.name, onProgress: (w) => log(`bench: ${w}`) });
        out(Boolean(flags.json), r, () => JSON.stringify(r, null, 2));
      });
    });

  program
    .command('eval')
    .description('sample-quality metrics of a sample set (FD, coverage, recognisability, class balance, precision/recall, copy rate, sharpness), with reference rows')
    .requiredOption('--samples <file>', 'samples JSON (the output of `gradep sample`, or an array of 64-vectors in [-1, 1])')
    .addOption(new Option('--reference <set>', 'reference set the samples are compared with').choices(['tes']).default('tes'))
    .option('--no-rows', 'skip the reference rows (real held-out digits, blurred, noise)')
    .option('--json', 'print one JSON document')
    .action((flags: { samples: string; reference: string; rows: boolean; json?: boolean }) => {
      const raw = readJson(flags.samples, 'samples');
      const arr = Array.isArray(raw) ? raw : (raw as { samples?: unknown }).samples;
      const field = Array.isArray(raw) ? 'samples' : 'samples (field "samples")';
      const s = vectors(arr, 64, flags.samples, field);
      if (s.n < 2) throw new GradepError(`${flags.samples}: samples: got 1 sample, allowed at least 2`);
      const metrics = evaluateSamples(s.data, s.n);
      const refRows = flags.rows ? referenceRows(0) : null;
      const doc = { samples: flags.samples, n: s.n, reference: flags.reference, metrics, reference_rows: refRows };
      out(Boolean(flags.json), doc, () => qualityTable([[flags.samples, metrics], ...(refRows ? (Object.entries(refRows) as [string, QualityMetrics][]).map(([k, v]) => [`(${k})`, v] as [string, QualityMetrics]) : [])]));
    });

  const ev = program.command('evaluator').description('the sample-quality evaluator (a classifier trained only on optdigits.tra)');
  ev.command('train')
    .description('retrain the evaluator deterministically and write data/evaluator/evaluator.json')
    .option('--seed <s>', 'training seed', intIn('--seed', 0, 2 ** 31 - 1), 0)
    .option('--out <file>', 'output file', evaluatorPath())
    .option('--json', 'print one JSON document')
    .action((flags: { seed: number; out: string; json?: boolean }) => {
      const w = trainEvaluator(flags.seed);
      saveEvaluator(flags.out, w);
      out(Boolean(flags.json), { out: flags.out, accuracy_tes: w.accuracy_tes, accuracy_tra: w.accuracy_tra }, () => `wrote ${flags.out}: accuracy ${(100 * w.accuracy_tes).toFixed(2)}% on optdigits.tes, ${(100 * w.accuracy_tra).toFixed(2)}% on optdigits.tra`);
    });

  program
    .command('circuit')
    .description('validate a circuit file and print it with defaults filled in; --schema prints every field with unit, default and range')
    .argument('[file]', 'circuit file', DEFAULT_CIRCUIT_FILE)
    .option('--schema', 'print the schema as a Markdown table')
    .option('--json', 'print one JSON document')
    .action((file: string, flags: { schema?: boolean; json?: boolean }) => {
      if (flags.schema) {
        process.stdout.write(['| field | unit | default | allowed | meaning |', '|---|---|---|---|---|', ...schemaTable(CIRCUIT_SCHEMA)].join('\n') + '\n');
        return;
      }
      const c: CircuitSpec = loadCircuit(file);
      out(Boolean(flags.json), c, () => `${file}: valid circuit "${c.name}" (${c.layers.visible}-${c.layers.hidden1}-${c.layers.hidden2})\n${JSON.stringify(c, null, 2)}`);
    });
  void PAPER_DIMS;
  void LocalEngine;
  void writeFileSync;
}
