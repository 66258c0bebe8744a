import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Pyodide workers take a few hundred MB each; keep the parallelism modest on 2 cores.
    maxWorkers: 2,
    pool: 'forks',
  },
});
