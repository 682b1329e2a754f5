import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/open-store.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// DATABASE_URL may carry node-postgres's `options` (Neon's `?options=endpoint%3D…`, an
// application_name). Before: node-postgres let the URL's `options` replace the pool's own, so
// CUSTGATE_PG_SCHEMA, CUSTGATE_PG_STATEMENT_TIMEOUT_MS and the lock timeout were silently
// dropped: the tables were made in the server's search_path (seen: 27 tables in public while
// CUSTGATE_PG_SCHEMA named another schema). Here the URL's search_path names a schema that does
// not exist, so without the fix the migrations refuse to start instead of writing anywhere shared.

describe.skipIf(testBackend() !== 'postgres')('a DATABASE_URL with options', () => {
  it("keeps CUSTGATE_PG_SCHEMA and the timeouts, and the URL's own options", async () => {
    const env = testDatabaseEnv();
    const url = new URL(env.DATABASE_URL!);
    url.searchParams.set('options', '-c application_name=custgate-url-options -c search_path=custgate_nowhere_url_options');
    const store = await openStore({ ...env, DATABASE_URL: url.toString(), CUSTGATE_PG_STATEMENT_TIMEOUT_MS: '4321' });
    try {
      const [row] = await store.executor.all<{ schema: string; app: string; timeout: string }>(
        CompiledQuery.raw(
          "SELECT current_schema() AS schema, current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout",
          [],
        ),
      );
      expect(row).toEqual({ schema: env.CUSTGATE_PG_SCHEMA, app: 'custgate-url-options', timeout: '4321ms' });
      expect(await store.countTenants()).toBe(0);
    } finally {
      await store.executor.close();
    }
  });
});
