// Documentation checks: every relative link in the markdown resolves, no file refers to
// material outside the repository, and the README stays short.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Files (git pathspecs) checked for mentions of material outside the repository: all of them. */
export const NO_OUTSIDE_REFERENCE_GLOBS = ['.'];

/** Never checked: third-party code and the lock file. */
const EXCLUDED = [/^node_modules\//, /(^|\/)node_modules\//, /^package-lock\.json$/];

/** Names of files that live outside the repository (spelled in pieces so that this file does
 *  not match itself once the globs above are widened). */
const OUTSIDE_REFERENCES = ['PAPER' + '.md', 'PERF' + '-NOTES', '..' + '/shared'];

/** README.md must stay under this many bytes. */
const README_MAX_BYTES = 12 * 1024;

/** Tracked files (plus new files not ignored by git) matching the pathspecs. */
function repoFiles(pathspecs: string[]): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', ...pathspecs], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const files = [...new Set(out.split('\0').filter((f) => f.length > 0))];
  return files.filter((f) => !EXCLUDED.some((re) => re.test(f)) && existsSync(join(ROOT, f))).sort();
}

/** Relative link targets of a markdown text (inline links and images), without code. */
function relativeLinks(md: string): string[] {
  const text = md
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '') // fenced code
    .replace(/^(?: {4}|\t).*$/gm, '') // indented code
    .replace(/`[^`\n]*`/g, ''); // inline code
  const links: string[] = [];
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1];
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:, ...
    if (target.startsWith('#')) continue; // an anchor in the same file
    links.push(target);
  }
  return links;
}

describe('documentation', () => {
  const markdown = repoFiles(['*.md']);

  it('finds the markdown files', () => {
    expect(markdown).toContain('README.md');
    expect(markdown).toContain('reports/README.md');
  });

  it('every relative link in every markdown file resolves to a file or directory', () => {
    const broken: string[] = [];
    for (const file of markdown) {
      const md = readFileSync(join(ROOT, file), 'utf8');
      for (const link of relativeLinks(md)) {
        const path = decodeURIComponent(link.split('#')[0].split('?')[0]);
        const target = path.startsWith('/') ? join(ROOT, path) : resolve(ROOT, dirname(file), path);
        if (!existsSync(target)) broken.push(`${file}: ${link}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it(`no file matching ${NO_OUTSIDE_REFERENCE_GLOBS.join(', ')} mentions files outside the repository`, () => {
    const files = repoFiles(NO_OUTSIDE_REFERENCE_GLOBS);
    expect(files.length).toBeGreaterThan(0);
    const found: string[] = [];
    for (const file of files) {
      const full = join(ROOT, file);
      if (!statSync(full).isFile()) continue;
      const buf = readFileSync(full);
      if (buf.includes(0)) continue; // binary
      const text = buf.toString('utf8');
      for (const name of OUTSIDE_REFERENCES) if (text.includes(name)) found.push(`${file}: ${name}`);
    }
    expect(found).toEqual([]);
  });

  it(`README.md is under ${README_MAX_BYTES} bytes`, () => {
    expect(statSync(join(ROOT, 'README.md')).size).toBeLessThan(README_MAX_BYTES);
  });
});
