/**
 * Per-point locks, so that several `gradep sweep` processes can share one output directory
 * as a work queue: DIR/locks/<key>.lock is created exclusively (open with "wx", atomic on
 * local and NFSv3+ filesystems) and holds the owner's pid and host. A lock whose owner is a
 * dead process on this host is stale and is taken over; owners on other hosts cannot be
 * checked, so their locks stand until removed by hand.
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface LockOwner {
  pid: number;
  host: string;
}

export const lockPath = (dir: string, key: string) => join(dir, 'locks', `${key}.lock`);

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch {
    return null; // gone, or being written: treat as held
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file left empty (its owner was killed between creating and writing it) is stale after this long. */
const UNREADABLE_STALE_MS = 10_000;

export type LockState = { state: 'free' } | { state: 'stale' | 'held'; owner: LockOwner | null };

/** Free, held, or stale: its owner died on this host (or never wrote itself into the file). */
export function lockState(dir: string, key: string): LockState {
  const path = lockPath(dir, key);
  let mtime: number;
  try {
    mtime = statSync(path).mtimeMs;
  } catch {
    return { state: 'free' };
  }
  const owner = readOwner(path);
  if (!owner) return { state: Date.now() - mtime > UNREADABLE_STALE_MS ? 'stale' : 'held', owner };
  return { state: owner.host === hostname() && !alive(owner.pid) ? 'stale' : 'held', owner };
}

const sameOwner = (a: LockOwner | null, b: LockOwner | null) => (a === null ? b === null : b !== null && a.pid === b.pid && a.host === b.host);

/** Create the lock file exclusively; false if it exists. */
function create(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    // One write: a reader sees the whole owner or an empty file (treated as held).
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Move a stale lock aside. Renaming is atomic, so of two processes taking over the same lock
 * one moves it; if what was moved is not the stale owner (another process took it over
 * first and holds it now), it is not ours to remove and is put back.
 */
function removeStale(path: string, stale: LockOwner | null): void {
  const aside = `${path}.${process.pid}.stale`;
  try {
    renameSync(path, aside);
  } catch {
    return; // already moved by another process
  }
  const moved = readOwner(aside);
  if (!sameOwner(moved, stale)) {
    try {
      linkSync(aside, path); // fails rather than replace a lock created meanwhile
    } catch {
      // a third process holds the point now
    }
  }
  rmSync(aside, { force: true });
}

/** Take the lock of point `key`: a release function, or the state of the lock another process holds. */
export function tryLock(dir: string, key: string): { release: () => void } | LockState {
  const path = lockPath(dir, key);
  mkdirSync(join(dir, 'locks'), { recursive: true });
  let st: LockState = { state: 'free' };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(path)) return { release: () => rmSync(path, { force: true }) };
    st = lockState(dir, key);
    if (st.state === 'held') return st;
    if (st.state === 'stale') removeStale(path, st.owner);
  }
  return st;
}

/**
 * Remove the stale locks in DIR/locks: a process killed after appending its result but before
 * releasing the lock leaves one on a finished point, which no later run would touch.
 */
export function removeStaleLocks(dir: string): void {
  const locks = join(dir, 'locks');
  if (!existsSync(locks)) return;
  for (const f of readdirSync(locks)) {
    if (!f.endsWith('.lock')) continue;
    const st = lockState(dir, f.slice(0, -'.lock'.length));
    if (st.state === 'stale') removeStale(join(locks, f), st.owner);
  }
}
