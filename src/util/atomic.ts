import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Write a file atomically: write a sibling temp file, fsync it, rename over the target.
 * A crash leaves either the old file or the new one, never half of one.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    // A failed write or rename (full disk, target a directory) must not leave the temp file behind.
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Write a file atomically from pieces of text: `produce` calls `put` with each piece, and they
 * reach the temp file in chunks of a few MB, so the file may be larger than the largest string
 * V8 can build. If `produce` throws, the temp file is removed and the target is left as it was.
 */
export function writeFileAtomicStream(path: string, produce: (put: (s: string) => void) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w');
  let ok = false;
  try {
    let parts: string[] = [];
    let size = 0;
    const flush = () => {
      const b = Buffer.from(parts.join(''));
      for (let off = 0; off < b.length; ) off += writeSync(fd, b, off);
      parts = [];
      size = 0;
    };
    produce((s) => {
      parts.push(s);
      size += s.length;
      if (size >= 1 << 22) flush();
    });
    flush();
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) rmSync(tmp, { force: true });
  }
  renameSync(tmp, path);
}

/**
 * Append one line to a JSONL file. A crash can leave a cut last line; start on a fresh line
 * so the next record is not glued to it (readers skip lines that do not parse).
 */
export function appendLine(path: string, line: string): void {
  let sep = '';
  if (existsSync(path)) {
    const size = statSync(path).size;
    if (size > 0) {
      const fd = openSync(path, 'r');
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, size - 1);
      closeSync(fd);
      if (b[0] !== 0x0a) sep = '\n';
    }
  }
  appendFileSync(path, sep + line + '\n');
}

/**
 * Remove the temp files of writes in `dir` cut short by a killed process (name.PID.MS.tmp,
 * PID no longer running): a rerun into the same directory then leaves exactly its own files.
 */
export function removeDeadTemps(dir: string): void {
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) {
    const m = /\.(\d+)\.\d+\.tmp$/.exec(f);
    if (!m) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(dir, f), { force: true });
    }
  }
}
