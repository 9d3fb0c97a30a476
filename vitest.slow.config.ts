import { defineConfig } from 'vitest/config';

/** The slow tier: `npm run test:slow` (after `npm test`, which builds dist/ for the CLI runs). */
export default defineConfig({
  test: {
    include: ['test/slow/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
