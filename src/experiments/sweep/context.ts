/** What the points of one sweep run share. */
import type { Dims } from '../../circuit/params.js';
import { type Checkpoint, loadCheckpoint } from '../../learning/checkpoint.js';
import { dimsOfCircuit } from '../../build/build.js';
import { GradepError } from '../../util/errors.js';
import type { ExactEntry } from './exact-cache.js';
import { type PointKeys, sha256File } from './keys.js';
import type { SweepPoint } from './points.js';
import { resolveInput, type SweepSpec } from './spec.js';

/** Samples (n x nx, clipped) of one generation horizon and the evaluations they took. */
export interface Snapshot {
  samples: Float64Array;
  evaluations: number;
}

/** What the points of one run share: the ideal checkpoint (read once) and exact gradients being computed. */
export class SweepContext {
  private ck: { ck: Checkpoint; path: string; sha256: string } | null = null;
  readonly exact = new Map<string, Promise<ExactEntry>>();
  /** "generate": one trajectory's snapshots at every t1 of its points, by trajectory key (generate.ts). */
  readonly trajectories = new Map<string, Promise<Map<number, Snapshot>>>();
  /** The points this run computes (the runner sets them): a trajectory snapshots every t1 among them. */
  pending: SweepPoint[] = [];

  constructor(
    readonly spec: SweepSpec,
    readonly file: string,
    readonly outDir: string,
    /** The keys the points were made with: the checkpoint must still be the file they hashed. */
    readonly keys?: PointKeys,
  ) {}

  checkpoint(d: Dims): { ck: Checkpoint; path: string; sha256: string } {
    if (!this.ck) {
      const path = resolveInput(this.spec.checkpoint, this.file, 'checkpoint');
      const sha256 = sha256File(path);
      const keyed = this.keys?.checkpoint_sha256;
      if (keyed && keyed !== sha256) throw new GradepError(`${this.file}: checkpoint: ${path} changed while the sweep ran (its points were keyed by sha256 ${keyed.slice(0, 12)}, it now has ${sha256.slice(0, 12)}); run the sweep again`);
      this.ck = { ck: loadCheckpoint(path), path, sha256 };
    }
    const cd = dimsOfCircuit(this.ck.ck.circuit);
    if (cd.nx !== d.nx || cd.n1 !== d.n1 || cd.n2 !== d.n2) {
      throw new GradepError(`${this.file}: checkpoint: ${this.ck.path} holds a ${cd.nx}-${cd.n1}-${cd.n2} network, allowed the circuit's ${d.nx}-${d.n1}-${d.n2}`);
    }
    return this.ck;
  }
}
