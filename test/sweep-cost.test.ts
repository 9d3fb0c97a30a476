/**
 * Sweep reports with the cost model (src/report/sweep-cost.ts): each point's breakdown from its
 * circuit and results.jsonl against a hand count on a 4-3-2 chip, the peripheral terms at zero
 * giving back the measured resistive energy exactly, fully analogue generation set and read
 * once, and a committed in-situ report redrawn with stacked bars, quality against total energy
 * and a README saying which terms each number includes.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CircuitSpec, validateCircuit } from '../src/circuit/spec.js';
import type { GeneratedResult, SampledResult, SweepResult } from '../src/experiments/sweep/index.js';
import { costReadme, pointCosts, writeCostCharts } from '../src/report/sweep-cost.js';
import { readSweepRows } from '../src/report/sweep-data.js';
import type { ReportCtx } from '../src/report/sweep-charts.js';
import { packagePath } from '../src/util/paths.js';

const ZERO = { adc_walden: 0, dac_walden: 0, program_pulse_energy: 0, activation_power: 0, multiplier_power: 0, bias_power: 0, flop_add: 0, flop_mult: 0, sram_access: 0, dram_access: 0 };

function tiny(cost: Record<string, unknown> = {}, amplifier: Record<string, unknown> = {}): CircuitSpec {
  return validateCircuit(
    { format: 'gradep-circuit/1', layers: { visible: 4, hidden1: 3, hidden2: 2 }, dac: { bits: 6 }, measure: { adc_bits: 8 }, amplifier, relax: { method: 'transient', T: 10 }, transient: { dt: '1 ns', t_free: '20 ns', t_nudge: '10 ns' }, cost },
    'tiny',
  );
}

const metrics = { n: 10, fd: 1, coverage: 1, recognisability: 0.5, class_balance: 1, precision: 1, recall: 1, copy_rate: 0, sharpness_w1: 0.1 };
const base = { key: 'k', index: 0, overrides: {}, chip_seed: 0, seconds: 1 };

function costsOf(rows: SweepResult[], c: CircuitSpec) {
  const ctx = { dir: '/nonexistent', rows, circuits: new Map(rows.map((r) => [r.index, c])), spec: { batch: 2, steps: 7, finetune_steps: 3 } } as unknown as ReportCtx;
  return pointCosts(ctx);
}

describe('the cost of a sweep point, at report time', () => {
  // 5 evaluations of 20 ns on the chip: 100 ns per sample.
  const insitu: SampledResult = { ...base, action: 'insitu', metrics, final_flow_mse: 0.5, time_per_sample_s: 100e-9, energy_per_sample_j: 2e-12, energy_per_step_j: 3e-12 };

  it('per generated sample: measured resistive + 20 conversions each way + static power x 100 ns + the Euler step', () => {
    const [p] = costsOf([insitu], tiny());
    const j = (n: string) => p.sample!.terms.find((t) => t.name === n)!.joules;
    expect(j('resistive')).toBe(2e-12);
    expect(j('adc')).toBeCloseTo(5 * 4 * 5e-15 * 256, 25);
    expect(j('dac')).toBeCloseTo(5 * 4 * 5e-15 * 64, 25);
    expect(j('amplifiers')).toBeCloseTo(9 * 10e-6 * 100e-9, 22);
    expect(j('digital: Euler step')).toBeCloseTo(5 * 4 * 2 * (0.9e-12 + 3.7e-12), 22);
    expect(p.resistive).toEqual({ sample: 'measured', step: 'measured' });
    expect(p.steps).toBe(7);
    expect(p.step!.terms.find((t) => t.name === 'resistive')!.joules).toBe(3e-12);
  });

  it('peripheral terms at zero give back the recorded resistive energies exactly', () => {
    const [p] = costsOf([insitu], tiny(ZERO, { static_power: 0 }));
    expect(p.sample!.total.joules).toBe(2e-12);
    expect(p.step!.total.joules).toBe(3e-12);
  });

  it('a result without energy_per_step_j (before it was recorded) leaves the step\'s resistive term out and says so', () => {
    const { energy_per_step_j: _e, ...old } = insitu;
    const [p] = costsOf([old as SampledResult], tiny(ZERO, { static_power: 0 }));
    expect(p.resistive.step).toBe('not recorded');
    expect(p.step!.total.joules).toBe(0);
    const [t] = costsOf([{ ...insitu, action: 'transfer', final_flow_mse: null }], tiny());
    expect(t.step).toBeNull();
  });

  it('"generate" points on the ideal network: no resistive term; fully analogue generation sets and reads x once, with no Euler step', () => {
    const c = tiny();
    const tau = c.node.capacitance / c.node.g_leak;
    const gen = { ...base, action: 'generate', t1: 1, metrics, relaxation_tau: 300, evaluations: 30, final_flow_mse: null, time_per_sample_s: null, energy_per_sample_j: null } as const;
    const analogue: GeneratedResult = { ...gen, generation: { mode: 'analogue', hidden_T: 0, ratio: 30, eps: 0.1, ema: 'params', dt: 0.01 } };
    const settle: GeneratedResult = { ...gen, index: 1, generation: { ...analogue.generation, mode: 'spring' } };
    const [a, s] = costsOf([analogue, settle], c);
    const j = (p: typeof a, n: string) => p.sample!.terms.find((t) => t.name === n)!.joules;
    expect(a.resistive.sample).toBe('not simulated');
    expect(j(a, 'resistive')).toBe(0);
    expect(j(a, 'adc')).toBeCloseTo(4 * 5e-15 * 256, 25);
    expect(j(a, 'amplifiers')).toBeCloseTo(9 * 10e-6 * 300 * tau, 22);
    expect(j(a, 'digital: Euler step')).toBe(0);
    expect(j(s, 'adc')).toBeCloseTo(30 * 4 * 5e-15 * 256, 25);
    expect(j(s, 'amplifiers')).toBeCloseTo(j(a, 'amplifiers'), 22);
    expect(j(s, 'digital: Euler step')).toBeCloseTo(30 * 4 * 2 * (0.9e-12 + 3.7e-12), 22);
  });
});

describe('an in-situ sweep report redrawn with total energy', () => {
  it('draws stacked bars per step and per sample, quality against total energy, and says which terms each number includes', () => {
    // The committed report's own results and circuits, drawn into a temporary directory (no grids or quality charts: those are report.test.ts's).
    const src = packagePath('reports', 'nudge-vs-noise-quality');
    const outDir = mkdtempSync(join(tmpdir(), 'gradep-cost-report-'));
    const { spec, rows, circuits } = readSweepRows(src);
    const fields = Object.keys(spec.vary);
    const ctx = { dir: src, outDir, spec, rows, circuits, fields, axes: new Map(), field: fields[0], files: [], charts: [], oldGrids: new Map(), oldTraining: new Map(), kept: [] } as unknown as ReportCtx;
    const name = (r: SweepResult) => JSON.stringify(r.overrides);
    const costs = writeCostCharts(ctx, name);
    expect(costs).toHaveLength(12);
    for (const f of ['cost-per-step.png', 'cost-per-sample.png', 'fd-vs-total-energy-per-sample.png', 'fd-vs-total-energy-of-training.png']) expect(existsSync(join(outDir, f)), f).toBe(true);
    expect(ctx.charts.filter((c) => c.stacked)).toHaveLength(2);
    const readme = costReadme(costs, name, spec);
    expect(readme).toContain('## Energy: which terms each number includes');
    expect(readme).toMatch(/\| `resistive energy\/sample \(J\)` column, `energy_per_sample_j-vs-\*\.png` \| yes \(measured\) \| no \| no \| no \| no \|/);
    expect(readme).toContain('**Per training step** (batch 32; mean over chips)');
    // Results from before energy_per_step_j: the step's resistive term is named as missing.
    expect(readme).toMatch(/\| \(not recorded\) \|/);
  });
});
