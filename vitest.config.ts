import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The slow tier (`npm run test:slow`, vitest.slow.config.ts; CI runs it after `npm test`):
    // the few inherently large cases, kept out of the everyday run.
    exclude: ['test/slow/**', '**/node_modules/**'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two cores: files run in parallel forks; heavy tests keep their own budgets small.
    pool: 'forks',
    // Two files at a time on two cores (vitest's default leaves one core idle); many tests wait
    // on spawned CLI processes and worker threads rather than compute.
    maxWorkers: 2,
  },
});
