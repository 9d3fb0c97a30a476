/** The SPICE cross-check cases' circuit, chip and comparison, shared by test/spice.test.ts and the slow tier. */
import { expect } from 'vitest';
import { validateCircuit, type CircuitSpec } from '../../src/circuit/spec.js';
import { dimsOfCircuit } from '../../src/build/build.js';
import { initParams } from '../../src/learning/init.js';
import { chipPhases, comparePhase, type SpicePhase } from '../../src/spice/check.js';
import { Rng } from '../../src/util/rng.js';

export type Overrides = Record<string, Record<string, number | string>>;

export const base = {
  format: 'gradep-circuit/1',
  layers: { visible: 64, hidden1: 6, hidden2: 5 },
  relax: { method: 'transient' },
  transient: { solver: 'odex', t_free: 100e-9, t_nudge: 50e-9 },
};

export function circuit(over: Overrides): CircuitSpec {
  const raw: Record<string, unknown> = structuredClone(base);
  for (const [k, v] of Object.entries(over)) raw[k] = { ...(raw[k] as object), ...v };
  return validateCircuit(raw, 'spice-test.json');
}

/** Strong weights (Xavier gain 2.5: hidden units reach rho's curved and saturating parts) and one point. */
export function setup(c: CircuitSpec, chipSeed = 1) {
  const d = dimsOfCircuit(c);
  const p = initParams(d, 11, 2.5);
  new Rng(12, 'bx').fillUniform(p.bx, -0.5, 0.5);
  const xt = new Float64Array(d.nx);
  const ut = new Float64Array(d.nx);
  new Rng(13, 'xt').fillNormal(xt);
  new Rng(14, 'ut').fillNormal(ut);
  return chipPhases(c, p, xt, ut, chipSeed);
}

const PHASES: SpicePhase[] = ['free', 'plus', 'minus'];

/** gradep's odex against ngspice, node by node, in the free and both nudged phases (`print`: the docs/spice.md table rows). */
export async function expectAgreement(name: string, over: Overrides, print = false): Promise<void> {
  const cp = setup(circuit(over));
  for (const phase of PHASES) {
    const r = await comparePhase(cp, phase, 0, 1e-3);
    if (print) console.log(`${name} | ${phase} | ${r.maxError.toExponential(1)} / ${r.rmsError.toExponential(1)}`);
    expect(r.maxError, `${name}, ${phase}`).toBeLessThan(1e-3);
    expect(r.finalMaxError, `${name}, ${phase}`).toBeLessThan(1e-4);
    // The comparison is not trivial: the state moves by far more than the tolerance.
    const moved = Math.max(...r.gradep[r.gradep.length - 1].map((v, n) => Math.abs(v - r.gradep[0][n])));
    expect(moved, `${name}, ${phase}`).toBeGreaterThan(0.01);
    if (r.settleGradep !== null) expect(Math.abs(r.settleSpice - r.settleGradep)).toBeLessThan(0.02 * r.duration);
  }
}
