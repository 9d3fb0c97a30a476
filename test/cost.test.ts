/**
 * The cost model (src/metrics/cost.ts, docs/energy.md): every count against a hand count on a
 * 4-3-2 chip at batch 2, every term against count x per-event figure, the peripheral terms at
 * zero giving back exactly the resistive energy a chip run measured, and `gradep cost` end to end.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildChip, buildSimulation } from '../src/build/build.js';
import { type CircuitSpec, keyCircuit, validateCircuit } from '../src/circuit/spec.js';
import { generateOnChip } from '../src/flow/sample-chip.js';
import { initParams } from '../src/learning/init.js';
import { insituEstimator } from '../src/learning/insitu.js';
import { adcEnergy, costBars, costBreakdown, countOps, dacEnergy, deviceCount, digitalBaseline, localUpdateCount, optimizerCount, relaxStepFlops, sampleFlops, trainingStepFlops } from '../src/metrics/cost.js';
import { loadSweep, recordedKeys, sweepPoints } from '../src/experiments/sweep/index.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { identityChanges } from '../src/experiments/resume.js';
import type { Checkpoint } from '../src/learning/checkpoint.js';
import { packagePath } from '../src/util/paths.js';
import { Rng } from '../src/util/rng.js';

const d = { nx: 4, n1: 3, n2: 2 }; // N = 9 nodes, 4*3 + 3*2 = 18 weights, P = 18 + 9 = 27 parameters
const B = 2;

function tinyChip(cost: Record<string, unknown> = {}, amplifier: Record<string, unknown> = {}): CircuitSpec {
  return validateCircuit(
    {
      format: 'gradep-circuit/1',
      amplifier,
      layers: { visible: 4, hidden1: 3, hidden2: 2 },
      dac: { bits: 6 },
      measure: { adc_bits: 8 },
      relax: { method: 'transient', T: 10 },
      transient: { dt: '1 ns', t_free: '20 ns', t_nudge: '10 ns' },
      cost,
    },
    'tiny',
  );
}

/** Every peripheral per-event figure at zero (with ZERO_AMP): only the measured resistive energy remains. */
const ZERO = { adc_walden: 0, dac_walden: 0, program_pulse_energy: 0, activation_power: 0, multiplier_power: 0, bias_power: 0, flop_add: 0, flop_mult: 0, sram_access: 0, dram_access: 0 };

const ZERO_AMP = { static_power: 0 };

const measured = { step: { free: 3e-12, plus: 1e-12, minus: 2e-12, total: 6e-12 }, sample: 5e-12 };

describe('cost counts on a 4-3-2 chip, batch 2', () => {
  const spec = tinyChip({ program_pulses: 3 });
  const c = countOps(spec, d, B, { evaluations: 5 });

  it('devices: 2 per weight per array', () => {
    expect(deviceCount(d)).toBe(36); // 2 x (4*3 + 3*2)
    expect(deviceCount(d, 2)).toBe(72);
    expect(c.devices).toBe(36);
    expect(countOps(spec, d, B, { arrays: 2 }).devices).toBe(72);
    expect(c.step.programPulses).toBe(108); // 36 devices x 3 pulses (cost.program_pulses)
    expect(countOps(spec, d, B, { pulsesPerWrite: 7 }).step.programPulses).toBe(252); // the caller's count wins
  });

  it('conversions: three phases read all 9 nodes; x_t and x_target each set once per sample', () => {
    const adc = c.step.analogue.reduce((a, p) => a + p.runs * p.adc, 0);
    const dac = c.step.analogue.reduce((a, p) => a + p.runs * p.dac, 0);
    expect(adc).toBe(3 * 2 * 9);
    expect(dac).toBe(2 * 2 * 4);
    expect(c.sample.analogue).toEqual([{ phase: 'eval', runs: 5, duration: 20e-9, adc: 4, dac: 4 }]);
  });

  it('digital: local update, optimizer and Euler step', () => {
    // 2B = 4 sample-phases: 4 x 18 weight MACs, 4 x 27 accumulations, rho of 4 x 5 hidden states at 20 FLOPs (half adds).
    expect(localUpdateCount(d, B)).toEqual({ adds: 4 * 27 + 200, mults: 4 * 18 + 27 + 200, sram: 2 * 4 * 18 + 4 * 9 + 27, state: 0 });
    expect(optimizerCount(d)).toEqual({ adds: 6 * 27, mults: 13 * 27, sram: 4 * 27, state: 9 * 27 });
    expect(c.sample.euler).toEqual({ adds: 2 * 5 * 4, mults: 2 * 5 * 4, sram: 0, state: 0 });
    expect(localUpdateCount(d, B, 0.25).sram).toBe(0.25 * 4 * 18 + 4 * 9 + 27); // an 8 x 8 register tile
  });

  it('digital baseline FLOPs', () => {
    expect(relaxStepFlops(d)).toBe(4 * 18 + 20 * 5 + 8 * 9); // 244
    expect(trainingStepFlops(d, B, 10)).toBe(3 * 10 * 2 * 244 + (308 + 299) + (162 + 351));
    expect(c.baseline.stepFlops).toBe(15760);
    expect(sampleFlops(d, 5, 10)).toBe(5 * (10 * 244 + 16));
    expect(sampleFlops(d, 5, 10, 'energy_gd')).toBe(5 * (10 * 244 + 16 + 2 * 4 * 3));
  });
});

describe('cost terms', () => {
  const spec = tinyChip({ program_pulses: 3, program_parallel: 10, adc_count: 3 });
  const c = countOps(spec, d, B, { evaluations: 5 });
  const b = costBreakdown(c, spec, measured);
  const t = (name: string, which: 'step' | 'sample' = 'step') => b[which].terms.find((x) => x.name === name)!;

  it('converters: Walden and Schreier energies per conversion, conversion time from the rate', () => {
    expect(adcEnergy(spec)).toBeCloseTo(5e-15 * 256, 27);
    expect(dacEnergy(spec)).toBeCloseTo(5e-15 * 64, 27);
    // Schreier 180 dB at 8 bits: SNDR = 49.92 dB, E = 10^((49.92 - 180)/10) / 2.
    expect(adcEnergy(tinyChip({ adc_fom: 'schreier' }))).toBeCloseTo(0.5 * 10 ** ((6.02 * 8 + 1.76 - 180) / 10), 30);
    expect(adcEnergy(tinyChip({ adc_enob: 10 }))).toBeCloseTo(5e-15 * 1024, 27);
    expect(adcEnergy(validateCircuit({ format: 'gradep-circuit/1' }, 'ideal'))).toBe(0); // an ideal ADC costs nothing
    expect(t('adc').joules).toBeCloseTo(54 * 5e-15 * 256, 25);
    // 9 lines on 3 ADCs: 3 conversion slots per run, 6 runs, at 100 MS/s.
    expect(t('adc').seconds).toBeCloseTo((6 * 3) / 100e6, 20);
    expect(t('dac').joules).toBeCloseTo(16 * 5e-15 * 64, 25);
    expect(t('dac').phases).toEqual({ free: { joules: 2 * 4 * 5e-15 * 64, seconds: 2 / 100e6 }, plus: { joules: 2 * 4 * 5e-15 * 64, seconds: 2 / 100e6 }, minus: { joules: 0, seconds: 0 } });
  });

  it('programming, static power, digital work, area', () => {
    expect(t('programming').joules).toBeCloseTo(108 * 10e-12, 22);
    expect(t('programming').seconds).toBeCloseTo(11 * 50e-9, 20); // ceil(108 / 10) pulse slots
    // Analogue time of the step: 2 samples x (20 + 10 + 10) ns.
    expect(t('resistive').seconds).toBeCloseTo(80e-9, 20);
    expect(t('amplifiers').joules).toBeCloseTo(9 * 10e-6 * 80e-9, 22);
    expect(t('activations').joules).toBeCloseTo(5 * 1e-6 * 80e-9, 22);
    expect(t('multipliers').joules).toBeCloseTo(5 * 1e-6 * 80e-9, 22);
    expect(t('bias sources').joules).toBeCloseTo(9 * 0.1e-6 * 80e-9, 22);
    expect(t('digital: local update').joules).toBeCloseTo(308 * 0.9e-12 + 299 * 3.7e-12 + 207 * 5e-12, 22);
    expect(t('digital: clip, Adam, EMA').joules).toBeCloseTo(162 * 0.9e-12 + 351 * 3.7e-12 + 108 * 5e-12 + 243 * 5e-12, 22);
    const dram = costBreakdown(c, tinyChip({ state_memory: 'dram' }), measured).step.terms.find((x) => x.name === 'digital: clip, Adam, EMA')!;
    expect(dram.joules).toBeCloseTo(162 * 0.9e-12 + 351 * 3.7e-12 + 108 * 5e-12 + 243 * 640e-12, 22);
    expect(t('digital: local update').seconds).toBeCloseTo((308 + 299) / 1e11, 22);
    expect(t('digital: Euler step', 'sample').joules).toBeCloseTo(40 * 0.9e-12 + 40 * 3.7e-12, 22);
    expect(b.transfer.joules).toBeCloseTo(108 * 10e-12, 22);
    expect(b.area.cells_mm2).toBeCloseTo(36 * 12 * 45e-9 ** 2 * 1e6, 18);
    expect(b.area.periphery_mm2).toBeCloseTo(9 * 1000e-12 * 1e6, 15);
    expect(b.step.total.joules).toBeCloseTo(b.step.terms.reduce((a, x) => a + x.joules, 0), 22);
  });

  it('digital baseline: GPU from counted FLOPs, CPU from measured time, the paper anchor', () => {
    const g = digitalBaseline(c, tinyChip({ gpu_utilisation: 0.5 }), { stepSeconds: 2, sampleSeconds: 1 });
    expect(g.gpu.step.seconds).toBeCloseTo(15760 / (19.5e12 * 0.5), 22);
    expect(g.gpu.step.joules).toBeCloseTo((400 * 15760) / (19.5e12 * 0.5), 20);
    expect(g.cpu).toEqual({ step: { joules: 130, seconds: 2 }, sample: { joules: 65, seconds: 1 }, power: 65 });
    expect(g.anchor.step).toEqual({ joules: 720, seconds: 1.8 });
    expect(g.anchor.utilisation).toBeCloseTo(trainingStepFlops(d, 1797, 10) / (1.8 * 19.5e12), 15);
  });

  it('stacked-bar data per point', () => {
    const bars = costBars([{ label: 'a', breakdown: b }, { label: 'b', breakdown: costBreakdown(c, tinyChip(ZERO, ZERO_AMP), measured) }], 'step');
    expect(bars.labels).toEqual(['a', 'b']);
    expect(bars.series.find((s) => s.term === 'resistive')!.joules).toEqual([6e-12, 6e-12]);
    expect(bars.series.find((s) => s.term === 'adc')!.joules[1]).toBe(0);
  });
});

describe('peripheral terms at zero', () => {
  it('give back exactly the resistive energy a chip step and a chip sample measured', async () => {
    const spec = tinyChip(ZERO, ZERO_AMP);
    const sim = buildSimulation(spec, 'transient');
    const p = initParams(d, 3);
    const xt = new Float64Array(B * 4);
    const ut = new Float64Array(B * 4);
    new Rng(1, 'cost-test').fillNormal(xt);
    new Rng(2, 'cost-test').fillNormal(ut);
    const engine = new LocalEngine();
    const r = await insituEstimator(sim, 0, 0, engine).estimate(p, xt, ut, 0);
    const g = await generateOnChip(engine, sim, buildChip(spec, 0), p, { mode: 'spring', n: 1, t1: 1, dt: 0.25, seed: 0 });
    const m = { step: { free: B * r.free.energyMean, plus: B * r.plus.energyMean, minus: B * r.minus.energyMean, total: r.physical!.energy }, sample: g.energyPerSample };
    expect(m.step.total).toBeGreaterThan(0);
    const b = costBreakdown(countOps(spec, d, B, { evaluations: g.evaluations }), spec, m);
    expect(b.step.total.joules).toBe(r.physical!.energy);
    expect(b.sample.total.joules).toBe(g.energyPerSample);
    expect(b.transfer.joules).toBe(0);
    // The analogue time is today's physical time: per sample of the step, and per generated sample.
    expect(b.step.terms[0].seconds).toBeCloseTo(B * r.physical!.time, 20);
    expect(b.sample.terms[0].seconds).toBeCloseTo(g.timePerSample, 20);
  });

  it('the cost section is not part of a run\'s resume identity', () => {
    const ck = { circuit: tinyChip(), seeds: { chip: 0 }, engine: 'js' } as unknown as Checkpoint;
    expect(identityChanges(ck, { circuit: tinyChip({ program_parallel: 128, adc_walden: '2 fJ' }), chip: 0, engine: 'js' })).toEqual([]);
    expect(identityChanges(ck, { circuit: { ...tinyChip(), dac: { ...tinyChip().dac, bits: 7 } }, chip: 0, engine: 'js' }).map((c) => c.field)).toEqual(['circuit.dac.bits']);
  });

  it('the cost section leaves sweep point keys unchanged (committed results stay valid)', () => {
    const dir = packagePath('reports', 'relaxation-vs-quality');
    const meta = JSON.parse(readFileSync(`${dir}/sweep.json`, 'utf8'));
    const file = packagePath(meta.file);
    const keys = sweepPoints(loadSweep(file), file, recordedKeys(meta)).map((p) => p.key);
    const stored = new Set(readFileSync(`${dir}/results.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l).key));
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(stored.has(k)).toBe(true);
  });
});

describe('one static-power field: amplifier.static_power', () => {
  const amps = (spec: CircuitSpec) => costBreakdown(countOps(spec, d, B), spec, measured).step.terms.find((x) => x.name === 'amplifiers')!.joules;

  it('the cost model reads amplifier.static_power (9 amplifiers x P x 80 ns of analogue time)', () => {
    expect(tinyChip().amplifier.static_power).toBe(10e-6);
    expect(amps(tinyChip({}, { static_power: '2 uW' }))).toBeCloseTo(9 * 2e-6 * 80e-9, 24);
    expect(Object.keys(tinyChip().cost)).not.toContain('amp_power');
  });

  it('an old file with cost.amp_power loads with the value moved; a conflicting pair is a one-line error naming the moved field', () => {
    const old = tinyChip({ amp_power: '3 uW' });
    expect(old.amplifier.static_power).toBeCloseTo(3e-6, 18);
    expect(amps(old)).toBeCloseTo(9 * 3e-6 * 80e-9, 24);
    // A checkpoint's stored circuit holds both, the amplifier's at its former default 0.
    expect(tinyChip({ amp_power: 1e-6 }, { static_power: 0 }).amplifier.static_power).toBe(1e-6);
    expect(() => tinyChip({ amp_power: 1e-6 }, { static_power: 2e-6 })).toThrow(/^tiny: cost\.amp_power: moved to amplifier\.static_power, which also gives 0\.000002 \(got 0\.000001\)/);
  });

  it('changes neither sweep keys nor resume identities (the cost model alone reads it)', () => {
    expect(keyCircuit(tinyChip({}, { static_power: '1 mW' }))).toEqual(keyCircuit(tinyChip()));
    const ck = { circuit: { ...tinyChip(), amplifier: { ...tinyChip().amplifier, static_power: 0 } }, seeds: { chip: 0 }, engine: 'js' } as unknown as Checkpoint;
    expect(identityChanges(ck, { circuit: tinyChip(), chip: 0, engine: 'js' })).toEqual([]);
  });
});

describe('gradep cost', () => {
  const CLI = packagePath('dist', 'cli', 'main.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, '--threads', '1', 'cost', ...args], { encoding: 'utf8', timeout: 120_000 });

  it('measures a tiny chip and prints the breakdown as JSON and as a table', () => {
    const tiny = packagePath('test', 'fixtures', 'tiny-circuit.json');
    const r = run('--circuit', tiny, '--batch', '2', '--dt', '0.5', '--arrays', '2', '--json');
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.counts.devices).toBe(2 * 2 * (64 * 6 + 6 * 5));
    expect(doc.amplifier_static_power).toBe(10e-6); // the one static-power field of the amplifier, beside the cost section
    expect(doc.cost.amp_power).toBeUndefined();
    expect(doc.counts.sample.evaluations).toBe(3);
    const resistive = doc.breakdown.step.terms.find((t: { name: string }) => t.name === 'resistive');
    expect(resistive.joules).toBe(doc.measured.step.total);
    expect(doc.measured.step.total).toBeGreaterThan(0);
    expect(doc.breakdown.step.total.joules).toBeGreaterThan(doc.measured.step.total);
    expect(doc.baseline.cpu.step.seconds).toBeGreaterThan(0);
    const text = run('--circuit', tiny, '--batch', '2', '--dt', '0.5');
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/training step \(batch 2\):[\s\S]*resistive[\s\S]*programming[\s\S]*total/);
    expect(text.stdout).toContain('paper anchor');
  });

  it('bad input is a one-line error', () => {
    const r = run('--circuit', 'nope.json');
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nope\.json/);
    const b = run('--circuit', packagePath('circuits', 'reram.json'), '--batch', '1');
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--batch: got "1", allowed an integer 2\.\.1797/);
  });
});
