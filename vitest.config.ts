import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Two cores: files run in parallel forks; heavy tests keep their own budgets small.
    pool: 'forks',
  },
});
