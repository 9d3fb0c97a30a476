/** `gradep report`: a sweep directory turned into figures, tables and an interactive index.html. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { SweepSpec } from '../../experiments/sweep/index.js';
import { readSweepMeta, writeSweepReport } from '../../report/sweep-report.js';
import { checkOutPath } from '../io.js';
import { out } from '../output.js';

/**
 * Where a report goes without --out: reports/<name> is the committed tree, so a --quick run
 * (recorded as spec.quick in DIR/sweep.json; the "-quick" name for directories older than
 * that field) goes under the ignored runs/ instead and cannot overwrite a real report.
 */
export function defaultReportDir(spec: Pick<SweepSpec, 'name'> & { quick?: boolean }): string {
  const quick = spec.quick === true || (spec.quick === undefined && spec.name.endsWith('-quick'));
  return quick ? join('runs', 'reports', spec.name) : join('reports', spec.name);
}

export function register(program: Command): void {
  program
    .command('report')
    .description('turn a sweep directory into a report: PNG figures with error bars over chips, sample grids per point, README table, self-contained interactive index.html')
    .argument('<dir>', 'sweep output directory (results.jsonl, sweep.json)')
    .option('--out <dir>', 'report directory (default: reports/<sweep name>; for a --quick sweep runs/reports/<sweep name>)')
    .option('--json', 'print one JSON document')
    .action((dir: string, flags: { out?: string; json?: boolean }) => {
      const outDir = resolve(flags.out ?? defaultReportDir(readSweepMeta(dir).spec));
      checkOutPath(flags.out ? '--out' : '--out (default)', outDir, 'dir');
      const r = writeSweepReport(dir, outDir);
      for (const f of r.failed) process.stderr.write(`note: skipped failed point ${f}\n`);
      out(Boolean(flags.json), { out: outDir, files: r.files }, () => `${r.table}\n\nwrote ${r.files.length} files to ${outDir}`);
    });
}
