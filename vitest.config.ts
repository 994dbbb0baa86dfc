import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Trainer processes and tfjs already use both cores; two test files at a time is enough.
    maxWorkers: 2,
  },
});
