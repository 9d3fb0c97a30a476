/** `gradep grad`: the batch-mean GradEP gradient on given pairs, optionally against the exact gradient. */
import type { Command } from 'commander';
import type { Dims, Params } from '../../circuit/params.js';
import { relaxSpecOf, dimsOfCircuit } from '../../build/build.js';
import { betaBound, type CircuitSpec, validateCircuit } from '../../circuit/spec.js';
import { loadCheckpoint } from '../../learning/checkpoint.js';
import { compareGrads, exactFlowGradient } from '../../learning/exact-grad.js';
import { gradepEstimate } from '../../learning/gradep.js';
import { GradepError } from '../../util/errors.js';
import { withEngine } from '../engine.js';
import { posNum, readJson, rows, vectors } from '../io.js';
import { idealMethod, type Relax, relaxOption } from '../options.js';
import { out } from '../output.js';

interface GradFlags {
  checkpoint: string;
  pairs: string;
  beta?: number;
  relax?: Relax;
  exact?: boolean;
  json?: boolean;
}

function paramsJson(p: Params, d: Dims): Record<string, number[] | number[][]> {
  return { W0: rows(p.W0, d.nx), b0: Array.from(p.b0), W1: rows(p.W1, d.n1), b1: Array.from(p.b1), bx: Array.from(p.bx) };
}

/** `--beta` is a circuit override: the overridden circuit must pass the circuit validator (a usage error otherwise). */
function checkBeta(c: CircuitSpec, method: Relax, beta: number, cmd: Command): void {
  const over = { ...c, relax: { ...c.relax, method }, nudge: { ...c.nudge, beta } };
  try {
    validateCircuit(over, '--beta');
  } catch (e) {
    if (!(e instanceof GradepError)) throw e;
    const why = e.message.replace(/^--beta: /, '');
    cmd.error(`error: --beta: got ${beta}, allowed 0 < beta < ${betaBound(over).toPrecision(3)} for this circuit and relaxation (${method}); ${why}`, { exitCode: 2, code: 'gradep.invalidArgument' });
  }
}

async function gradCommand(flags: GradFlags, cmd: Command): Promise<Record<string, unknown>> {
  const ck = loadCheckpoint(flags.checkpoint);
  const d = dimsOfCircuit(ck.circuit);
  const raw = readJson(flags.pairs, 'pairs') as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) throw new GradepError(`${flags.pairs}: expected an object { "xt": [...], "ut": [...] }`);
  const xt = vectors(raw.xt, d.nx, flags.pairs, 'xt');
  const ut = vectors(raw.ut, d.nx, flags.pairs, 'ut');
  if (xt.n !== ut.n) throw new GradepError(`${flags.pairs}: ut: got ${ut.n} rows, allowed exactly as many as xt (${xt.n})`);
  const method = flags.relax ?? idealMethod(ck.circuit);
  if (flags.beta !== undefined) checkBeta(ck.circuit, method, flags.beta, cmd);
  const relax = relaxSpecOf(ck.circuit, method);
  // Compared with the exact gradient, the free state must be converged well below the gradient error.
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
  return doc;
}

export function register(program: Command): void {
  program
    .command('grad')
    .description('batch-mean GradEP gradient estimate on given (x_t, u_t) pairs; --exact adds the implicit-differentiation gradient and their cosine')
    .requiredOption('--checkpoint <file>', 'checkpoint file')
    .requiredOption('--pairs <file>', 'JSON { "xt": [[64 numbers]...], "ut": [[...]...] }')
    .option('--beta <b>', 'nudge strength (default: the circuit\'s)', posNum('--beta', 1))
    .addOption(relaxOption())
    .option('--exact', 'also compute the exact gradient (implicit differentiation) and the cosine')
    .option('--json', 'print one JSON document')
    .action(async (flags: GradFlags, cmd: Command) => {
      const doc = await gradCommand(flags, cmd);
      out(Boolean(flags.json), doc, () => (flags.exact ? `cosine ${doc.cosine}, relative error ${doc.rel_error}` : JSON.stringify(doc)));
    });
}
