import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { createApp, type CreatedTenant, createTenant } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import { type AnyDialect, GatewayError } from '../src/contract/dialect.ts';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { testBackend } from './support/store.ts';

// Another process holding SQLite's write lock (a backup, `sqlite3` at a prompt, an import): writes
// answer 503 in the dialect's envelope with Retry-After, reads and health keep answering, and
// writes go through again once the lock is released. SQLite only: PostgreSQL has no such lock.

const all = Object.values(dialects) as AnyDialect[];
const collection = (d: AnyDialect) => `${d.routes.prefix}${d.routes.collection}`;

describe.skipIf(testBackend() !== 'sqlite')('SQLite write lock held by another process', () => {
  const env = { ...testEnv, DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), 'custgate-busy-')), 'custgate.db')}` };
  let store: Store;
  let tenant: CreatedTenant;
  let app: ReturnType<typeof createApp>;
  let other: Database.Database;
  const refs = new Map<AnyDialect, string>();

  beforeAll(async () => {
    store = await openStore(env);
    const config = loadConfig(env);
    tenant = await createTenant(store, config, 'busy');
    app = createApp({ store, config, logger: { error: () => undefined } });
    for (const d of all) {
      const res = await app.request(collection(d), jsonInit('POST', fixturesOf(d).create, fixturesOf(d).auth(tenant.credentials[d.name]!)));
      expect(res.status).toBe(d.wire.createdStatus);
      refs.set(d, fixturesOf(d).idOf(await res.json()));
    }
    // A second connection, as another process would have, takes the write lock and keeps it.
    other = new Database(env.DATABASE_URL.slice('file:'.length));
    other.exec('BEGIN IMMEDIATE');
    other.exec("INSERT INTO tenants (id, name, created_at) VALUES ('lock-holder', 'x', '2026-01-01')");
  });

  afterAll(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await store.executor.close();
  });

  it('answers writes 503 with Retry-After in each dialect’s envelope; reads and health still answer', async () => {
    for (const d of all) {
      const headers = fixturesOf(d).auth(tenant.credentials[d.name]!);
      const path = `${collection(d)}/${refs.get(d)}`;
      const write = await app.request(path, jsonInit(d.routes.update, fixturesOf(d).setName('Blocked'), headers));
      expect(write.status, `${d.name}: ${await write.clone().text()}`).toBe(503);
      expect(write.headers.get('retry-after')).toBe('1');
      const own = d.wire.renderError(new GatewayError('unavailable', 'x')).body as object;
      const body = (await write.json()) as { error?: { code?: string } };
      expect(Object.keys(body).sort()).toEqual(Object.keys(own).sort());
      // Another writer holds the store: Stripe's lock_timeout (a lost store is a plain api_error).
      if (d.name === 'wooshpay' || d.name === 'connhex') expect(body.error?.code).toBe('lock_timeout');
      const read = await app.request(path, { headers });
      expect(read.status, d.name).toBe(200);
      expect(fixturesOf(d).name(await read.json())).not.toBe('Blocked');
    }
    expect((await app.request('/gateway/v1/health')).status).toBe(200);
  });

  it('takes writes again once the lock is released', async () => {
    other.exec('ROLLBACK');
    for (const d of all) {
      const headers = fixturesOf(d).auth(tenant.credentials[d.name]!);
      const res = await app.request(`${collection(d)}/${refs.get(d)}`, jsonInit(d.routes.update, fixturesOf(d).setName('Free'), headers));
      expect(res.status, d.name).toBe(200);
    }
  });
});
