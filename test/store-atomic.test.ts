import { beforeAll, describe, expect, it } from 'vitest';
import { type CustomerRow, type EventRow, StaleWrite, type Store, UniqueViolation } from '../src/store/index.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { testStore } from './support/store.ts';

// The write path's promises that every backend must keep (this suite also runs on workerd + D1):
// a unit of writes lands whole or not at all, a lost compare-and-set is reported rather than
// silently ignored, and concurrent updates of different fields through the gateway all survive.

describe('store: atomic compare-and-set', () => {
  let store: Store;
  const tenantId = crypto.randomUUID();
  let n = 0;

  beforeAll(async () => {
    store = await testStore();
    await store.insertTenant({ id: tenantId, name: 'atomic', created_at: new Date().toISOString() });
  });

  function customer(overrides: Partial<CustomerRow> = {}): CustomerRow {
    n++;
    return {
      id: crypto.randomUUID(),
      tenant_id: tenantId,
      public_id: `cus_atomic${n}`,
      number: n,
      alias: null,
      external_id: null,
      version: 1,
      data: JSON.stringify({ name: `customer ${n}` }),
      livemode: 0,
      deleted_at: null,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      ...overrides,
    };
  }

  const event = (row: CustomerRow, action = 'update'): EventRow => ({
    customer_id: row.id,
    version: row.version,
    tenant_id: tenantId,
    action,
    dialect: 'test',
    credential_id: 'cred_test',
    changes: '[]',
    created_at: row.updated_at,
    request_id: null,
    idempotency_key: null,
  });

  async function created(overrides: Partial<CustomerRow> = {}): Promise<CustomerRow> {
    const row = customer(overrides);
    await store.insertCustomer({ row, event: event(row, 'create') });
    return row;
  }

  const versions = async (row: CustomerRow) => (await store.listEvents(tenantId, row.id)).map((e) => Number(e.version));

  it('refuses an update whose version check fails, and keeps none of its writes', async () => {
    const row = await created();
    const key = {
      tenant_id: tenantId,
      key: `k-${row.id}`,
      request_hash: 'h',
      state: 'pending',
      status: null,
      body: null,
      created_at: row.created_at,
      expires_at: '2999-01-01T00:00:00.000Z',
    };
    expect(await store.claimKey(key)).toBe(true);

    const next = { ...row, version: 8, data: JSON.stringify({ name: 'lost' }) };
    const write = store.updateCustomer({
      row: next,
      expectedVersion: 7,
      event: event(next),
      idempotency: { tenantId, key: key.key, status: 200, body: '{}' },
    });
    await expect(write).rejects.toBeInstanceOf(StaleWrite);

    expect(await store.findCustomer(tenantId, 'uuid', row.id)).toMatchObject({ version: 1, data: row.data });
    expect(await versions(row)).toEqual([1]);
    expect(await store.findKey(tenantId, key.key)).toMatchObject({ state: 'pending', body: null });
  });

  it('lets only one of two writers that read the same version commit', async () => {
    const row = await created();
    const winner = { ...row, version: 2, data: JSON.stringify({ name: 'winner' }) };
    const loser = { ...row, version: 2, data: JSON.stringify({ name: 'loser' }) };
    await store.updateCustomer({ row: winner, expectedVersion: 1, event: event(winner) });
    const lost = await store.updateCustomer({ row: loser, expectedVersion: 1, event: event(loser) }).catch((e: unknown) => e);
    expect(lost instanceof StaleWrite || (lost instanceof UniqueViolation && lost.target === 'version')).toBe(true);
    expect(await store.findCustomer(tenantId, 'uuid', row.id)).toMatchObject({ version: 2, data: winner.data });
    expect(await versions(row)).toEqual([1, 2]);
  });

  it('names the identifier a write collides with, and writes nothing of that unit', async () => {
    await created({ alias: 'taken-alias' });
    const clash = customer({ alias: 'taken-alias' });
    const error = await store.insertCustomer({ row: clash, event: event(clash, 'create') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UniqueViolation);
    expect((error as UniqueViolation).target).toBe('alias');
    expect(await store.findCustomer(tenantId, 'uuid', clash.id)).toBeUndefined();
    expect(await versions(clash)).toEqual([]);
  });

  // An import's `--on-conflict link` updates a local customer and links it in one unit
  // (src/upstream/import-one.ts): a link the store refuses leaves the update unwritten too.
  it('writes an update and its link together: a refused link keeps none of the update', async () => {
    const upstreamId = `ups_atomic${crypto.randomUUID().slice(0, 8)}`;
    const holder = await created();
    await store.upstreams.link({ upstreamId, customerId: holder.id, tenantId, remoteId: 'r-1', createdAt: holder.created_at });
    const row = await created();
    const next = { ...row, version: 2, data: JSON.stringify({ name: 'linked' }) };
    const link = { upstreamId, customerId: row.id, tenantId, remoteId: 'r-1', createdAt: next.updated_at };
    const refused = await store.updateCustomer({ row: next, expectedVersion: 1, event: event(next), link }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UniqueViolation);
    expect(await store.findCustomer(tenantId, 'uuid', row.id)).toMatchObject({ version: 1, data: row.data });
    expect(await versions(row)).toEqual([1]);
    expect(await store.upstreams.findLink(tenantId, upstreamId, row.id)).toBeUndefined();

    await store.updateCustomer({ row: next, expectedVersion: 1, event: event(next), link: { ...link, remoteId: 'r-2' } });
    expect(await store.findCustomer(tenantId, 'uuid', row.id)).toMatchObject({ version: 2, data: next.data });
    expect((await store.upstreams.findLink(tenantId, upstreamId, row.id))?.remote_id).toBe('r-2');
  });

  it('hands an idempotency key to the first claimer only', async () => {
    const key = {
      tenant_id: tenantId,
      key: 'once',
      request_hash: 'h',
      state: 'pending',
      status: null,
      body: null,
      created_at: '2026-01-01T00:00:00.000Z',
      expires_at: '2999-01-01T00:00:00.000Z',
    };
    expect(await store.claimKey(key)).toBe(true);
    expect(await store.claimKey({ ...key, request_hash: 'other' })).toBe(false);
    expect(await store.findKey(tenantId, 'once')).toMatchObject({ request_hash: 'h' });
  });
});

describe("store: an import's left-out customers", () => {
  // An import records the customers of a page it left out (src/upstream/import.ts). Before, each
  // was one statement of its own: a failure part-way (the store gone, a bad row) kept the first
  // and lost the rest, and a page of them cost a round trip each. Now they land in one atomic unit.
  const tenantId = crypto.randomUUID();
  const upstreamId = `ups_${tenantId.slice(0, 8)}`;
  const refusal = (i: number, reason: string | null = `why ${i}`) => ({
    upstream_id: upstreamId,
    remote_id: `cus_left${i}`,
    tenant_id: tenantId,
    reason: reason as string,
    found_at: '2026-12-07T00:00:00.000Z',
  });

  it('records refusals all or none, past the rows one statement binds on D1, and replaces one met again', async () => {
    const store = await testStore();
    const rows = Array.from({ length: 45 }, (_, i) => refusal(i));
    // The last row cannot be stored (its reason is required): none of the 45 is.
    await expect(store.imports.addRefusals([...rows, refusal(45, null)])).rejects.toThrow();
    expect(await store.imports.refusals(tenantId, upstreamId)).toEqual([]);

    await store.imports.addRefusals(rows);
    await store.imports.addRefusals([refusal(3, 'met again'), refusal(3, 'met again, last'), refusal(45)]);
    const stored = await store.imports.refusals(tenantId, upstreamId);
    expect(stored).toHaveLength(46);
    expect(stored.find((r) => r.remote_id === 'cus_left3')?.reason).toBe('met again, last');
  });

  it('records conflicts all or none too', async () => {
    const store = await testStore();
    const conflict = (i: number, value: string | null = `alias-${i}`) => ({
      upstream_id: upstreamId,
      remote_id: `cus_held${i}`,
      key: 'alias',
      tenant_id: tenantId,
      value: value as string,
      customer_id: crypto.randomUUID(),
      public_id: `cus_local${i}`,
      reason: null,
      found_at: '2026-12-07T00:00:00.000Z',
    });
    const rows = Array.from({ length: 25 }, (_, i) => conflict(i));
    await expect(store.imports.addConflicts([...rows, conflict(25, null)])).rejects.toThrow();
    expect(await store.imports.conflicts(tenantId, upstreamId)).toEqual([]);
    await store.imports.addConflicts([...rows, conflict(4, 'alias-4, met again')]);
    const stored = await store.imports.conflicts(tenantId, upstreamId);
    expect(stored).toHaveLength(25);
    expect(stored.find((r) => r.remote_id === 'cus_held4')?.value).toBe('alias-4, met again');
  });
});

describe('gateway: concurrent updates', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await testGateway();
  });

  it('keeps every field of updates that race on the same customer', async () => {
    const auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` };
    const res = await gw.request('/v1/customers', jsonInit('POST', { name: 'Racer' }, auth));
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };

    const writers = 48;
    const answers = await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        gw.request(`/v1/customers/${id}`, jsonInit('POST', { metadata: { [`k${i}`]: `v${i}` } }, auth)),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(writers).fill(200));

    const final = await gw.canonical(id);
    expect(final.version).toBe(1 + writers);
    expect(final.metadata).toEqual(Object.fromEntries(Array.from({ length: writers }, (_, i) => [`k${i}`, `v${i}`])));
  });
});
