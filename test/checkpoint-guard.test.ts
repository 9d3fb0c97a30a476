/** Checkpoints never hold or produce non-finite numbers, load only valid state, save at every allowed size, and old files load. */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Dims, zeroParams } from '../src/circuit/params.js';
import { runTraining, type TrainOptions } from '../src/experiments/train.js';
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from '../src/learning/checkpoint.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { parseJsonBuffer } from '../src/util/json.js';
import { packagePath } from '../src/util/paths.js';
import { tiny, tinyRun, V1_CHECKPOINT } from './helpers/tiny-run.js';

const V1 = V1_CHECKPOINT;
// The v1 fixture's engine is unknown, so resuming it needs the override.
const opts = (outDir: string, steps: number, resume = false): TrainOptions => tinyRun(outDir, steps, resume, { overrideCircuit: true });

/** A copy of the v1 fixture with `f` applied to its raw JSON. */
function edited(f: (raw: Record<string, any>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'gradep-bad-'));
  const raw = JSON.parse(readFileSync(V1, 'utf8'));
  f(raw);
  const file = join(dir, 'checkpoint.json');
  writeFileSync(file, JSON.stringify(raw));
  return file;
}

describe('checkpoint loading validates every field', () => {
  it('loads the committed gradep-checkpoint/1 fixture and the committed report checkpoints', () => {
    const ck = loadCheckpoint(V1);
    expect(ck.step).toBe(2);
    expect(ck.seeds).toEqual({ run: 5, chip: null });
    expect(ck.engine).toBeNull();
    expect(ck.overrides).toEqual([]);
    expect(ck.params.W0.length).toBe(6 * 64);
    for (const f of ['reports/paper/checkpoint.json', 'reports/quick/checkpoint.json']) expect(loadCheckpoint(packagePath(f)).step).toBeGreaterThan(0);
  });

  it('rejects a missing or out-of-range hyper field, naming it and its range', () => {
    expect(() => loadCheckpoint(edited((r) => delete r.hyper.lambda))).toThrow(/checkpoint\.json: hyper\.lambda: got undefined, allowed/);
    expect(() => loadCheckpoint(edited((r) => (r.hyper.lr = -1)))).toThrow(/hyper\.lr: got -1, allowed a number in \(0, 1\]/);
    expect(() => loadCheckpoint(edited((r) => (r.hyper.pairing = 'random')))).toThrow(/hyper\.pairing: got "random", allowed "ot" or "independent"/);
    expect(() => loadCheckpoint(edited((r) => (r.hyper.adam_beta2 = 1)))).toThrow(/hyper\.adam_beta2: got 1, allowed/);
    expect(() => loadCheckpoint(edited((r) => (r.hyper.lambda = 10)))).toThrow(/hyper\.lambda: got 10, allowed 15 \(the circuit's spring\.lambda\)/);
  });

  it('rejects invalid optimizer state', () => {
    expect(() => loadCheckpoint(edited((r) => (r.optimizer.t = -3)))).toThrow(/checkpoint\.json: optimizer\.t: got -3, allowed an integer >= 0/);
    expect(() => loadCheckpoint(edited((r) => (r.optimizer.t = 1.5)))).toThrow(/optimizer\.t: got 1\.5/);
    expect(() => loadCheckpoint(edited((r) => (r.optimizer.v.b0[2] = -1e-9)))).toThrow(/optimizer\.v\.b0\[2\]: got -1e-9, allowed a finite number >= 0/);
    expect(() => loadCheckpoint(edited((r) => (r.optimizer.m.W1[0][1] = null)))).toThrow(/optimizer\.m\.W1\[0\]\[1\]: expected a finite number/);
  });
});

describe('non-finite numbers stop a run; the last good checkpoint is kept', () => {
  it('a weight of 1e300: the step that diverges stops with a one-line error, nothing non-finite is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradep-nan-'));
    const ck = join(dir, 'checkpoint.json');
    copyFileSync(edited((r) => (r.params.W0[0][0] = 1e300)), ck);
    writeFileSync(join(dir, 'log.jsonl'), '');
    await expect(runTraining(opts(dir, 4, true), new LocalEngine())).rejects.toThrow(/^step 3: (flow_mse|the gradient [A-Za-z0-9]+) is (NaN|Infinity|-Infinity) \(the relaxation diverged\); the last good checkpoint \(step 2\) is kept in .*checkpoint\.json$/);
    const text = readFileSync(ck, 'utf8');
    expect(text).not.toMatch(/null|NaN|Infinity/);
    expect(JSON.parse(text).step).toBe(2);
    expect(readFileSync(join(dir, 'log.jsonl'), 'utf8')).toBe('');
  });

  it('saveCheckpoint refuses a non-finite number and leaves the old file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradep-save-'));
    const file = join(dir, 'checkpoint.json');
    copyFileSync(V1, file);
    const ck = loadCheckpoint(file);
    saveCheckpoint(file, ck);
    const good = readFileSync(file, 'utf8');
    ck.ema_params.b1[1] = NaN;
    expect(() => saveCheckpoint(file, ck)).toThrow(/checkpoint\.json: ema_params\.b1\[1\] is NaN; not written \(the previous checkpoint is kept\)/);
    expect(readFileSync(file, 'utf8')).toBe(good);
  });
});

describe('checkpoints of any allowed size save and load', () => {
  it('parseJsonBuffer reads what JSON.parse reads', () => {
    const text = readFileSync(V1, 'utf8');
    expect(parseJsonBuffer(Buffer.from(text))).toEqual(JSON.parse(text));
    const odd = ' { "a\\"]" : [ 1 , -2.5e-7 , [ ] , { } , "x]y\\u00e9", true, false, null ], "é": -0 } ';
    expect(parseJsonBuffer(Buffer.from(odd))).toEqual(JSON.parse(odd));
    expect(() => parseJsonBuffer(Buffer.from('{"a": [1, 2'))).toThrow(/position/);
  });

  it('a checkpoint whose JSON exceeds the largest string V8 allows saves and loads bit-exactly', () => {
    // 64-2600-2600: about 28 million numbers, over 512 MiB of JSON (the old JSON.stringify limit).
    const d: Dims = { nx: 64, n1: 2600, n2: 2600 };
    const circuit = structuredClone(tiny);
    circuit.layers = { visible: 64, hidden1: d.n1, hidden2: d.n2 };
    const base = loadCheckpoint(V1);
    const fill = (seed: number) => {
      const p = zeroParams(d);
      let x = seed;
      for (const k of ['W0', 'b0', 'W1', 'b1', 'bx'] as const) for (let i = 0; i < p[k].length; i++) p[k][i] = Math.sin((x += 1.2345)) * 0.731;
      return p;
    };
    const params = fill(1);
    const v = fill(2);
    for (const k of ['W0', 'b0', 'W1', 'b1', 'bx'] as const) for (let i = 0; i < v[k].length; i++) v[k][i] = Math.abs(v[k][i]) * 1e-7;
    const ck: Checkpoint = { ...base, circuit, params, ema_params: fill(3), optimizer: { t: 7, m: fill(4), v } };
    const dir = mkdtempSync(join(tmpdir(), 'gradep-big-'));
    const file = join(dir, 'checkpoint.json');
    try {
      saveCheckpoint(file, ck);
      expect(statSync(file).size).toBeGreaterThan(2 ** 29);
      const back = loadCheckpoint(file);
      expect(back.circuit.layers).toEqual(circuit.layers);
      for (const k of ['W0', 'W1', 'bx'] as const) {
        expect(Buffer.from(back.params[k].buffer).equals(Buffer.from(params[k].buffer))).toBe(true);
        expect(Buffer.from(back.optimizer.v[k].buffer).equals(Buffer.from(v[k].buffer))).toBe(true);
      }
      expect(back.optimizer.t).toBe(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
