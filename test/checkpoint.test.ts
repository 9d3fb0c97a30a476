import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CIRCUIT_FILE, loadCircuit } from '../src/circuit/spec.js';
import { runTraining, type TrainOptions } from '../src/experiments/train.js';
import { loadCheckpoint, saveCheckpoint } from '../src/learning/checkpoint.js';
import { LocalEngine } from '../src/solvers/engine.js';

const circuit = loadCircuit(DEFAULT_CIRCUIT_FILE);
const opts = (outDir: string, steps: number, resume = false): TrainOptions => ({
  circuit,
  circuitFile: DEFAULT_CIRCUIT_FILE,
  steps,
  batch: 12,
  seed: 3,
  pairing: 'ot',
  relax: 'equilibrium',
  outDir,
  resume,
  checkpointEvery: 1,
});

describe('checkpoints and exact resume', () => {
  it('save -> load is bit-exact and follows the documented format', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradep-ck-'));
    const ck = await runTraining(opts(dir, 1), new LocalEngine());
    const path = join(dir, 'checkpoint.json');
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    expect(raw.format).toBe('gradep-checkpoint/2');
    expect(raw.params.W0.length).toBe(128);
    expect(raw.params.W0[0].length).toBe(64);
    expect(raw.params.W1.length).toBe(128);
    expect(raw.params.W1[0].length).toBe(128);
    expect(raw.ema_params.bx.length).toBe(64);
    expect(raw.hyper).toMatchObject({ lambda: 15, alpha: 2, epsilon: 0.1, T: 300, beta: 1.25e-3, batch: 12 });
    expect(raw.optimizer.t).toBe(1);
    expect(raw.seeds).toEqual({ run: 3, chip: null });
    expect(raw.engine).toBe('js-f64');
    expect(raw.overrides).toEqual([]);
    const back = loadCheckpoint(path);
    expect(back.params.W1).toEqual(ck.params.W1);
    expect(back.optimizer.v.W0).toEqual(ck.optimizer.v.W0);
    const p2 = join(dir, 'copy.json');
    saveCheckpoint(p2, back);
    expect(JSON.parse(readFileSync(p2, 'utf8')).params).toEqual(raw.params);
  });

  it('an interrupted run resumed from its checkpoint ends bit-identical to an uninterrupted one', async () => {
    const a = mkdtempSync(join(tmpdir(), 'gradep-a-'));
    const b = mkdtempSync(join(tmpdir(), 'gradep-b-'));
    const full = await runTraining(opts(a, 4), new LocalEngine());
    await runTraining(opts(b, 2), new LocalEngine());
    // A crash leaves a half-written log line behind; resume must drop it.
    writeFileSync(join(b, 'log.jsonl'), readFileSync(join(b, 'log.jsonl'), 'utf8') + '{"step":3,"flow_');
    const resumed = await runTraining(opts(b, 4, true), new LocalEngine());
    expect(resumed.step).toBe(4);
    expect(resumed.params.W0).toEqual(full.params.W0);
    expect(resumed.ema_params.b1).toEqual(full.ema_params.b1);
    expect(resumed.optimizer.m.W1).toEqual(full.optimizer.m.W1);
    const la = readFileSync(join(a, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).flow_mse);
    const lb = readFileSync(join(b, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).flow_mse);
    expect(lb).toEqual(la);
  });

  it('refuses to overwrite a run without --resume, and to resume with other settings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradep-c-'));
    await runTraining(opts(dir, 1), new LocalEngine());
    await expect(runTraining(opts(dir, 2), new LocalEngine())).rejects.toThrow(/checkpoint\.json: a checkpoint already exists; pass --resume/);
    await expect(runTraining({ ...opts(dir, 2, true), batch: 13 }, new LocalEngine())).rejects.toThrow(/hyper\.batch is 12 but this run asks for 13/);
  });

  it('fine-tunes from given weights with a fresh optimizer (init)', async () => {
    const a = mkdtempSync(join(tmpdir(), 'gradep-ft-a-'));
    const b = mkdtempSync(join(tmpdir(), 'gradep-ft-b-'));
    const start = (await runTraining(opts(a, 2), new LocalEngine())).params;
    const ft = await runTraining({ ...opts(b, 1), init: start, lr: 1e-4 }, new LocalEngine());
    expect(ft.step).toBe(1);
    expect(ft.optimizer.t).toBe(1);
    expect(ft.hyper.lr).toBe(1e-4);
    let maxStep = 0;
    for (const k of ['W0', 'b0', 'W1', 'b1', 'bx'] as const) for (let i = 0; i < start[k].length; i++) maxStep = Math.max(maxStep, Math.abs(ft.params[k][i] - start[k][i]));
    // One Adam step from a fresh state moves each weight by at most about lr.
    expect(maxStep).toBeGreaterThan(0);
    expect(maxStep).toBeLessThanOrEqual(1.0001e-4);
  });

  it('rejects malformed checkpoints with file and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradep-d-'));
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ format: 'gradep-checkpoint/0' }));
    expect(() => loadCheckpoint(f)).toThrow(/bad\.json: format: got "gradep-checkpoint\/0", allowed "gradep-checkpoint\/2" \(or "gradep-checkpoint\/1"\)/);
    expect(() => loadCheckpoint(join(dir, 'missing.json'))).toThrow(/missing\.json: checkpoint not found/);
    writeFileSync(f, '{not json');
    expect(() => loadCheckpoint(f)).toThrow(/bad\.json: not valid JSON/);
  });
});
