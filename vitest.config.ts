import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// One `vitest run`, several projects over the same test files:
// - `sqlite`: everything on Node, store in embedded SQLite;
// - `postgres`: the same again on PostgreSQL, when TEST_DATABASE_URL is set (README: Tests);
//   test/support/store.ts picks the backend from CUSTGATE_TEST_BACKEND;
// - `workers`: the suites that must hold on both runtimes, inside workerd with D1
//   (vitest.workers.config.ts says which).
// Files whose verdict cannot depend on the store: pure mapping and its properties, documents,
// configuration, the worker bundle, and the judges of what goes on the wire (the store behind the
// second gateway only holds what the judge already checked). They run once, in `sqlite`; a new
// file runs on both backends until it is listed here.
const backendIndependent = [
  'bench/*.test.ts',
  'dialects/*/mapping.test.ts',
  'dialects/*/from-patch.test.ts',
  'dialects/shared/*.test.ts',
  'src/auth/*.test.ts',
  'src/core/*.test.ts',
  'src/http/body.test.ts',
  'src/store/prepared.test.ts',
  'src/store/sqlite.test.ts',
  'test/config.test.ts',
  'test/d1-migrations.test.ts',
  'test/heap-growing.test.ts',
  'test/e2e/wooshpay-stripe-sdk.test.ts',
  'test/judge-client-halves.test.ts',
  'test/properties-translate.test.ts',
  'test/seed-openapi.test.ts',
  'test/worker-bundle.test.ts',
  'test/worker-dev.test.ts',
  'test/worker-dev-import.test.ts',
  'test/young-generation.test.ts',
];

const project = (name: string, skip: readonly string[] = []): TestProjectInlineConfiguration => ({
  extends: true,
  test: {
    name,
    include: ['{src,dialects,schemas,test,bench}/**/*.test.ts'],
    exclude: ['test/workers/**', '**/node_modules/**', ...skip],
    env: { CUSTGATE_TEST_BACKEND: name },
  },
});
const postgres = process.env.TEST_DATABASE_URL ? [project('postgres', backendIndependent)] : [];

// Most files wait on child processes (gateways, Prism, wrangler, npm) rather than compute, so
// vitest's default of one worker per core but one leaves a 2-core machine mostly idle.
// CUSTGATE_TEST_WORKERS overrides it (1 reproduces the old serial run).
const workers = Number(process.env.CUSTGATE_TEST_WORKERS ?? 3);

export default defineConfig({
  test: {
    maxWorkers: workers,
    // The CLI the process tests spawn, compiled once per run (docs/internals.md, "Tests").
    globalSetup: ['./test/global-setup.ts'],
    // Each test file runs in a fresh process that imports its packages anew: kysely (about 400
    // ES modules), stripe and fast-check took 1–2 s of every file's import on a loaded machine.
    // Bundled once per run into one module each (Vite's dependency optimizer), they load in a
    // fraction of that (docs/internals.md, "Tests"). CUSTGATE_TEST_OPTIMIZE_DEPS=0 loads them as installed.
    deps: { optimizer: { ssr: { enabled: process.env.CUSTGATE_TEST_OPTIMIZE_DEPS !== '0', include: ['kysely', 'stripe', 'fast-check'] } } },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [project('sqlite'), ...postgres, './vitest.workers.config.ts'],
  },
});
