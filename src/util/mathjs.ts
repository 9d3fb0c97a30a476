/**
 * mathjs, loaded on first use from its single-file bundle (an entry point mathjs exports).
 * The package's main entry builds its default instance from ~1000 modules: 1.3-1.5 s of every
 * CLI start and test worker (measured, 2-core machine); the bundle loads in ~0.12 s, and
 * commands that never parse a quantity or solve with mathjs do not load it at all.
 */
import { createRequire } from 'node:module';

type MathJs = typeof import('mathjs');

let cached: MathJs | null = null;

export function mathjs(): MathJs {
  cached ??= createRequire(import.meta.url)('mathjs/lib/browser/math.js') as MathJs;
  return cached;
}
