import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/entries/node.ts';
import { type CustomerRow, type EventRow, StaleWrite, type Store, UniqueViolation } from '../src/store/index.ts';
import { testDatabaseEnv, testStore } from './support/store.ts';

// What the service relies on from every backend, checked on the one under test: numbers come back
// as numbers, unique violations name their target, and two connections to one database (two
// processes) cannot both win a compare-and-set or an idempotency key.

const now = '2026-01-01T00:00:00.000Z';
const tenantId = 'tenant-1';

function customer(id: string, number: number, extra: Partial<CustomerRow> = {}): CustomerRow {
  return {
    id,
    tenant_id: tenantId,
    public_id: `cus_${id}`,
    number,
    alias: null,
    external_id: null,
    version: 1,
    data: '{}',
    created_at: now,
    updated_at: now,
    livemode: 0,
    deleted_at: null,
    ...extra,
  };
}

function event(customerId: string, version: number): EventRow {
  return {
    customer_id: customerId,
    version,
    tenant_id: tenantId,
    action: version === 1 ? 'create' : 'update',
    dialect: 'test',
    credential_id: 'cred',
    changes: '[]',
    created_at: now,
    request_id: null,
    idempotency_key: null,
  };
}

const keyRow = (key: string) => ({
  tenant_id: tenantId,
  key,
  request_hash: 'h',
  state: 'pending',
  status: null,
  body: null,
  created_at: now,
  expires_at: '2999-01-01T00:00:00.000Z',
});

async function seed(store: Store): Promise<void> {
  await store.insertTenant({ id: tenantId, name: 'acme', created_at: now });
  await store.insertCustomer({ row: customer('a', 1, { alias: 'first', external_id: 'ext-1' }), event: event('a', 1) });
}

describe('store backend', () => {
  let store: Store;

  beforeAll(async () => {
    store = await testStore();
    await seed(store);
  });

  it('returns numbers as numbers (ids, versions, counts, statuses)', async () => {
    const row = await store.findCustomer(tenantId, 'number', 1);
    expect(row).toMatchObject({ id: 'a', number: 1, version: 1 });
    expect(typeof row?.number).toBe('number');
    expect(typeof row?.version).toBe('number');
    expect(await store.countTenants()).toBe(1);
    expect(await store.nextNumber(tenantId)).toBe(2);
    const [first] = await store.listEvents(tenantId, 'a');
    expect(typeof first?.version).toBe('number');
    expect(await store.claimKey(keyRow('types'))).toBe(true);
    await store.finishKey({ tenantId, key: 'types', status: 200, body: '{}' });
    expect((await store.findKey(tenantId, 'types'))?.status).toBe(200);
  });

  it('names the identifier a unique violation hit', async () => {
    const collide = async (extra: Partial<CustomerRow>, number = 9) => {
      const error = await store.insertCustomer({ row: customer('b', number, extra), event: event('b', 1) }).catch((e: unknown) => e);
      return error instanceof UniqueViolation ? error.target : error;
    };
    expect(await collide({ alias: 'first' })).toBe('alias');
    expect(await collide({ external_id: 'ext-1' })).toBe('external_id');
    expect(await collide({ public_id: 'cus_a' })).toBe('public_id');
    expect(await collide({}, 1)).toBe('number');
    // The failed units left nothing behind: no customer b, no event for it.
    expect(await store.findCustomer(tenantId, 'uuid', 'b')).toBeUndefined();
    expect(await store.listEvents(tenantId, 'b')).toEqual([]);
  });
});

describe('two connections to one database', () => {
  let one: Store;
  let two: Store;

  beforeAll(async () => {
    // What is under test is the versioned write, not the server's 100 ms busy bound: on a loaded CI
    // machine the loser of the lock can wait longer than that, and would get StoreBusy (the 503 a
    // request gets) instead of reaching its version check. The CLI's own bound, 10 s, is used.
    const env = { ...testDatabaseEnv(), CUSTGATE_SQLITE_BUSY_TIMEOUT_MS: '10000' };
    one = await openStore(env);
    two = await openStore(env);
    await seed(one);
  });

  afterAll(async () => {
    await one?.executor.close();
    await two?.executor.close();
  });

  it('lets exactly one of two writers of the same version commit', async () => {
    for (let version = 1; version <= 10; version++) {
      const write = (store: Store, name: string) =>
        store
          .updateCustomer({
            row: customer('a', 1, { alias: 'first', external_id: 'ext-1', version: version + 1, data: JSON.stringify({ name }) }),
            expectedVersion: version,
            event: event('a', version + 1),
          })
          .then(() => 'won')
          .catch((error: unknown) => {
            if (error instanceof StaleWrite || (error instanceof UniqueViolation && error.target === 'version')) return 'lost';
            throw error;
          });
      const results = await Promise.all([write(one, 'one'), write(two, 'two')]);
      expect(results.sort()).toEqual(['lost', 'won']);
    }
    const row = await two.findCustomer(tenantId, 'uuid', 'a');
    expect(row?.version).toBe(11);
    expect((await one.listEvents(tenantId, 'a')).map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('gives an idempotency key to exactly one claimant', async () => {
    for (let i = 0; i < 10; i++) {
      const claims = await Promise.all([one.claimKey(keyRow(`k${i}`)), two.claimKey(keyRow(`k${i}`))]);
      expect(claims.sort()).toEqual([false, true]);
    }
  });
});
