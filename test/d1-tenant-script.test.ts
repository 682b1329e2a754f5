import { expect, it } from 'vitest';
import { createApp, createTenant } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import { Store } from '../src/store/index.ts';
import { ScriptExecutor } from '../src/store/sql-script.ts';
import { SqliteExecutor } from '../src/store/sqlite.ts';
import { testEnv } from './support/gateway.ts';

// `custgate tenant create --d1` hands wrangler a SQL file instead of writing through a driver.
// Run that file on SQLite (D1's engine) and the tenant must work exactly as one written directly.

it('a tenant written as a SQL script authenticates, with its name kept verbatim', async () => {
  const config = loadConfig(testEnv);
  const name = `O'Brien "&" Co'); drop table tenants; --`;
  const recorder = new ScriptExecutor();
  const created = await createTenant(new Store(recorder), config, name);

  const sqlite = new SqliteExecutor({ path: ':memory:' });
  await sqlite.migrate();
  sqlite.db.exec(recorder.script());
  const store = new Store(sqlite);
  expect(await store.findTenant(created.tenant.id)).toMatchObject({ name });

  const app = createApp({ store, config });
  const key = created.credentials.wooshpay!.secret_key!;
  const res = await app.request('/v1/customers', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Scripted' }),
  });
  expect(res.status).toBe(200);
  expect(recorder.script()).not.toContain(key);
  await sqlite.close();
});
