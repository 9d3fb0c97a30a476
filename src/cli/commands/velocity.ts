/** `gradep velocity`: the learned velocity field at given points. */
import type { Command } from 'commander';
import { relaxSpecOf, dimsOfCircuit } from '../../build/build.js';
import { velocity, type VelocityMode } from '../../flow/sample.js';
import { loadCheckpoint } from '../../learning/checkpoint.js';
import { withEngine } from '../engine.js';
import { readJson, rows, vectors } from '../io.js';
import { idealMethod, modeOption, type Relax, relaxOption } from '../options.js';
import { out } from '../output.js';

interface VelocityFlags {
  checkpoint: string;
  points: string;
  mode: VelocityMode;
  relax?: Relax;
  ema?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('velocity')
    .description('velocity field v(x) of a trained network at given points')
    .requiredOption('--checkpoint <file>', 'checkpoint file')
    .requiredOption('--points <file>', 'JSON array of 64-vectors')
    .addOption(modeOption())
    .addOption(relaxOption())
    .option('--ema', 'use the EMA weights')
    .option('--json', 'print one JSON document')
    .action(async (flags: VelocityFlags, cmd: Command) => {
      const ck = loadCheckpoint(flags.checkpoint);
      const d = dimsOfCircuit(ck.circuit);
      const pts = vectors(readJson(flags.points, 'points'), d.nx, flags.points, 'points');
      const v = new Float64Array(pts.data.length);
      const stats = await withEngine(cmd, (e) =>
        velocity(e, flags.ema ? ck.ema_params : ck.params, d, pts.data, { mode: flags.mode, lambda: ck.hyper.lambda, alpha: ck.hyper.alpha, relax: relaxSpecOf(ck.circuit, flags.relax ?? idealMethod(ck.circuit)) }, v),
      );
      out(Boolean(flags.json), { velocities: rows(v, d.nx), relax: stats }, () => JSON.stringify({ velocities: rows(v, d.nx) }));
    });
}
