import { applyD1Migrations, env } from 'cloudflare:test';
import { D1Executor } from '../../src/store/d1.ts';
import { Store } from '../../src/store/index.ts';

// The workers project (vitest.workers.config.ts) puts this module in place of store.ts, so every
// suite that gets its store from testStore() runs unchanged on workerd + D1.

/**
 * The D1 binding of wrangler.toml, migrated with the files in migrations/ (exactly what
 * `wrangler d1 migrations apply` would run). The database is shared by the suites of a test file;
 * they stay apart because every test gateway makes its own tenants.
 */
export async function testStore(): Promise<Store> {
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  return new Store(new D1Executor(env.DB));
}
