/** `gradep eval`: sample-quality metrics of a sample set, with reference rows. */
import { type Command, Option } from 'commander';
import { evaluateSamples, referenceRows } from '../../metrics/quality.js';
import { qualityTable, referenceTableRows } from '../../report/quality-table.js';
import { GradepError } from '../../util/errors.js';
import { readJson, vectors } from '../io.js';
import { out } from '../output.js';

export function register(program: Command): void {
  program
    .command('eval')
    .description('sample-quality metrics of a sample set (FD, coverage, recognisability, class balance, precision/recall, copy rate, sharpness), with reference rows')
    .requiredOption('--samples <file>', 'samples JSON (the output of `gradep sample`, or an array of 64-vectors in [-1, 1])')
    .addOption(new Option('--reference <set>', 'reference set the samples are compared with').choices(['tes']).default('tes'))
    .option('--no-rows', 'skip the reference rows (real held-out digits, blurred, noise; at the same n as the samples)')
    .option('--json', 'print one JSON document')
    .action((flags: { samples: string; reference: string; rows: boolean; json?: boolean }) => {
      const raw = readJson(flags.samples, 'samples');
      const arr = Array.isArray(raw) ? raw : (raw as { samples?: unknown }).samples;
      const field = Array.isArray(raw) ? 'samples' : 'samples (field "samples")';
      const s = vectors(arr, 64, flags.samples, field);
      if (s.n < 2) throw new GradepError(`${flags.samples}: samples: got 1 sample, allowed at least 2`);
      const metrics = evaluateSamples(s.data, s.n);
      // FD depends on n (its bias shrinks as 1/n): reference rows at the samples' own count compare like with like.
      const refRows = flags.rows ? referenceRows(0, {}, s.n) : null;
      const doc = { samples: flags.samples, n: s.n, reference: flags.reference, metrics, reference_rows: refRows };
      out(Boolean(flags.json), doc, () => qualityTable([[flags.samples, metrics], ...(refRows ? referenceTableRows(refRows) : [])]));
    });
}
