/** The README of an `experiment` run directory (the relaxation-vs-quality table and how it was produced). */
import { fmtTime } from '../util/time.js';

export interface ExperimentReadme {
  name: string;
  /** The experiment file and the flags as given on the command line, to reproduce the run. */
  file: string;
  quick: boolean;
  out?: string;
  seconds: number;
  checkpoint: string;
  samples: number;
  table: string;
}

export function experimentReadme(r: ExperimentReadme): string {
  const command = `npx gradep experiment ${r.file}${r.quick ? ' --quick' : ''}${r.out ? ` --out ${r.out}` : ''}`;
  return `# ${r.name}\n\nProduced by \`${command}\` in ${fmtTime(r.seconds)} (checkpoint ${r.checkpoint}, ${r.samples} samples per point). Relaxation time is per generated sample in units of tau = C/G_L; a converged evaluation counts as the reference's T epsilon tau.\n\n${r.table}\n`;
}
