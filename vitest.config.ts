import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// One `vitest run`, several projects over the same test files:
// - `sqlite`: everything on Node, store in embedded SQLite;
// - `postgres`: the same again on PostgreSQL, when TEST_DATABASE_URL is set (README: Tests);
//   test/support/store.ts picks the backend from CUSTGATE_TEST_BACKEND;
// - `workers`: the suites that must hold on both runtimes, inside workerd with D1
//   (vitest.workers.config.ts says which).
const project = (name: string): TestProjectInlineConfiguration => ({
  extends: true,
  test: {
    name,
    include: ['{src,dialects,schemas,test}/**/*.test.ts'],
    exclude: ['test/workers/**', '**/node_modules/**'],
    env: { CUSTGATE_TEST_BACKEND: name },
  },
});
const postgres = process.env.TEST_DATABASE_URL ? [project('postgres')] : [];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [project('sqlite'), ...postgres, './vitest.workers.config.ts'],
  },
});
