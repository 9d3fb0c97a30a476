/** Reading a sweep file: schema, `set`, `vary` and the `quick` variant, every point's circuit checked up front. */
import { validateObject } from '../../circuit/schema.js';
import { GradepError } from '../../util/errors.js';
import { readJsonFile } from '../../util/json.js';
import { isObject, show } from './check.js';
import { COMPARE_KEYS } from './keys.js';
import { sweepPoints } from './points.js';
import { BUDGET_FIELDS, QUICK_SCHEMA, SWEEP_SCHEMA, type SweepSpec } from './spec.js';
import { checkSet, checkVaryObject, expandVary } from './vary.js';

/**
 * Read and validate a sweep file. With `quick`, the file's `quick` object overrides budgets,
 * seeds, actions and vary entries, and the name gets "-quick". Every point's circuit is
 * validated now (for the quick variant too), so a bad value fails before hours of compute.
 */
export function loadSweep(file: string, opts: { quick?: boolean } = {}): SweepSpec {
  const raw = readJsonFile(file, 'sweep');
  if (!isObject(raw)) throw new GradepError(`${file}: expected a JSON object`);
  if (raw.format === 'gradep-experiment/1') throw new GradepError(`${file}: format: got "gradep-experiment/1" (retired), allowed "gradep-sweep/1": the relaxation-vs-quality experiment is now a sweep of "generate" points (see CHANGELOG.md and experiments/relaxation-vs-quality.json)`);
  const { vary, set, quick, ...rest } = raw;
  const base = validateObject(file, '', rest, SWEEP_SCHEMA) as unknown as SweepSpec;
  base.set = checkSet(file, set);
  const varySource = checkVaryObject(file, 'vary', vary, false);
  let quickBudget: Record<string, unknown> | null = null;
  let quickVary: Record<string, unknown> = {};
  if (quick !== undefined) {
    if (!isObject(quick)) throw new GradepError(`${file}: quick: got ${show(quick)}, allowed an object overriding ${Object.keys(BUDGET_FIELDS).join(', ')} and vary entries`);
    const { vary: qv, ...qb } = quick;
    const full = validateObject(file, 'quick', qb, QUICK_SCHEMA);
    quickBudget = Object.fromEntries(Object.keys(qb).map((k) => [k, full[k]]));
    if (qv !== undefined) quickVary = checkVaryObject(file, 'quick.vary', qv, true);
    for (const k of Object.keys(quickVary)) {
      if (!(k in varySource)) throw new GradepError(`${file}: quick.vary.${k}: not varied by vary, allowed one of ${Object.keys(varySource).join(', ')}`);
    }
  } else if (opts.quick) {
    throw new GradepError(`${file}: quick: missing; --quick needs a "quick" object with reduced budgets, e.g. { "steps": 5, "samples": 20, "chip_seeds": [0] }`);
  }
  const build = (q: boolean): SweepSpec => {
    const spec: SweepSpec = { ...base, set: base.set, vary: {}, vary_source: { ...varySource }, quick: q };
    if (q && quickBudget) {
      Object.assign(spec, quickBudget);
      Object.assign(spec.vary_source, quickVary);
      spec.name = `${base.name}-quick`;
    }
    for (const [k, v] of Object.entries(spec.vary_source)) spec.vary[k] = expandVary(file, `${q && k in quickVary ? 'quick.' : ''}vary.${k}`, k, v);
    sweepPoints(spec, file, COMPARE_KEYS);
    return spec;
  };
  const full = build(false);
  const quickSpec = quickBudget ? build(true) : null;
  return opts.quick ? (quickSpec as SweepSpec) : full;
}
