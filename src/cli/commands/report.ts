/** `gradep report`: a sweep directory turned into figures, tables and an interactive index.html. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeSweepReport } from '../../report/sweep-report.js';
import { out } from '../output.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('turn a sweep directory into a report: PNG figures with error bars over chips, sample grids per point, README table, self-contained interactive index.html')
    .argument('<dir>', 'sweep output directory (results.jsonl, sweep.json)')
    .option('--out <dir>', 'report directory (default: reports/<sweep name>)')
    .option('--json', 'print one JSON document')
    .action((dir: string, flags: { out?: string; json?: boolean }) => {
      const name = (JSON.parse(existsSync(join(dir, 'sweep.json')) ? readFileSync(join(dir, 'sweep.json'), 'utf8') : '{"spec":{"name":"sweep"}}') as { spec: { name: string } }).spec.name;
      const outDir = resolve(flags.out ?? join('reports', name));
      const r = writeSweepReport(dir, outDir);
      out(Boolean(flags.json), { out: outDir, files: r.files }, () => `${r.table}\n\nwrote ${r.files.length} files to ${outDir}`);
    });
}
