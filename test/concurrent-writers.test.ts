import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresExecutor } from '../src/store/postgres.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// Many writers of one customer at once, through one process: they queue per customer instead of
// racing the compare-and-set, so none is refused, none is lost, and each is one version.
// CUSTGATE_TEST_WRITERS raises the count for longer local runs.

const writers = Number(process.env.CUSTGATE_TEST_WRITERS ?? 48);

// On SQLite both write paths: a file (the writer thread) and `:memory:` (writes on this thread).
const stores = testBackend() === 'sqlite' ? (['file', 'memory'] as const) : (['default'] as const);

describe.each(stores)('concurrent writers of one customer (%s store)', (kind) => {
  let gw: TestGateway;
  let auth: Record<string, string>;

  beforeAll(async () => {
    gw = await testGateway(kind === 'file' ? testDatabaseEnv() : {});
    auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` };
  });

  const create = async (name: string) => {
    const res = await gw.request('/v1/customers', jsonInit('POST', { name }, auth));
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };
  const update = (id: string, body: unknown, headers: Record<string, string> = {}) =>
    gw.request(`/v1/customers/${id}`, jsonInit('POST', body, { ...auth, ...headers }));
  const events = async (id: string) => {
    const res = await gw.request(`/gateway/v1/customers/${id}/events`, { headers: auth });
    return ((await res.json()) as { data: { version: number; changes: { field: string }[] }[] }).data;
  };

  it(`acknowledges and keeps ${writers} simultaneous metadata writes`, async () => {
    const id = await create('Crowded');
    const answers = await Promise.all(Array.from({ length: writers }, (_, i) => update(id, { metadata: { [`k${i}`]: `v${i}` } })));
    expect(answers.map((a) => a.status)).toEqual(Array(writers).fill(200));
    const final = await gw.canonical(id);
    expect(final.version).toBe(1 + writers);
    expect(final.metadata).toEqual(Object.fromEntries(Array.from({ length: writers }, (_, i) => [`k${i}`, `v${i}`])));
    expect((await events(id)).map((e) => e.version)).toEqual(Array.from({ length: writers + 1 }, (_, i) => i + 1));
  });

  it('gives concurrent updates of one customer one order: each answer is its own version, the last wins', async () => {
    const id = await create('Ordered');
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => update(id, { description: `step ${i}` })));
    const shown = await Promise.all(
      answers.map(async (a) => ({
        version: Number(/"v(\d+)"/.exec(a.headers.get('etag') ?? '')?.[1]),
        description: ((await a.json()) as { description: string }).description,
      })),
    );
    // Versions 2..17, one per update, and the stored state is the one the highest version answered.
    expect(shown.map((s) => s.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 2));
    const last = shown.find((s) => s.version === 17)!;
    expect((await gw.canonical(id)).description).toBe(last.description);
    const history = await events(id);
    expect(history.map((e) => e.version)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
  });

  it('runs each Idempotency-Key once among many concurrent writers', async () => {
    const id = await create('Idempotent');
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => update(id, { metadata: { [`k${i % 8}`]: 'x' } }, { 'idempotency-key': `key-${id}-${i % 8}` })),
    );
    const texts = await Promise.all(answers.map((a) => a.text()));
    for (const [i, a] of answers.entries()) expect([200, 409], texts[i]).toContain(a.status);
    // Exactly one execution per key: eight keys, eight versions after the create.
    expect((await gw.canonical(id)).version).toBe(9);
    expect(Object.keys((await gw.canonical(id)).metadata as object).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `k${i}`));
  });

  it('still refuses a write whose If-Match names an older version', async () => {
    const id = await create('Matched');
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => update(id, { metadata: { [`m${i}`]: 'x' } }, { 'if-match': '"v1"' })),
    );
    // All six read version 1 when they were sent; only the first in line still finds it.
    expect(answers.map((a) => a.status).sort()).toEqual([200, 412, 412, 412, 412, 412]);
    expect((await gw.canonical(id)).version).toBe(2);
  });
});

describe.skipIf(testBackend() !== 'postgres')('a customer locked by another process', () => {
  let gw: TestGateway;
  let holder: pg.Client;

  beforeAll(async () => {
    gw = await testGateway({ CUSTGATE_WRITE_WAIT_MS: '300' });
    const executor = gw.store.executor as PostgresExecutor;
    holder = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await holder.connect();
    const schema = (await executor.pool.query<{ s: string }>('select current_schema() as s')).rows[0]!.s;
    await holder.query(`set search_path = "${schema}"`);
  });

  afterAll(async () => {
    await holder.end();
  });

  it('answers 409 after the stated wait, then writes once the lock is gone', async () => {
    const auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` };
    const res = await gw.request('/v1/customers', jsonInit('POST', { name: 'Held' }, auth));
    const { id } = (await res.json()) as { id: string };
    const uuid = (await gw.canonical(id)).ids.uuid as string;
    await holder.query('begin');
    await holder.query('select 1 from customers where id = $1 for update', [uuid]);
    const blocked = await gw.request(`/v1/customers/${id}`, jsonInit('POST', { description: 'blocked' }, auth));
    const body = (await blocked.json()) as { error: { message: string } };
    await holder.query('rollback');
    expect(blocked.status).toBe(409);
    expect(body.error.message).toContain('300 ms');
    expect((await gw.canonical(id)).version).toBe(1);
    const after = await gw.request(`/v1/customers/${id}`, jsonInit('POST', { description: 'free' }, auth));
    expect(after.status).toBe(200);
    expect((await gw.canonical(id)).description).toBe('free');
  });
});
