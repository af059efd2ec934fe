import { defineConfig } from 'vitest/config';

// Three suites, all run by `npm test` (scripts/test.mjs):
//   unit    - pure TypeScript in Node
//   gpu     - WGSL kernels in Node through Dawn (the `webgpu` package) on SwiftShader
//   browser - headless Debian Chromium driven by playwright-core against the built app
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'gpu',
          include: ['test/gpu/**/*.test.ts'],
          environment: 'node',
          setupFiles: ['test/gpu/setup.ts'],
          pool: 'forks',
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
