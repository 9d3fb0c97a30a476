/** `gradep experiment`: run a declarative experiment file and write its report. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadRelaxationQuality, quickSpec, runRelaxationQuality } from '../../experiments/relaxation-quality.js';
import { experimentReadme } from '../../report/experiment-readme.js';
import { relaxationQualityTable, writeRelaxationQualityReport } from '../../report/relaxation-quality.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { GradepError } from '../../util/errors.js';
import { withEngine } from '../engine.js';
import { readJson } from '../io.js';
import { out } from '../output.js';
import { fmtTime, Progress } from '../progress.js';

export function register(program: Command): void {
  program
    .command('experiment')
    .description('run a declarative experiment file (kind "relaxation-vs-quality"): results, figures and sample grids in --out')
    .argument('<file>', 'experiment file, e.g. experiments/relaxation-vs-quality.json')
    .option('--out <dir>', 'output directory (default: reports/<name>)')
    .option('--quick', 'a reduced budget that finishes in minutes')
    .option('--json', 'print one JSON document')
    .action(async (file: string, flags: { out?: string; quick?: boolean; json?: boolean }, cmd: Command) => {
      if ((readJson(file, 'experiment') as { format?: unknown } | null)?.format === 'gradep-sweep/1') throw new GradepError(`${file}: this is a sweep file: run gradep sweep ${file}`);
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
      const readme = { name: spec.name, file, quick: Boolean(flags.quick), out: flags.out, seconds, checkpoint: spec.checkpoint, samples: spec.samples, table };
      writeFileAtomic(join(outDir, 'README.md'), experimentReadme(readme));
      out(Boolean(flags.json), { out: outDir, rows: res.rows.length, figures, seconds }, () => `${table}\n\nwrote ${outDir} (${figures.length} figures) in ${fmtTime(seconds)}`);
    });
}
