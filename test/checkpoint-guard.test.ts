/** Checkpoints never hold or produce non-finite numbers, load only valid state, save at every allowed size, and old files load. */
import { describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dims } from '../src/circuit/params.js';
import { runTraining, type TrainOptions } from '../src/experiments/train.js';
import { loadCheckpoint, saveCheckpoint } from '../src/learning/checkpoint.js';
import { LocalEngine } from '../src/solvers/engine.js';
import { parseJsonBuffer } from '../src/util/json.js';
import { packagePath } from '../src/util/paths.js';
import { expectRoundTrip } from './helpers/big-checkpoint.js';
import { tinyRun, V1_CHECKPOINT } from './helpers/tiny-run.js';

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

  // The same path at a size the everyday run can afford: more than one of the writer's 4 MiB chunks,
  // read back through the byte parser used past 256 MiB. The >512 MiB case is test/slow/checkpoint-large.test.ts.
  it('a checkpoint of more than one write chunk (64-250-250, ~6 MB) saves and loads bit-exactly, also through the byte parser', () => {
    const d: Dims = { nx: 64, n1: 250, n2: 250 };
    expectRoundTrip(d, 2 ** 22, (file) => {
      const bytes = readFileSync(file);
      expect(JSON.stringify(parseJsonBuffer(bytes))).toBe(JSON.stringify(JSON.parse(bytes.toString('utf8'))));
    });
  });
});
