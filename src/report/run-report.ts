/**
 * The report of one training run directory: loss curve, sample grids at t1 = 1.0 and 1.2 in
 * both velocity modes, their quality metrics, and a README with the training wall time.
 */
import { join } from 'node:path';
import type { Dims } from '../circuit/params.js';
import { relaxSpecOf, dimsOfCircuit } from '../build/build.js';
import type { StepRow } from '../experiments/train.js';
import { generateSnapshots } from '../flow/sample.js';
import { type Checkpoint, loadCheckpoint } from '../learning/checkpoint.js';
import { evaluateSamples, type QualityMetrics, referenceRows } from '../metrics/quality.js';
import type { RelaxEngine } from '../solvers/engine.js';
import { writeFileAtomic } from '../util/atomic.js';
import { fmtTime } from '../util/time.js';
import { sampleGridPng } from './figures.js';
import { lossFigure, readLog } from './loss-figure.js';
import { classFrequencyTable, qualityTable, referenceTableRows } from './quality-table.js';
import { finiteJson } from '../util/json.js';

export interface RunReportOptions {
  /** Samples per grid and metric. */
  n: number;
  seed: number;
}

export interface ModeResult {
  mode: string;
  t1: number;
  metrics: QualityMetrics;
  png: string;
}

export interface RunReport {
  wall: number;
  lastMse: number;
  results: ModeResult[];
  table: string;
  readme: string;
}

/** Lends an engine to `f` and closes it afterwards (the CLI opens it from --engine/--threads). */
export type EngineRunner = <T>(f: (e: RelaxEngine) => Promise<T>) => Promise<T>;

const T1S = [1.0, 1.2];

export async function reportRun(dir: string, o: RunReportOptions, withEngine: EngineRunner, log: (msg: string) => void): Promise<RunReport> {
  const ck = loadCheckpoint(join(dir, 'checkpoint.json'));
  const d = dimsOfCircuit(ck.circuit);
  const logRows = readLog(join(dir, 'log.jsonl'), log);
  lossFigure(join(dir, 'log.jsonl'), join(dir, 'loss.png'), `GradEP training on ${ck.circuit.name} (batch ${ck.hyper.batch}, ${ck.hyper.relax} relaxation, ${ck.step} steps)`);
  const results = await withEngine((e) => sampleModes(e, dir, ck, d, o, log));
  const wall = logRows.reduce((a, r) => a + r.seconds, 0);
  const last = logRows.slice(-50);
  const lastMse = last.reduce((a, r) => a + r.flow_mse, 0) / Math.max(1, last.length);
  const refs = referenceRows(0, {}, o.n);
  const rows = [...results.map((r): [string, QualityMetrics] => [`${r.mode}, t1 = ${r.t1.toFixed(1)}`, r.metrics]), ...referenceTableRows(refs)];
  const table = qualityTable(rows);
  const freq = classFrequencyTable(rows) ?? '';
  // The same numbers for programs (comparing runs): quality.json beside the README.
  const qFile = join(dir, 'quality.json');
  writeFileAtomic(qFile, finiteJson({ format: 'gradep-run-quality/1', step: ck.step, n: o.n, seed: o.seed, wall_s: wall, flow_mse_last50: lastMse, sets: results.map(({ mode, t1, metrics }) => ({ mode, t1, metrics })), reference: refs }, qFile));
  const readme = join(dir, 'README.md');
  writeFileAtomic(readme, runReadme(dir, ck, o, { wall, logRows, last, lastMse, table, freq }));
  return { wall, lastMse, results, table, readme };
}

/** Grids and metrics per velocity mode, sampled with the relaxation the run trained with. */
async function sampleModes(e: RelaxEngine, dir: string, ck: Checkpoint, d: Dims, o: RunReportOptions, log: (msg: string) => void): Promise<ModeResult[]> {
  // An in-situ run's ideal twin samples at equilibrium.
  const relax = relaxSpecOf(ck.circuit, ck.hyper.relax === 'transient' ? 'equilibrium' : ck.hyper.relax);
  const results: ModeResult[] = [];
  for (const mode of ['energy_gd', 'spring'] as const) {
    const snaps = await generateSnapshots(e, ck.params, d, { mode, lambda: ck.hyper.lambda, alpha: ck.hyper.alpha, relax, n: o.n, dt: 0.01, seed: o.seed }, T1S);
    T1S.forEach((t1, i) => {
      const png = join(dir, `samples-${mode}-t1_${t1.toFixed(1)}.png`);
      writeFileAtomic(png, sampleGridPng(snaps[i].samples, Math.min(100, o.n), { cols: 10, title: `${mode}, t1 = ${t1.toFixed(1)}, step ${ck.step}` }));
      results.push({ mode, t1, metrics: evaluateSamples(snaps[i].samples, o.n), png });
    });
    log(`report-run: ${mode} done`);
  }
  return results;
}

function runReadme(dir: string, ck: Checkpoint, o: RunReportOptions, s: { wall: number; logRows: StepRow[]; last: StepRow[]; lastMse: number; table: string; freq: string }): string {
  return `# Training run: ${ck.circuit.name}, ${ck.step} steps

Circuit \`${ck.circuit_file}\`, batch ${ck.hyper.batch}, ${ck.hyper.pairing} pairing, ${ck.hyper.relax} relaxation (tol ${ck.hyper.tol}), seed ${ck.seeds.run}.

- training wall time: ${fmtTime(s.wall)} (sum of the per-step times in log.jsonl)
- flow-matching MSE: ${s.logRows[0]?.flow_mse.toFixed(4)} at step 1, ${s.lastMse.toFixed(4)} (mean of the last ${s.last.length} steps)
- loss curve: loss.png; sample grids: samples-<mode>-t1_<t1>.png (first 100 of ${o.n} samples, seed ${o.seed})

Sample quality (${o.n} samples each; reference rows: real held-out digits, the same blurred, clipped noise):

\`\`\`
${s.table}
\`\`\`
${s.freq ? `
Per-class frequencies (% of the samples the evaluator assigns to each digit; the data hold 10% of each):

\`\`\`
${s.freq}
\`\`\`
` : ''}
Produced by \`npx gradep report-run ${dir}${o.n === 500 ? '' : ` --n ${o.n}`}\` (metrics also in quality.json).
`;
}
