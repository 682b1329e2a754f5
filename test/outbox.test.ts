import { beforeEach, describe, expect, it } from 'vitest';
import { createApp, type CreatedTenant, createTenant, registeredDialects } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import { backoffMs, Dispatcher } from '../src/outbox/dispatcher.ts';
import type { ReplicaTarget } from '../src/outbox/types.ts';
import type { Store } from '../src/store/index.ts';
import { StaleWrite, UniqueViolation } from '../src/store/index.ts';
import { FakeUpstream } from './support/fake-upstream.ts';
import { jsonInit, probeAuth, testEnv } from './support/gateway.ts';
import { testStore } from './support/store.ts';

// The transactional outbox and its dispatcher against an in-memory upstream (the port is the
// only fake): deliveries commit with the write or not at all, go out in version order with
// absolute values, back off and honour Retry-After, dead-letter visibly, and several dispatchers
// on one database never send the same delivery at once.

interface Setup {
  store: Store;
  upstream: FakeUpstream;
  tenant: CreatedTenant;
  plain: CreatedTenant;
  replicas: Map<string, ReplicaTarget[]>;
  request(path: string, init?: RequestInit): Promise<Response>;
  auth(t?: CreatedTenant): Record<string, string>;
  dispatcher(options?: { now?: () => Date; random?: () => number; maxAttempts?: number; timeoutMs?: number }): Dispatcher;
}

async function setup(drainAfterWrite = false): Promise<Setup> {
  const store = await testStore();
  const config = loadConfig(testEnv);
  const upstream = new FakeUpstream();
  const replicas = new Map<string, ReplicaTarget[]>();
  const lookup = async (tenantId: string) => replicas.get(tenantId) ?? [];
  const app = createApp({
    store,
    config,
    logger: { error: () => undefined },
    replication: {
      replicas: lookup,
      dispatcher: new Dispatcher({ store, port: upstream, replicas: lookup, dialects: registeredDialects }),
      drainAfterWrite,
    },
  });
  const tenant = await createTenant(store, config, 'mirrored');
  const plain = await createTenant(store, config, 'plain');
  replicas.set(tenant.tenant.id, [{ id: 'up_b', dialect: 'zenskar', mode: 'mirror' }]);
  return {
    store,
    upstream,
    tenant,
    plain,
    replicas,
    request: async (path, init) => app.request(path, init),
    auth: (t = tenant) => ({ authorization: `Bearer ${t.credentials.wooshpay!.secret_key}` }),
    dispatcher: (o = {}) =>
      new Dispatcher({ store, port: upstream, replicas: lookup, dialects: registeredDialects, baseDelayMs: 1000, ...o }),
  };
}

async function create(s: Setup, body: Record<string, unknown>, t?: CreatedTenant): Promise<{ id: string }> {
  const res = await s.request('/wooshpay/v1/customers', jsonInit('POST', body, s.auth(t)));
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string };
}

async function update(s: Setup, id: string, body: Record<string, unknown>): Promise<void> {
  const res = await s.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', body, s.auth()));
  expect(res.status).toBe(200);
}

async function deliveries(s: Setup, id: string, t?: CreatedTenant) {
  const res = await s.request(`/gateway/v1/customers/${id}/deliveries`, { headers: s.auth(t) });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    customer: string;
    data: {
      id: string;
      version: number;
      state: string;
      action: string;
      attempts: number;
      last_error: string | null;
      next_attempt_at: string | null;
    }[];
  };
}

describe('outbox: recorded with the write', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  it('records one pending delivery per write of a tenant with a mirror, visible on the customer', async () => {
    const { id } = await create(s, { name: 'Ada', email: 'ada@example.com' });
    await update(s, id, { phone: '+15555550100' });
    const list = await deliveries(s, id);
    expect(list.data.map((d) => [d.version, d.action, d.state])).toEqual([
      [1, 'create', 'pending'],
      [2, 'update', 'pending'],
    ]);
    const health = (await (await s.request('/gateway/v1/health', { headers: probeAuth })).json()) as {
      outbox: { pending: number; dead: number };
    };
    expect(health.outbox).toEqual({ pending: 2, dead: 0, capped: false });
  });

  it('records nothing for a tenant without mirror or shadow upstreams, nor for a write that changed nothing', async () => {
    const { id } = await create(s, { name: 'Plain' }, s.plain);
    expect((await deliveries(s, id, s.plain)).data).toEqual([]);
    const mirrored = await create(s, { name: 'Same' });
    await update(s, mirrored.id, { name: 'Same' });
    expect((await deliveries(s, mirrored.id)).data.map((d) => d.version)).toEqual([1]);
  });

  it('keeps another tenant from seeing the deliveries', async () => {
    const { id } = await create(s, { name: 'Private' });
    const res = await s.request(`/gateway/v1/customers/${id}/deliveries`, { headers: s.auth(s.plain) });
    expect(res.status).toBe(404);
  });

  it('records no delivery for a write that did not commit (lost compare-and-set, unique clash)', async () => {
    const { id } = await create(s, { name: 'Racer' });
    const uuid = (await deliveries(s, id)).customer;
    const row = (await s.store.findCustomer(s.tenant.tenant.id, 'uuid', uuid))!;
    const delivery = (version: number) => ({
      upstream_id: 'up_b',
      customer_id: uuid,
      version,
      tenant_id: s.tenant.tenant.id,
      action: 'update',
      state: 'pending',
      attempts: 0,
      next_attempt_at: row.updated_at,
      lease_owner: null,
      lease_until: null,
      last_error: null,
      created_at: row.updated_at,
      updated_at: row.updated_at,
      via: null,
      resync: null,
    });
    const stale = {
      row: { ...row, version: 3 },
      expectedVersion: 2, // the row is at version 1
      event: {
        customer_id: uuid,
        version: 3,
        tenant_id: row.tenant_id,
        action: 'update',
        dialect: 'test',
        credential_id: 'c',
        changes: '[]',
        created_at: row.updated_at,
        request_id: null,
        idempotency_key: null,
      },
      deliveries: [delivery(3)],
    };
    await expect(s.store.updateCustomer(stale)).rejects.toBeInstanceOf(StaleWrite);
    const clash = { ...row, id: crypto.randomUUID(), public_id: row.public_id }; // same public id
    await expect(
      s.store.insertCustomer({
        row: clash,
        event: { ...stale.event, customer_id: clash.id, version: 1 },
        deliveries: [{ ...delivery(1), customer_id: clash.id }],
      }),
    ).rejects.toBeInstanceOf(UniqueViolation);
    expect((await s.store.outbox.list({ tenantId: s.tenant.tenant.id })).map((d) => [d.customer_id, Number(d.version)])).toEqual([
      [uuid, 1],
    ]);
  });
});

describe('outbox: the dispatcher', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup();
  });

  it('delivers every version once, in order, with the current absolute values of the fields changed since the last delivery', async () => {
    const { id } = await create(s, { name: 'Ada', metadata: { plan: 'gold', seats: '3' } });
    await update(s, id, { name: 'Ada L.' });
    await update(s, id, { metadata: { seats: '' } });
    await update(s, id, { phone: '+15555550100' });
    const report = await s.dispatcher().drain();
    expect(report.delivered).toBe(4);
    const uuid = (await deliveries(s, id)).customer;
    expect(s.upstream.versions(uuid)).toEqual([1, 2, 3, 4]);
    const [created, renamed, unset, phoned] = s.upstream.received;
    expect(created!.action).toBe('create');
    // Each delivery is built from the customer as it is now: the current values of every field
    // changed since the upstream's last delivered version (later versions' fields included).
    const metadata = { op: 'merge', value: { seats: { op: 'clear' }, plan: { op: 'set', value: 'gold' } } };
    const phone = { op: 'set', value: '+15555550100' };
    expect(renamed!.patch).toEqual({ name: { op: 'set', value: 'Ada L.' }, metadata, phone });
    // The key a version removed is cleared, the others sent as they are (not "remove seats").
    expect(unset!.patch).toEqual({ metadata, phone });
    expect(phoned!.patch).toEqual({ phone });
    expect(s.upstream.copies.get(uuid)).toMatchObject({ name: 'Ada L.', phone: '+15555550100', metadata: { plan: 'gold' } });
    expect((await deliveries(s, id)).data.every((d) => d.state === 'delivered')).toBe(true);
    // Delivering again changes nothing: the outbox is empty.
    expect((await s.dispatcher().drain()).delivered).toBe(0);
  });

  it('backs off with jitter after a failure, honours Retry-After, and never sends a later version first', async () => {
    let clock = new Date('2030-06-01T00:00:00.000Z');
    const now = () => clock;
    const { id } = await create(s, { name: 'Slow' });
    const uuid = (await deliveries(s, id)).customer;
    // v1 delivered, then v2 fails twice: a 503 with Retry-After: 7, then a dropped connection.
    await s.dispatcher({ now }).drain();
    s.upstream.faults.push(() => ({ kind: 'retry', error: 'HTTP 503', retryAfterMs: 7000 }));
    await update(s, id, { name: 'Slower' });
    await update(s, id, { name: 'Slowest' });
    const d = s.dispatcher({ now, random: () => 0.5 });
    expect((await d.drain()).retried).toBe(1);
    let list = (await deliveries(s, id)).data;
    expect(list.find((x) => x.version === 2)).toBeDefined();
    const v = (n: number) => list.find((x) => x.version === n)!;
    expect(v(1).state).toBe('delivered');
    expect(v(2)).toMatchObject({ state: 'pending', attempts: 1, last_error: 'HTTP 503', next_attempt_at: '2030-06-01T00:00:07.000Z' });
    expect(v(3).state).toBe('pending');
    expect(s.upstream.versions(uuid)).toEqual([1]); // v3 waits behind v2

    clock = new Date('2030-06-01T00:00:07.000Z');
    s.upstream.faults.push(() => ({ kind: 'retry', error: 'socket hang up' }));
    await d.drain();
    list = (await deliveries(s, id)).data;
    // Second failure: backoff 2 * 1000 ms, jittered to [1000, 2000): 1500 with random() = 0.5.
    expect(v(2)).toMatchObject({ attempts: 2, next_attempt_at: '2030-06-01T00:00:08.500Z' });

    clock = new Date('2030-06-01T00:00:09.000Z');
    await d.drain();
    expect(s.upstream.versions(uuid)).toEqual([1, 2, 3]);
    expect(s.upstream.copies.get(uuid)?.name).toBe('Slowest');
  });

  it('dead-letters after the configured attempts; the next version supersedes the dead one, which stays visible until retried or dropped', async () => {
    let clock = new Date('2030-06-01T00:00:00.000Z');
    const now = () => clock;
    const { id } = await create(s, { name: 'Doomed', email: 'doomed@example.com' });
    const d = s.dispatcher({ now, maxAttempts: 3 });
    for (let i = 0; i < 3; i++) {
      s.upstream.faults.push(() => ({ kind: 'retry', error: `HTTP 500 #${i + 1}` }));
      await d.drain();
      clock = new Date(clock.getTime() + 3600_000);
    }
    await update(s, id, { name: 'Doomed 2' });
    await d.drain();
    let list = (await deliveries(s, id)).data;
    expect(list.map((x) => [x.version, x.state, x.attempts])).toEqual([
      [1, 'dead', 3],
      [2, 'delivered', 1],
    ]);
    expect(list[0]!.last_error).toBe('HTTP 500 #3');
    const uuid = (await deliveries(s, id)).customer;
    // Version 2 carried what the dead create held too: the upstream has the whole customer.
    expect(s.upstream.copies.get(uuid)).toMatchObject({ name: 'Doomed 2', email: 'doomed@example.com' });
    const health = (await (await s.request('/gateway/v1/health', { headers: probeAuth })).json()) as {
      outbox: { pending: number; dead: number };
    };
    expect(health.outbox).toEqual({ pending: 0, dead: 1, capped: false });

    // Retried once a later version was delivered, it is settled without another request.
    const key = { upstream_id: 'up_b', customer_id: uuid, version: 1 };
    expect(await s.store.outbox.retry([key], clock.toISOString())).toBe(1);
    expect(await d.drain()).toMatchObject({ delivered: 1 });
    list = (await deliveries(s, id)).data;
    expect(list.map((x) => x.state)).toEqual(['delivered', 'delivered']);
    expect(s.upstream.versions(uuid)).toEqual([2]);
    // Delivered history cannot be dropped.
    expect(await s.store.outbox.drop([key])).toBe(0);
  });

  it('a pending version holds the later ones back; once dead, the next one goes', async () => {
    const { id } = await create(s, { name: 'Order' });
    await update(s, id, { name: 'Order 2' });
    const uuid = (await deliveries(s, id)).customer;
    // Version 1 pending: version 2 waits for it.
    const due = await s.store.outbox.due('2999-01-01T00:00:00.000Z', 10);
    expect(due.filter((r) => r.customer_id === uuid).map((r) => Number(r.version))).toEqual([1]);
    s.upstream.faults.push(() => ({ kind: 'rejected', error: 'HTTP 400: refused' }));
    await s.dispatcher().drain();
    expect((await deliveries(s, id)).data.map((x) => [x.version, x.state])).toEqual([
      [1, 'dead'],
      [2, 'delivered'],
    ]);
    expect(s.upstream.copies.get(uuid)?.name).toBe('Order 2');
  });

  it('dead-letters a refusal at once', async () => {
    const { id } = await create(s, { name: 'Refused' });
    s.upstream.faults.push(() => ({ kind: 'rejected', error: 'HTTP 422: email is invalid' }));
    await s.dispatcher().drain();
    expect((await deliveries(s, id)).data[0]).toMatchObject({ state: 'dead', attempts: 1, last_error: 'HTTP 422: email is invalid' });
  });

  it('takes over a delivery whose dispatcher died once its lease ran out, and not before', async () => {
    let clock = new Date('2030-06-01T00:00:00.000Z');
    const now = () => clock;
    const { id } = await create(s, { name: 'Orphan' });
    const uuid = (await deliveries(s, id)).customer;
    const key = { upstream_id: 'up_b', customer_id: uuid, version: 1 };
    // A dispatcher claims it and is killed before it answers.
    expect(await s.store.outbox.claim(key, 'dead-process', clock.toISOString(), '2030-06-01T00:00:30.000Z')).toBe(true);
    const d = s.dispatcher({ now });
    expect((await d.drain()).delivered).toBe(0);
    clock = new Date('2030-06-01T00:00:31.000Z');
    expect((await d.drain()).delivered).toBe(1);
    // The dead process's late answer no longer counts.
    expect(await s.store.outbox.settle(key, 'dead-process', { state: 'pending' }, clock.toISOString())).toBe(false);
    expect((await deliveries(s, id)).data[0]!.state).toBe('delivered');
  });

  it('runs several dispatchers on one database without sending a delivery twice', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await create(s, { name: `Parallel ${i}` })).id);
    for (const id of ids) await update(s, id, { phone: '+15555550100' });
    s.upstream.delayMs = 5;
    const reports = await Promise.all([s.dispatcher().drain(), s.dispatcher().drain(), s.dispatcher().drain()]);
    // A dispatcher stops when everything due is taken by others; one more drain finishes the rest.
    await s.dispatcher().drain();
    expect(s.upstream.received.length).toBe(24);
    expect(new Set(s.upstream.received.map((w) => `${w.customerId}/${w.version}`)).size).toBe(24);
    expect(s.upstream.maxConcurrentSameDelivery).toBe(1);
    expect(reports.reduce((n, r) => n + r.delivered, 0)).toBeGreaterThan(0);
    for (const id of ids) {
      const uuid = (await deliveries(s, id)).customer;
      expect(s.upstream.versions(uuid)).toEqual([1, 2]);
    }
  });

  it('drains after each write when asked to', async () => {
    const t = await setup(true);
    const { id } = await create(t, { name: 'Eager' });
    const uuid = (await deliveries(t, id)).customer;
    for (let i = 0; i < 100 && t.upstream.received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.upstream.versions(uuid)).toEqual([1]);
  });
});

describe('backoff', () => {
  it('doubles up to the cap, jittered within [d/2, d)', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 100, 1000, () => 0))).toEqual([50, 100, 200, 400]);
    expect(backoffMs(10, 100, 1000, () => 0.999)).toBeLessThan(1000);
    expect(backoffMs(10, 100, 1000, () => 0)).toBe(500);
  });
});
