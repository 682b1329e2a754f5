import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { PostgresExecutor } from '../../src/store/postgres.ts';
import { SqliteExecutor } from '../../src/store/sqlite.ts';
import { loadEnv } from '../../src/config.ts';
import { Store } from '../../src/store/index.ts';

// The one place tests get a store. The `postgres` vitest project (vitest.config.ts) sets
// CUSTGATE_TEST_BACKEND=postgres; its stores live on TEST_DATABASE_URL, each in a schema of its
// own so test files run in parallel on one server, and are dropped when the file ends.

export const testBackend = (): 'sqlite' | 'postgres' => (process.env.CUSTGATE_TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite');

function postgresUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('the postgres test project needs TEST_DATABASE_URL=postgres://…');
  return url;
}

const created: PostgresExecutor[] = [];
const sqliteStores: SqliteExecutor[] = [];

// Registered when the test file imports this module, so it runs once, after the whole file.
afterAll(async () => {
  for (const executor of sqliteStores.splice(0)) await executor.close().catch(() => undefined);
  for (const executor of created.splice(0)) {
    await executor.dropSchema().catch(() => undefined);
    await executor.close().catch(() => undefined);
  }
});

const schemaName = () => `custgate_test_${randomBytes(6).toString('hex')}`;

/**
 * A fresh, migrated store: in-memory SQLite, or an isolated PostgreSQL schema. `env` is the
 * gateway's environment, for the settings the store reads too (CUSTGATE_WRITE_WAIT_MS);
 * `migrateTo` stops at that migration (a database as an older release left it).
 */
export async function testStore(env: Readonly<Record<string, string>> = {}, options: { readonly migrateTo?: string } = {}): Promise<Store> {
  if (testBackend() === 'postgres') {
    const lockTimeoutMs = Number(env.CUSTGATE_WRITE_WAIT_MS ?? 10_000);
    const executor = new PostgresExecutor({ connectionString: postgresUrl(), schema: schemaName(), poolSize: 4, lockTimeoutMs });
    created.push(executor);
    await executor.migrate(options.migrateTo);
    return new Store(executor);
  }
  // A file (env.DATABASE_URL=file:…) gets the writer thread; `:memory:` writes on this thread.
  const target = env.DATABASE_URL ? loadEnv({ DATABASE_URL: env.DATABASE_URL }).DATABASE_URL : undefined;
  const checkpoint = env.CUSTGATE_SQLITE_CHECKPOINT === 'thread' ? 'thread' : 'inline';
  const pages = env.CUSTGATE_SQLITE_CHECKPOINT_PAGES;
  const executor = new SqliteExecutor({
    path: target?.kind === 'sqlite' ? target.path : ':memory:',
    checkpoint,
    ...(env.CUSTGATE_SQLITE_WRITER === 'inline' ? { writer: 'inline' as const } : {}),
    ...(pages === undefined
      ? {}
      : { checkpointPages: loadEnv({ CUSTGATE_SQLITE_CHECKPOINT_PAGES: pages }).CUSTGATE_SQLITE_CHECKPOINT_PAGES }),
  });
  sqliteStores.push(executor);
  await executor.migrate(options.migrateTo);
  return new Store(executor);
}

/**
 * Environment for gateway processes a test starts (DATABASE_URL and friends): a fresh, empty
 * database on the same backend, shared by every process given it. Dropped when the file ends.
 */
export function testDatabaseEnv(): Record<string, string> {
  if (testBackend() === 'postgres') {
    const schema = schemaName();
    created.push(new PostgresExecutor({ connectionString: postgresUrl(), schema, poolSize: 2 }));
    return { DATABASE_URL: postgresUrl(), CUSTGATE_PG_SCHEMA: schema };
  }
  return { DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), 'custgate-test-')), 'custgate.db')}` };
}
