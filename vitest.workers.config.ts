import { fileURLToPath } from 'node:url';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig, type Plugin } from 'vitest/config';

// The workers project: these suites run inside workerd (miniflare), with wrangler.toml's D1
// binding migrated from migrations/. A suite that must hold on both runtimes is listed here and
// gets its store from test/support/store.ts, which this project swaps for the D1 one.

// Offline: miniflare would otherwise fetch Cloudflare's `cf` request metadata, and wrangler send metrics.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
process.env.WRANGLER_SEND_METRICS = 'false';

const sharedSuites = [
  'test/contract.test.ts',
  'test/cross-dialect*.test.ts',
  'test/store-atomic.test.ts',
  'test/held-limits.test.ts',
  'test/properties-read-echo.test.ts',
  'test/properties-translate.test.ts',
  'test/seams*.test.ts',
];

const workerdRuns = 40;

const path = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
const nodeStore = path('./test/support/store.ts');
const d1Store = path('./test/support/store-d1.ts');

/** Resolves every import of test/support/store.ts, however it is spelled, to the D1 version. */
function d1TestStore(): Plugin {
  return {
    name: 'custgate:d1-test-store',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!source.includes('store')) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      return resolved?.id === nodeStore ? d1Store : null;
    },
  };
}

export default defineConfig({
  plugins: [
    d1TestStore(),
    cloudflareTest(async () => ({
      main: './src/entries/worker.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          NODE_ENV: 'test',
          // The property suites' runs per dialect pair in workerd (test/support/read-echo.ts,
          // translate-complete.ts read them from process.env, which workerd fills from these
          // bindings). They run 200 per pair on Node, where a mapping bug shows on any runtime;
          // workerd adds its runtime and D1, which every run's populated customer goes through.
          // The same variables set for the run give workerd that many too (docs/seams.md).
          CUSTGATE_ECHO_RUNS: process.env.CUSTGATE_ECHO_RUNS ?? String(workerdRuns),
          CUSTGATE_TRANSLATE_RUNS: process.env.CUSTGATE_TRANSLATE_RUNS ?? String(workerdRuns),
          // A seed to replay a failure with (test/support/property-runs.ts); unset, each run draws anew.
          ...(process.env.CUSTGATE_PROPERTY_SEED ? { CUSTGATE_PROPERTY_SEED: process.env.CUSTGATE_PROPERTY_SEED } : {}),
          ...(process.env.CUSTGATE_PROPERTY_PATH ? { CUSTGATE_PROPERTY_PATH: process.env.CUSTGATE_PROPERTY_PATH } : {}),
          TEST_MIGRATIONS: await readD1Migrations(path('./migrations')),
        },
      },
    })),
  ],
  test: {
    name: 'workers',
    include: [...sharedSuites, 'test/workers/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
