import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// Projects: `sqlite` always; `postgres` too when TEST_DATABASE_URL is set (README: Tests). Both run
// the same files: test/support/store.ts picks the backend from CUSTGATE_TEST_BACKEND.
const project = (name: string): TestProjectInlineConfiguration => ({
  extends: true,
  test: { name, env: { CUSTGATE_TEST_BACKEND: name } },
});
const postgres = process.env.TEST_DATABASE_URL ? [project('postgres')] : [];

export default defineConfig({
  test: {
    include: ['{src,dialects,schemas,test}/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [project('sqlite'), ...postgres],
  },
});
