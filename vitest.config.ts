import { defineConfig } from 'vitest/config';

// Two projects, one `vitest run`: everything on Node, and the suites that must hold on both
// runtimes again inside workerd with D1 (vitest.workers.config.ts says which).

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['{src,dialects,schemas,test}/**/*.test.ts'],
          exclude: ['test/workers/**'],
        },
      },
      './vitest.workers.config.ts',
    ],
  },
});
