import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/open-store.ts';
import type { Store } from '../src/store/index.ts';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { type AnyDialect, GatewayError } from '../src/contract/dialect.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { createApp, type CreatedTenant, createTenant } from './support/registered.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// The database goes away under a request: PostgreSQL restarted or failed over (a fast shutdown
// ends every backend with SQLSTATE 57P01), or an operator's pg_terminate_backend. Before: the
// request in flight was a 500 "An unexpected error occurred" logged as unhandled_error, though
// nothing in it was wrong and its transaction was rolled back. Here the update waits on a row lock
// another connection holds, and its own backend (the one that lock blocks) is terminated.

describe.skipIf(testBackend() !== 'postgres')('a PostgreSQL connection ended under a request', () => {
  const env: Record<string, string> = { ...testEnv, ...testDatabaseEnv() };
  const logged: string[] = [];
  let store: Store;
  let tenant: CreatedTenant;
  let app: ReturnType<typeof createApp>;
  let id: string;
  let locker: pg.Client;
  let admin: pg.Client;

  const auth = () => ({ authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` });
  const update = (name: string) =>
    app.request(`/v1/customers/${id}`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `name=${name}`,
    });

  beforeAll(async () => {
    store = await openStore(env);
    const config = loadConfig(env);
    tenant = await createTenant(store, config, 'lost-connection');
    app = createApp({ store, config, logger: { error: (event) => logged.push(event) } });
    const res = await app.request('/v1/customers', {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Before',
    });
    expect(res.status).toBe(200);
    id = ((await res.json()) as { id: string }).id;
    locker = new pg.Client({ connectionString: env.DATABASE_URL, options: `-c search_path=${env.CUSTGATE_PG_SCHEMA}` });
    admin = new pg.Client({ connectionString: env.DATABASE_URL });
    await Promise.all([locker.connect(), admin.connect()]);
  });

  afterAll(async () => {
    await Promise.all([locker?.end(), admin?.end()]);
    await store?.executor.close();
  });

  /** `send`'s request, its backend ended while it waits on a row lock this test holds. */
  async function endedUnderLock(send: () => Response | Promise<Response>): Promise<Response> {
    await locker.query('BEGIN');
    // Every customer of this test's own schema: the update below waits for this lock.
    await locker.query('SELECT 1 FROM customers FOR UPDATE');
    const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const pending = Promise.resolve(send());
    // Only the backends this test's own lock blocks: the request's, on this test's schema.
    let ended = 0;
    while (ended === 0) {
      const { rows } = await admin.query<{ ended: boolean }>(
        'SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [lockerPid],
      );
      ended = rows.filter((r) => r.ended).length;
    }
    const res = await pending;
    await locker.query('ROLLBACK');
    return res;
  }

  it("answers 503 + Retry-After in the dialect's envelope, logs store_unavailable, and the next request is served", async () => {
    const res = await endedUnderLock(() => update('During'));
    expect(res.status, await res.clone().text()).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    // Stripe's own unavailability: api_error with no code. It said lock_timeout, Stripe's code for
    // an object another request holds, which a lost database is not.
    // It said "The store did not answer in time", a slow store's words, for a connection that ended.
    expect(await res.json()).toEqual({ error: { type: 'api_error', message: 'The connection to the store was lost; retry shortly.' } });
    expect(logged).toContain('store_unavailable');
    expect(logged).not.toContain('unhandled_error');

    // The pool replaced the connection: the same update goes through, once.
    const again = await update('After');
    expect(again.status, await again.clone().text()).toBe(200);
    const read = await app.request(`/gateway/v1/customers/${id}`, { headers: auth() });
    expect(((await read.json()) as { name: string; version: number }).name).toBe('After');
  });

  // Each dialect's update, its connection ended the same way: a 5xx in its own envelope, as it
  // answers any outage of its own, with Retry-After; Connhex (Stripe underneath) as Wooshpay.
  it.each(Object.values(dialects) as AnyDialect[])('$name: 503 + Retry-After in its own envelope', async (d) => {
    const headers = fixturesOf(d).auth(tenant.credentials[d.name]!);
    const collection = `${d.routes.prefix}${d.routes.collection}`;
    const made = await app.request(collection, jsonInit('POST', fixturesOf(d).create, headers));
    expect(made.status).toBe(d.wire.createdStatus);
    const ref = fixturesOf(d).idOf(await made.json());
    const res = await endedUnderLock(() =>
      app.request(`${collection}/${ref}`, jsonInit(d.routes.update, fixturesOf(d).setName('During'), headers)),
    );
    expect(res.status, await res.clone().text()).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const message = 'The connection to the store was lost; retry shortly.';
    expect(await res.json()).toEqual(d.wire.renderError(new GatewayError('unavailable', message)).body);
    expect(JSON.stringify(d.wire.renderError(new GatewayError('unavailable', message)).body)).not.toContain('lock_timeout');
  });
});
