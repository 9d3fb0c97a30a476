/** A checkpoint of any layer sizes filled with deterministic values, for the checkpoint size tests. */
import { type Dims, type Params, zeroParams } from '../../src/circuit/params.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from '../../src/learning/checkpoint.js';
import { tiny, V1_CHECKPOINT } from './tiny-run.js';

const KEYS = ['W0', 'b0', 'W1', 'b1', 'bx'] as const;

/** The v1 fixture resized to `d`: params, EMA and Adam m and v filled (v >= 0), optimizer step 7. */
export function bigCheckpoint(d: Dims): { ck: Checkpoint; params: Params; v: Params } {
  const circuit = structuredClone(tiny);
  circuit.layers = { visible: d.nx, hidden1: d.n1, hidden2: d.n2 };
  const fill = (seed: number) => {
    const p = zeroParams(d);
    let x = seed;
    for (const k of KEYS) for (let i = 0; i < p[k].length; i++) p[k][i] = Math.sin((x += 1.2345)) * 0.731;
    return p;
  };
  const params = fill(1);
  const v = fill(2);
  for (const k of KEYS) for (let i = 0; i < v[k].length; i++) v[k][i] = Math.abs(v[k][i]) * 1e-7;
  const ck: Checkpoint = { ...loadCheckpoint(V1_CHECKPOINT), circuit, params, ema_params: fill(3), optimizer: { t: 7, m: fill(4), v } };
  return { ck, params, v };
}

/**
 * Saves bigCheckpoint(d), checks the file is larger than `minBytes`, runs `onFile` on it (extra
 * checks), and loads it back: layers, params, Adam v and the step must come back bit-exactly.
 */
export function expectRoundTrip(d: Dims, minBytes: number, onFile: (file: string) => void = () => {}): void {
  const { ck, params, v } = bigCheckpoint(d);
  const dir = mkdtempSync(join(tmpdir(), 'gradep-ck-'));
  const file = join(dir, 'checkpoint.json');
  try {
    saveCheckpoint(file, ck);
    expect(statSync(file).size).toBeGreaterThan(minBytes);
    onFile(file);
    const back = loadCheckpoint(file);
    expect(back.circuit.layers).toEqual(ck.circuit.layers);
    for (const k of ['W0', 'W1', 'bx'] as const) {
      expect(Buffer.from(back.params[k].buffer).equals(Buffer.from(params[k].buffer))).toBe(true);
      expect(Buffer.from(back.optimizer.v[k].buffer).equals(Buffer.from(v[k].buffer))).toBe(true);
    }
    expect(back.optimizer.t).toBe(7);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
