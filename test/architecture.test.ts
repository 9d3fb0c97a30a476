/**
 * The layout docs/architecture.md describes, checked: dependencies point one way (spec, then
 * chip and build, then model, engines, learning and flow, experiments, report, CLI), there is
 * no import cycle between files, and no function body runs past about 80 lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** Folders of src/ from the bottom up; a file may import only from its own layer or below. */
const LAYERS: string[][] = [
  ['util'],
  ['circuit', 'data'],
  ['chip'],
  ['build'],
  ['dynamics'],
  ['solvers'],
  ['spice'],
  ['learning', 'metrics'],
  ['flow'],
  ['experiments'],
  ['report'],
  ['cli'],
  ['.'], // src/index.ts, the library entry
];
const layerOf = (folder: string) => LAYERS.findIndex((l) => l.includes(folder));
const MAX_BODY_LINES = 80;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file (static, re-exports and dynamic), as absolute .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) out.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  return out;
}

const folderOf = (file: string) => {
  const rel = relative(SRC, file);
  return rel.includes('/') ? rel.split('/')[0] : '.';
};

describe('architecture', () => {
  const files = sources(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));

  it('every src folder has a layer', () => {
    const unknown = [...new Set(files.map(folderOf))].filter((f) => layerOf(f) < 0);
    expect(unknown).toEqual([]);
  });

  it('dependencies point one way: no import reaches a higher layer', () => {
    const up: string[] = [];
    for (const [f, deps] of graph) {
      for (const d of deps) {
        if (layerOf(folderOf(d)) > layerOf(folderOf(f))) up.push(`${relative(SRC, f)} -> ${relative(SRC, d)}`);
      }
    }
    expect(up).toEqual([]);
  });

  it('no import cycle between files', () => {
    // Depth-first search with colours; a grey node reached again closes a cycle.
    const colour = new Map<string, number>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      colour.set(f, 1);
      for (const d of graph.get(f) ?? []) {
        if (colour.get(d) === 1) cycles.push([...path.slice(path.indexOf(d)), d].map((p) => relative(SRC, p)).join(' -> '));
        else if (!colour.get(d)) visit(d, [...path, d]);
      }
      colour.set(f, 2);
    };
    for (const f of files) if (!colour.get(f)) visit(f, [f]);
    expect(cycles).toEqual([]);
  });

  it(`no function body longer than ${MAX_BODY_LINES} lines`, () => {
    const long: string[] = [];
    for (const f of files) {
      const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node) => {
        if (ts.isFunctionLike(n) && 'body' in n && n.body) {
          const body = n.body as ts.Node;
          const lines = sf.getLineAndCharacterOfPosition(body.getEnd()).line - sf.getLineAndCharacterOfPosition(body.getStart()).line;
          if (lines > MAX_BODY_LINES) long.push(`${relative(SRC, f)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1} (${lines} lines)`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(long).toEqual([]);
  });
});
