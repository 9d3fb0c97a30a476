/**
 * Running a sweep: this shard's points not yet in DIR/results.jsonl, on a pool of engines.
 * Each point is run under its lock (lock.ts), so several processes may share one directory:
 * each runs the points nobody holds, and waits for those others hold.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type RelaxEngine } from '../../solvers/engine.js';
import { appendLine, writeFileAtomic } from '../../util/atomic.js';
import { DivergedError, GradepError } from '../../util/errors.js';
import { firstNonFinite } from '../../util/json.js';
import { runPoint } from './actions.js';
import { SweepContext } from './context.js';
import { currentKeys } from './keys.js';
import { type LockOwner, lockState, removeStaleLocks, tryLock } from './lock.js';
import { clearOutdatedPoint } from './point-dir.js';
import { type SweepPoint, sweepPoints } from './points.js';
import { readResults, type SweepLine } from './results.js';
import { type SweepSpec } from './spec.js';

export type SweepEvent = { type: 'point'; done: number; total: number; result: SweepLine; cached: boolean } | { type: 'note'; message: string };

/** How often points held by other processes are checked while waiting for them. */
const POLL_MS = 500;

interface Run {
  outDir: string;
  ctx: SweepContext;
  total: number;
  results: SweepLine[];
  onEvent: (e: SweepEvent) => void;
}

function record(run: Run, p: SweepPoint, r: SweepLine, cached: boolean): void {
  // Numbered and labelled as the point is now (values added to or dropped from the file renumber
  // points; a re-expressed field keeps the key but changes the label).
  const line = { ...r, index: p.index, overrides: p.overrides };
  run.results.push(line);
  run.onEvent({ type: 'point', done: run.results.length, total: run.total, result: line, cached });
}

/**
 * Run one point; a relaxation that diverged (a non-finite loss, metric or gradient) makes a
 * failed point, recorded with its error and no numbers, so the rest of the sweep completes.
 */
async function computePoint(p: SweepPoint, run: Run, engine: RelaxEngine): Promise<SweepLine> {
  const t0 = performance.now();
  const failed = (error: string): SweepLine => ({ key: p.key, index: p.index, overrides: p.overrides, chip_seed: p.chip_seed, action: p.action, error, metrics: null, seconds: (performance.now() - t0) / 1000 });
  try {
    const r = await runPoint(p, run.ctx, engine);
    const bad = firstNonFinite(r, '');
    return bad ? failed(`${bad.path} is ${bad.value} (the relaxation diverged)`) : r;
  } catch (e) {
    if (e instanceof DivergedError) return failed(e.message);
    throw e;
  }
}

/** Run `p` if no other process holds it: true when it is done (here or by another process meanwhile). */
async function runLocked(p: SweepPoint, run: Run, engine: RelaxEngine): Promise<boolean> {
  const lock = tryLock(run.outDir, p.key);
  if (!('release' in lock)) return false;
  try {
    // Another process may have finished it since this one read results.jsonl.
    const finished = readResults(run.outDir).get(p.key);
    if (finished) {
      record(run, p, finished, true);
      return true;
    }
    const note = clearOutdatedPoint(run.outDir, p.key);
    if (note) run.onEvent({ type: 'note', message: note });
    const r = await computePoint(p, run, engine);
    // One write per line (appendLine), and the lock released only after it: whoever takes
    // the lock next finds the result.
    appendLine(join(run.outDir, 'results.jsonl'), JSON.stringify(r));
    record(run, p, r, false);
    return true;
  } finally {
    lock.release();
  }
}

/** Run what can be locked, `jobs` at a time; the points other processes hold are returned. */
async function runAvailable(todo: SweepPoint[], run: Run, jobs: number, makeEngine: () => Promise<RelaxEngine>): Promise<SweepPoint[]> {
  const held: SweepPoint[] = [];
  let next = 0;
  const worker = async () => {
    const engine = await makeEngine();
    try {
      while (next < todo.length) {
        const p = todo[next++];
        if (!(await runLocked(p, run, engine))) held.push(p);
      }
    } finally {
      await engine.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, todo.length)) }, worker));
  return held;
}

/**
 * Wait for points other processes hold: those finished are read back; those freed (their
 * owner failed, or died on this host) are returned to run here. Owners on other hosts
 * cannot be checked, so their points are not waited for: they are returned as `remote`.
 */
async function waitForHeld(held: SweepPoint[], run: Run): Promise<{ free: SweepPoint[]; remote: { p: SweepPoint; owner: LockOwner | null }[] }> {
  const remote: { p: SweepPoint; owner: LockOwner | null }[] = [];
  let waiting = held;
  for (;;) {
    const free: SweepPoint[] = [];
    const still: SweepPoint[] = [];
    const fresh = readResults(run.outDir);
    for (const p of waiting) {
      const r = fresh.get(p.key);
      const lock = r ? null : lockState(run.outDir, p.key);
      if (r) record(run, p, r, true);
      else if (!lock || lock.state !== 'held') free.push(p);
      else if (lock.owner && lock.owner.host !== hostname()) remote.push({ p, owner: lock.owner });
      else still.push(p);
    }
    if (free.length || !still.length) return { free: [...free, ...still], remote };
    waiting = still;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Run this shard's points that DIR/results.jsonl does not hold yet, `jobs` at a time. */
export async function runSweep(spec: SweepSpec, file: string, outDir: string, shard: { i: number; n: number }, jobs: number, makeEngine: () => Promise<RelaxEngine>, onEvent: (e: SweepEvent) => void = () => {}): Promise<SweepLine[]> {
  mkdirSync(outDir, { recursive: true });
  // Keyed by the checkpoint's contents (keys.ts); sweep.json records how, for the report.
  const keys = currentKeys(spec, file);
  writeFileAtomic(join(outDir, 'sweep.json'), JSON.stringify({ file, spec, keys }, null, 1));
  const mine = sweepPoints(spec, file, keys).filter((p) => p.index % shard.n === shard.i);
  removeStaleLocks(outDir);
  const done = readResults(outDir);
  const run: Run = { outDir, ctx: new SweepContext(spec, file, outDir, keys), total: mine.length, results: [], onEvent };
  for (const p of mine) {
    const cached = done.get(p.key);
    if (cached) record(run, p, cached, true);
  }
  let todo = mine.filter((p) => !done.has(p.key));
  const remote: { p: SweepPoint; owner: LockOwner | null }[] = [];
  while (todo.length) {
    // "generate" points that differ only in t1 share one trajectory among the pending points (context.ts).
    run.ctx.pending = todo;
    const held = await runAvailable(todo, run, jobs, makeEngine);
    if (held.length) onEvent({ type: 'note', message: `waiting for ${held.length} point(s) held by other processes: ${held.map((p) => `#${p.index}`).join(', ')}` });
    const w = held.length ? await waitForHeld(held, run) : { free: [], remote: [] };
    remote.push(...w.remote);
    todo = w.free;
  }
  if (remote.length) {
    const who = remote.map(({ p, owner }) => `#${p.index} (${owner ? `pid ${owner.pid} on ${owner.host}` : 'unknown owner'})`).join(', ');
    throw new GradepError(`${outDir}: ${remote.length} point(s) still held by processes on other hosts: ${who}; their results reach results.jsonl when they finish (if such a process is gone, remove its file in ${join(outDir, 'locks')} and run again)`);
  }
  return run.results.sort((a, b) => a.index - b.index);
}
