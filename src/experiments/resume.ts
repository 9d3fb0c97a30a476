/**
 * Resume identity: a resumed run must be the same experiment as the one that wrote the
 * checkpoint. What defines it beyond `hyper` and the run seed: every device and analysis
 * field of the circuit (not its name, description, source or format), the chip seed of
 * in-situ training, and the engine's numerics.
 */
import { COST_ONLY_FIELDS, type CircuitSpec } from '../circuit/spec.js';
import { withoutDefaultProgramModel } from '../circuit/device-schema.js';
import { CHECKPOINT_FORMAT_V1, type Checkpoint, type OverrideRecord } from '../learning/checkpoint.js';
import { GradepError } from '../util/errors.js';

/** What this run would be: its circuit, its chip seed (null for ideal relaxations) and its engine. */
export interface RunIdentity {
  circuit: CircuitSpec;
  chip: number | null;
  engine: string;
}

type Change = OverrideRecord['fields'][number];

/** Documentation fields: renaming or re-describing a circuit does not change the experiment. */
const DOC_FIELDS = new Set(['format', 'name', 'description', 'source']);
/** The cost model's figures: no simulated number depends on them (docs/energy.md). */
const COST_FIELDS = new Set(['cost']);
/** Fields elsewhere that only the cost model reads, as paths below the circuit. */
const COST_PATHS = new Set(COST_ONLY_FIELDS.map((f) => `circuit.${f}`));

function diff(a: unknown, b: unknown, path: string, out: Change[]): void {
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (COST_PATHS.has(path)) return;
  if (obj(a) && obj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (path !== 'circuit' || !(DOC_FIELDS.has(k) || COST_FIELDS.has(k))) diff(a[k], b[k], `${path}.${k}`, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ field: path, was: a ?? null, now: b ?? null });
}

/** Every field in which this run differs from the checkpoint's experiment. */
export function identityChanges(ck: Checkpoint, id: RunIdentity): Change[] {
  const out: Change[] = [];
  // Inert program-model fields (an unselected device's section) do not change the experiment.
  diff(withoutDefaultProgramModel(ck.circuit), withoutDefaultProgramModel(id.circuit), 'circuit', out);
  if (ck.seeds.chip !== id.chip) out.push({ field: 'seeds.chip', was: ck.seeds.chip, now: id.chip });
  if (ck.engine !== id.engine) out.push({ field: 'engine', was: ck.engine, now: id.engine });
  return out;
}

const show = (x: unknown) => JSON.stringify(x);

/** The one-line refusal for the first change. */
function refusal(ck: Checkpoint, c: Change, ckPath: string): string {
  const asks = c.field === 'engine' ? 'uses' : 'asks for';
  if (c.was === null && (c.field === 'engine' || c.field === 'seeds.chip')) {
    const why = ck.format === CHECKPOINT_FORMAT_V1 ? `a ${CHECKPOINT_FORMAT_V1} file` : 'not recorded';
    return `${ckPath}: ${c.field} is unknown (${why}) but this run ${asks} ${show(c.now)}; pass --override-circuit to continue it and record this one`;
  }
  const same = c.field === 'engine' ? 'the same --engine' : c.field === 'seeds.chip' ? 'the same --chip-seed' : 'the same circuit';
  return `${ckPath}: ${c.field} is ${show(c.was)} but this run ${asks} ${show(c.now)}; resume with ${same} or pass --override-circuit`;
}

/**
 * Check a resume: null when this run is the checkpoint's experiment; the changes when they
 * are allowed (`override`); otherwise a one-line error naming the first differing field.
 * Layer sizes can never change: the weights fit only their own network.
 */
export function checkResume(ck: Checkpoint, id: RunIdentity, ckPath: string, override: boolean): Change[] | null {
  const changes = identityChanges(ck, id);
  if (!changes.length) return null;
  const layers = changes.find((c) => c.field.startsWith('circuit.layers.'));
  if (layers) throw new GradepError(`${ckPath}: ${layers.field} is ${show(layers.was)} but this run asks for ${show(layers.now)}; the checkpoint's weights fit only its own layer sizes: start a new run in another --out`);
  if (!override) throw new GradepError(refusal(ck, changes[0], ckPath));
  return changes;
}
