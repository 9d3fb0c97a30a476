/** A resumed run is the same experiment: its identity (circuit, chip seed, engine, relaxation) is stored and compared. */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CircuitSpec } from '../src/circuit/spec.js';
import { runTraining, type TrainOptions } from '../src/experiments/train.js';
import { loadCheckpoint } from '../src/learning/checkpoint.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { createFastEngine } from '../src/solvers/wasm-engine.js';
import { tiny, tinyRun, V1_CHECKPOINT } from './helpers/tiny-run.js';

const V1 = V1_CHECKPOINT;

const opts = (outDir: string, steps: number, resume = false, circuit: CircuitSpec = tiny): TrainOptions => tinyRun(outDir, steps, resume, { circuit });

const edit = (f: (c: CircuitSpec) => void): CircuitSpec => {
  const c = structuredClone(tiny);
  f(c);
  return c;
};

async function trained(steps = 1): Promise<{ dir: string; ck: string; bytes: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'gradep-id-'));
  await runTraining(opts(dir, steps), new LocalEngine());
  const ck = join(dir, 'checkpoint.json');
  return { dir, ck, bytes: readFileSync(ck, 'utf8') };
}

describe('resume identity', () => {
  it('refuses other layer sizes, even with --override-circuit, and leaves the checkpoint untouched', async () => {
    const { dir, ck, bytes } = await trained();
    const wider = edit((c) => (c.layers.hidden1 = 12));
    await expect(runTraining(opts(dir, 3, true, wider), new LocalEngine())).rejects.toThrow(/checkpoint\.json: circuit\.layers\.hidden1 is 6 but this run asks for 12/);
    await expect(runTraining({ ...opts(dir, 3, true, wider), overrideCircuit: true }, new LocalEngine())).rejects.toThrow(/circuit\.layers\.hidden1 is 6 but this run asks for 12; .*new run/);
    expect(readFileSync(ck, 'utf8')).toBe(bytes);
  });

  it('refuses another circuit value, relaxation tolerance or temperature, naming the field', async () => {
    const { dir, ck, bytes } = await trained();
    const cases: [CircuitSpec, RegExp][] = [
      [edit((c) => (c.synapse.g_dtod = 0.1)), /checkpoint\.json: circuit\.synapse\.g_dtod is 0 but this run asks for 0\.1; resume with the same circuit or pass --override-circuit/],
      [edit((c) => (c.relax.tol = 1e-7)), /circuit\.relax\.tol is 0\.00001 but this run asks for 1e-7/],
      [edit((c) => (c.noise.temperature = 77)), /circuit\.noise\.temperature is \d+ but this run asks for 77/],
    ];
    for (const [c, re] of cases) await expect(runTraining(opts(dir, 3, true, c), new LocalEngine())).rejects.toThrow(re);
    expect(readFileSync(ck, 'utf8')).toBe(bytes);
    // Documentation fields are not part of the experiment.
    const renamed = edit((c) => (c.description = 'another text'));
    expect((await runTraining(opts(dir, 2, true, renamed), new LocalEngine())).step).toBe(2);
  });

  it('--override-circuit continues with the new circuit and records the override', async () => {
    const { dir, ck } = await trained(2);
    const c = edit((x) => (x.relax.tol = 1e-7));
    const r = await runTraining({ ...opts(dir, 3, true, c), overrideCircuit: true }, new LocalEngine());
    expect(r.step).toBe(3);
    const back = loadCheckpoint(ck);
    expect(back.circuit.relax.tol).toBe(1e-7);
    expect(back.hyper.tol).toBe(1e-7);
    expect(back.overrides).toEqual([{ step: 2, fields: [{ field: 'circuit.relax.tol', was: 1e-5, now: 1e-7 }] }]);
    // Resuming again with the new circuit needs no flag; with the old one it does.
    expect((await runTraining(opts(dir, 4, true, c), new LocalEngine())).step).toBe(4);
    await expect(runTraining(opts(dir, 5, true), new LocalEngine())).rejects.toThrow(/circuit\.relax\.tol is 1e-7 but this run asks for 0\.00001/);
  });

  it('stores the chip seed of in-situ training and refuses another', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradep-chip-'));
    const t = (chipSeed: number, steps: number, resume: boolean): TrainOptions => ({ ...opts(dir, steps, resume), relax: 'transient', batch: 2, chipSeed });
    await runTraining(t(4, 1, false), new LocalEngine());
    const ck = join(dir, 'checkpoint.json');
    expect(JSON.parse(readFileSync(ck, 'utf8')).seeds).toEqual({ run: 5, chip: 4 });
    await expect(runTraining(t(9, 1, true), new LocalEngine())).rejects.toThrow(/checkpoint\.json: seeds\.chip is 4 but this run asks for 9/);
    expect((await runTraining(t(4, 1, true), new LocalEngine())).step).toBe(1);
  }, 120_000);

  it('stores the engine and refuses another', async () => {
    const { dir, ck } = await trained();
    expect(JSON.parse(readFileSync(ck, 'utf8')).engine).toBe('js-f64');
    const fast = await createFastEngine(1);
    try {
      await expect(runTraining(opts(dir, 2, true), fast)).rejects.toThrow(/checkpoint\.json: engine is "js-f64" but this run uses "wasm-f32(-fma)?"/);
    } finally {
      await fast.close();
    }
  });

  it('a gradep-checkpoint/1 file resumes only with --override-circuit (its engine is unknown), which records it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradep-v1-'));
    const ck = join(dir, 'checkpoint.json');
    copyFileSync(V1, ck);
    writeFileSync(join(dir, 'log.jsonl'), '');
    await expect(runTraining(opts(dir, 3, true), new LocalEngine())).rejects.toThrow(/checkpoint\.json: engine is unknown \(a gradep-checkpoint\/1 file\) but this run uses "js-f64"; .*--override-circuit/);
    const r = await runTraining({ ...opts(dir, 3, true), overrideCircuit: true }, new LocalEngine());
    expect(r.step).toBe(3);
    const raw = JSON.parse(readFileSync(ck, 'utf8'));
    expect(raw.format).toBe('gradep-checkpoint/2');
    expect(raw.engine).toBe('js-f64');
    expect(raw.overrides).toEqual([{ step: 2, fields: [{ field: 'engine', was: null, now: 'js-f64' }] }]);
  });
});
