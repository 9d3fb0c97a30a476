#!/usr/bin/env node
/**
 * Writes assembly/layout.ts, the context-block offsets of the WebAssembly kernels, from
 * src/solvers/kernel-layout.json (the table CTX in src/solvers/wasm-layout.ts is read from
 * too). Run by `npm run build:wasm` before asc; the output is committed, and
 * test/kernel-layout.test.ts checks it equals a fresh generation.
 *
 *   node scripts/gen-kernel-layout.mjs          write assembly/layout.ts if it differs
 *   node scripts/gen-kernel-layout.mjs --check  exit 1 if it differs, write nothing
 *
 * Plain Node ESM, no dependencies.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TABLE_PATH = 'src/solvers/kernel-layout.json';
export const OUT_PATH = 'assembly/layout.ts';

/** The table, parsed. */
export function readTable() {
  return JSON.parse(readFileSync(resolve(ROOT, TABLE_PATH), 'utf8'));
}

/** Name of an entry in the kernels: slot offsets (O_) and vectors (V_) keep theirs, the rest get C_. */
export function kernelName(name) {
  return /^[OV]_/.test(name) ? name : `C_${name}`;
}

/** Text of assembly/layout.ts for a table. */
export function render(table) {
  const lines = [
    `// Generated from ${TABLE_PATH} by scripts/gen-kernel-layout.mjs: do not edit.`,
    '// Context block of the kernels: byte offsets from ctx, "type: comment" after each.',
    '',
  ];
  for (const [name, e] of Object.entries(table.entries)) {
    if (e.section) {
      if (lines[lines.length - 1] !== '') lines.push('');
      lines.push(`// ${e.section}`);
    }
    lines.push(`export const ${kernelName(name)} = ${e.offset}; // ${e.type}: ${e.comment}`);
  }
  lines.push('', `export const ${kernelName('SIZE')} = ${table.size}; // bytes of the whole block`, '');
  return lines.join('\n');
}

function main(argv) {
  const out = resolve(ROOT, OUT_PATH);
  const text = render(readTable());
  let old = null;
  try {
    old = readFileSync(out, 'utf8');
  } catch {
    // absent: written below (or reported stale under --check)
  }
  if (old === text) return 0;
  if (argv.includes('--check')) {
    console.error(`${OUT_PATH} is out of date with ${TABLE_PATH}: run node scripts/gen-kernel-layout.mjs`);
    return 1;
  }
  writeFileSync(out, text);
  console.log(`wrote ${OUT_PATH}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
