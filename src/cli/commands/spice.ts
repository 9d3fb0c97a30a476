/** `gradep spice`: run a realised chip's phases in ngspice (in process) and compare with gradep. */
import { type Command, Option } from 'commander';
import { comparePhase, type SpicePhase } from '../../spice/check.js';
import { log, out } from '../output.js';
import { chipFromFlags, type ChipFlags, chipOptions } from './netlist.js';

interface SpiceFlags extends ChipFlags {
  phase: SpicePhase | 'all';
  json?: boolean;
}

async function spiceCommand(flags: SpiceFlags) {
  const { circuit, cp } = chipFromFlags(flags);
  const phases: SpicePhase[] = flags.phase === 'all' ? ['free', 'plus', 'minus'] : [flags.phase];
  const rows = [];
  for (const phase of phases) {
    for (let b = 0; b < cp.B; b++) {
      const r = await comparePhase(cp, phase, b, circuit.transient.settle_tol);
      log(`${phase} point ${b}: max error ${r.maxError.toExponential(2)} u, ngspice ${r.wallSpice.toFixed(2)} s, gradep ${r.wallGradep.toFixed(2)} s`);
      rows.push({
        phase,
        point: b,
        duration_s: r.duration,
        max_error_u: r.maxError,
        rms_error_u: r.rmsError,
        final_max_error_u: r.finalMaxError,
        layer_max_error_u: r.layerMaxError,
        settle_gradep_s: r.settleGradep,
        settle_spice_s: r.settleSpice,
        wall_gradep_s: r.wallGradep,
        wall_spice_s: r.wallSpice,
        spice_points: r.spicePoints,
      });
    }
  }
  return { circuit: flags.circuit, chip_seed: flags.chipSeed, nodes: cp.model.N, v_unit_v: cp.model.vUnit, rows };
}

export function register(program: Command): void {
  chipOptions(program.command('spice').description('run a realised chip in ngspice 45 (WebAssembly, in process) and compare node by node with gradep\'s own transient (odex): max and RMS node error in state units per phase and point, settle times and run times of both'))
    .addOption(new Option('--phase <phase>', 'phase to compare (nudged phases start from the free end state)').choices(['free', 'plus', 'minus', 'all']).default('all'))
    .option('--json', 'print one JSON document')
    .action(async (flags: SpiceFlags) => {
      const doc = await spiceCommand(flags);
      out(Boolean(flags.json), doc, () =>
        [
          `chip ${doc.chip_seed} of ${doc.circuit}: ${doc.nodes} nodes, errors in state units (1 u = ${doc.v_unit_v} V)`,
          'phase\tpoint\tmax err\trms err\tfinal err\tsettle gradep (s)\tsettle ngspice (s)\tgradep (s)\tngspice (s)',
          ...doc.rows.map((r) => [r.phase, r.point, r.max_error_u.toExponential(2), r.rms_error_u.toExponential(2), r.final_max_error_u.toExponential(2), r.settle_gradep_s?.toExponential(3) ?? 'n/a', r.settle_spice_s.toExponential(3), r.wall_gradep_s.toFixed(2), r.wall_spice_s.toFixed(2)].join('\t')),
        ].join('\n'),
      );
    });
}
