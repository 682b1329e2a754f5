import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { createApp, type CreatedTenant, createTenant } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import { type AnyDialect, GatewayError } from '../src/contract/dialect.ts';
import { type SqlExecutor, Store } from '../src/store/index.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { testStore } from './support/store.ts';

// A PostgreSQL store that does not answer in time: a statement cancelled at
// CUSTGATE_PG_STATEMENT_TIMEOUT_MS (SQLSTATE 57014, docs/scaling.md), or no pooled connection
// within CUSTGATE_PG_CONNECT_TIMEOUT_MS (pg-pool's own error). Each was a 500 "internal" in every
// dialect; nothing was written and nothing in the request was wrong, so it is a 503 to retry, as
// SQLite's busy store is (test/sqlite-busy). Seen on a real PostgreSQL with a table held locked.
// The errors are made here as pg makes them, so the test runs on either backend.

const all = Object.values(dialects) as AnyDialect[];
const collection = (d: AnyDialect) => `${d.routes.prefix}${d.routes.collection}`;

function cancelled(): Error {
  return Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
}
const noConnection = (): Error => new Error('timeout exceeded when trying to connect');
// pg_terminate_backend or a fast shutdown (57P01), and node-postgres's own word for a socket that closed.
const terminated = (): Error => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
const closed = (): Error => new Error('Connection terminated unexpectedly');
const tooMany = (): Error => Object.assign(new Error('sorry, too many clients already'), { code: '53300' });

const inTime = 'The store did not answer in time; retry shortly.';
const lost = 'The connection to the store was lost; retry shortly.';
const refused = 'The store refused the connection; retry shortly.';

interface Failure {
  current: (() => Error) | undefined;
  /** Statements that still run while `current` is set. */
  spare?: RegExp | undefined;
}

/** The executor, failing every statement (but `spare`'s) with `failure()` while it is set. */
function failing(executor: SqlExecutor, failure: Failure): SqlExecutor {
  const gate = <T>(run: () => Promise<T>, sql = ''): Promise<T> =>
    failure.current && !failure.spare?.test(sql) ? Promise.reject(failure.current()) : run();
  return {
    ...executor,
    backend: executor.backend,
    all: (query) => gate(() => executor.all(query), query.sql),
    run: (query) => gate(() => executor.run(query), query.sql),
    atomic: (steps) => gate(() => executor.atomic(steps)),
    close: () => executor.close(),
    ...(executor.allForWrite && { allForWrite: (query) => gate(() => executor.allForWrite!(query)) }),
    ...(executor.allIndexOrdered && { allIndexOrdered: (query) => gate(() => executor.allIndexOrdered!(query)) }),
    ...(executor.exclusive && { exclusive: (select, plan, waitMs) => gate(() => executor.exclusive!(select, plan, waitMs)) }),
  };
}

describe('a store that does not answer in time', () => {
  const failure: Failure = { current: undefined };
  const logged: { event: string; fields: Readonly<Record<string, unknown>> }[] = [];
  let app: ReturnType<typeof createApp>;
  let tenant: CreatedTenant;
  const refs = new Map<AnyDialect, string>();

  beforeAll(async () => {
    const base = await testStore();
    const config = loadConfig(testEnv);
    tenant = await createTenant(base, config, 'slow-store');
    const store = new Store(failing(base.executor, failure), { readCacheSize: 0 });
    app = createApp({ store, config, logger: { error: (event, fields) => logged.push({ event, fields }) } });
    for (const d of all) {
      const res = await app.request(collection(d), jsonInit('POST', fixturesOf(d).create, fixturesOf(d).auth(tenant.credentials[d.name]!)));
      expect(res.status).toBe(d.wire.createdStatus);
      refs.set(d, fixturesOf(d).idOf(await res.json()));
    }
  });

  // Each cause in its own words: a lost connection said "did not answer in time" (a slow store),
  // which sent an operator reading a client's report after the wrong fault.
  it.each([
    ['a statement cancelled (57014)', cancelled, inTime],
    ['no connection from the pool in time', noConnection, inTime],
    ['the connection ended (57P01)', terminated, lost],
    ['the connection closed', closed, lost],
    ['too many connections (53300)', tooMany, refused],
  ])("%s: 503 with Retry-After in each dialect's envelope, not 500", async (_name, make, message) => {
    failure.current = make;
    try {
      for (const d of all) {
        const headers = fixturesOf(d).auth(tenant.credentials[d.name]!);
        const path = `${collection(d)}/${refs.get(d)}`;
        for (const res of [
          await app.request(path, { headers }),
          await app.request(path, jsonInit(d.routes.update, fixturesOf(d).setName('Late'), headers)),
        ]) {
          expect(res.status, `${d.name}: ${await res.clone().text()}`).toBe(503);
          expect(res.headers.get('retry-after')).toBe('1');
          expect(await res.json(), d.name).toEqual(d.wire.renderError(new GatewayError('unavailable', message)).body);
        }
      }
      const gateway = await app.request(`/gateway/v1/customers/${refs.get(dialects.zenskar as AnyDialect)}`, {
        headers: fixturesOf(dialects.zenskar as AnyDialect).auth(tenant.credentials.zenskar!),
      });
      expect(gateway.status).toBe(503);
      expect(await gateway.json()).toEqual({ error: { code: 'unavailable', message } });
    } finally {
      failure.current = undefined;
    }
  });

  // The key was claimed, then the store stopped answering: the write failed (503, Retry-After: 1)
  // and so did releasing the key. Before: the key stayed claimed until its 60 s lease ended, so the
  // retry the 503 asks for was a 409 "another in-progress request" for a minute (seen on
  // PostgreSQL with CUSTGATE_PG_POOL_SIZE=2 under load: 123 of 300 keyed updates still 409 after 30
  // retries a second apart). Now the release is tried again while the store recovers.
  it('an Idempotency-Key whose write failed on the store is free again once the store answers', async () => {
    const d = dialects.wooshpay as AnyDialect;
    const headers = { ...fixturesOf(d).auth(tenant.credentials.wooshpay!), 'idempotency-key': `unavailable-${Date.now()}` };
    const send = () => app.request(`${collection(d)}/${refs.get(d)}`, jsonInit('POST', { description: 'Once' }, headers));
    failure.current = noConnection;
    failure.spare = /^insert into "idempotency_keys"/;
    try {
      const res = await send();
      expect(res.status, await res.clone().text()).toBe(503);
    } finally {
      failure.current = undefined;
      failure.spare = undefined;
    }
    // The client's retries, well inside the lease: the key is released after a few.
    const answers: number[] = [];
    for (let attempt = 0; attempt < 40 && answers.at(-1) !== 200; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      answers.push((await send()).status);
    }
    expect(answers.at(-1), answers.join(' ')).toBe(200);
    expect(answers.filter((status) => status !== 200 && status !== 409)).toEqual([]);
    const replay = await send();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  // A process that has not yet read a tenant's JWT signing key (just started, or its
  // CUSTGATE_KEY_CACHE_TTL_MS passed) reads it from the store. Before: a store that did not answer
  // then made a valid token a 401 "Invalid, expired or malformed token" (seen on PostgreSQL with
  // CUSTGATE_PG_POOL_SIZE=2 under load), counted as a failed authentication against the caller's
  // address, so a client retrying it was locked out with 429s once the store was back.
  it('a JWT whose signing key cannot be read in time: 503 with Retry-After, not a 401 counted against the address', async () => {
    const limited = loadConfig({ ...testEnv, CUSTGATE_AUTH_FAILURE_LIMIT: '2' });
    const store = new Store(failing((await testStore()).executor, failure), { readCacheSize: 0 });
    const owner = await createTenant(store, limited, 'cold-keys');
    // A fresh app: nothing verified, no signing key in memory.
    const cold = createApp({ store, config: limited, logger: { error: () => undefined } });
    const jwts = [
      { d: dialects.connhex as AnyDialect, headers: { authorization: `Bearer ${owner.credentials.connhex?.token}` } },
      {
        d: dialects.bigcapital as AnyDialect,
        headers: {
          authorization: `Bearer ${owner.credentials.bigcapital?.jwt}`,
          'organization-id': String(owner.credentials.bigcapital?.organization_id),
        },
      },
    ];
    failure.current = cancelled;
    try {
      for (const { d, headers } of [...jwts, ...jwts]) {
        const res = await cold.request(`${collection(d)}/${refs.get(d)}`, { headers });
        expect(res.status, `${d.name}: ${await res.clone().text()}`).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        const own = d.wire.renderError(new GatewayError('unavailable', 'x')).body as object;
        expect(Object.keys((await res.json()) as object).sort()).toEqual(Object.keys(own).sort());
      }
    } finally {
      failure.current = undefined;
    }
    // The store answers again: the same tokens authenticate (another tenant's customer: 404, not 401 or 429).
    for (const { d, headers } of jwts) {
      const res = await cold.request(`${collection(d)}/${refs.get(d)}`, { headers });
      expect(res.status, `${d.name}: ${await res.clone().text()}`).toBe(404);
    }
  });

  // An operator finds the line from a client's report by the request id the response's header gave.
  // Before: unhandled_error and store_unavailable lines held the dialect, name and message alone.
  it.each([
    ['unhandled_error', 500, () => new Error('disk on fire')],
    ['store_unavailable', 503, cancelled],
  ])('a store failure is logged as %s with the request id the response gives', async (event, status, make) => {
    failure.current = make;
    try {
      const requests = [
        ...all.map((d) => ({
          path: `${collection(d)}/${refs.get(d)}`,
          headers: fixturesOf(d).auth(tenant.credentials[d.name]!),
          idHeader: d.wire.requestIdHeader ?? 'x-request-id',
        })),
        {
          path: `/gateway/v1/customers/${refs.get(dialects.zenskar as AnyDialect)}`,
          headers: fixturesOf(dialects.zenskar as AnyDialect).auth(tenant.credentials.zenskar!),
          idHeader: 'x-request-id',
        },
      ];
      for (const { path, headers, idHeader } of requests) {
        logged.length = 0;
        const res = await app.request(path, { headers });
        expect(res.status, path).toBe(status);
        const id = res.headers.get(idHeader);
        expect(id, path).toMatch(/^req_/);
        expect(
          logged.filter((l) => l.event === event).map((l) => l.fields.request_id),
          path,
        ).toEqual([id]);
      }
    } finally {
      failure.current = undefined;
    }
  });
});
