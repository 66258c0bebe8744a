import { defineConfig } from 'vitest/config';

// `*.serial.test.ts` files measure this process (event-loop delay, heap), so they run after all
// the others, one at a time, with no other test file competing for the cores.
const SERIAL = 'test/**/*.serial.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [SERIAL],
          // Pyodide workers take a few hundred MB each; keep the parallelism modest on 2 cores.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'serial',
          include: [SERIAL],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
