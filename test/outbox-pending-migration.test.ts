import { CompiledQuery } from 'kysely';
import { expect, it } from 'vitest';
import { queryBuilder } from '../src/store/compiler.ts';
import { type DeliveryRow, pendingDelivery, type Store } from '../src/store/index.ts';
import type { PostgresExecutor } from '../src/store/postgres.ts';
import type { SqliteExecutor } from '../src/store/sqlite.ts';
import { testBackend, testStore } from './support/store.ts';

// Migration 0035 adds the index PostgreSQL's pick walks (`outbox_pending`, src/store/outbox-due.ts);
// 0050 drops it on SQLite (and D1), whose pick never reads it. An outbox an older release left
// keeps every row through each, and its pick keeps the order per customer.

const at = '2026-11-01T00:00:00.000Z';
const row = (customer: string, version: number, changes: Partial<DeliveryRow> = {}): DeliveryRow => ({
  ...pendingDelivery({ upstream_id: 'up_legacy', customer_id: customer, version, tenant_id: 'ten_legacy', action: 'update' }, at),
  ...changes,
});
const rows: DeliveryRow[] = [
  row('cus_a', 1),
  row('cus_a', 2, { next_attempt_at: '2026-10-01T00:00:00.000Z' }),
  row('cus_b', 1, { state: 'dead', attempts: 8, last_error: 'upstream_timeout: gone' }),
  row('cus_b', 2),
  row('cus_c', 1, { state: 'delivered', attempts: 1 }),
  row('cus_c', 2, { lease_owner: 'other', lease_until: '2027-01-01T00:00:00.000Z' }),
  row('cus_d', 1, { next_attempt_at: '2026-10-15T00:00:00.000Z' }),
  row('cus_e', 3, { next_attempt_at: '2026-10-20T00:00:00.000Z', attempts: 2, last_error: 'upstream_unavailable: 503' }),
];
const key = (r: Pick<DeliveryRow, 'customer_id' | 'version'>) => `${r.customer_id}@${Number(r.version)}`;

/** Inserts the rows as the older release wrote them: without the columns later migrations added (0054's `resync`). */
async function insertLegacy(store: Store): Promise<void> {
  const db = queryBuilder(store.executor.backend);
  for (const { resync: _resync, ...r } of rows) await store.executor.run(db.insertInto('outbox').values(r).compile());
}

/** The store's outbox rows as inserted (numbers as numbers; 0056's `resync_prior` null on each, checked), in key order. */
async function storedRows(store: Store) {
  const stored = await store.outbox.list({ tenantId: 'ten_legacy' });
  return stored
    .map(({ version, attempts, resync_prior, ...r }) => {
      expect(resync_prior).toBeNull();
      return { ...r, version: Number(version), attempts: Number(attempts) };
    })
    .sort((a, b) => key(a).localeCompare(key(b)));
}

async function hasIndex(store: Store, name: string): Promise<boolean> {
  const q =
    testBackend() === 'postgres'
      ? CompiledQuery.raw('select to_regclass($1) is not null as found', [name])
      : CompiledQuery.raw(`select count(*) > 0 as found from sqlite_master where type = 'index' and name = ?`, [name]);
  const [found] = await store.executor.all<{ found: boolean | number }>(q);
  return Boolean(found?.found);
}

it('migration 0035 keeps every outbox row; the pick over them keeps order per customer, leases and dead rows', async () => {
  const store = await testStore({}, { migrateTo: '0029_outbox_via' });
  await insertLegacy(store);
  await (store.executor as SqliteExecutor | PostgresExecutor).migrate();

  expect(await storedRows(store)).toEqual(rows);
  // cus_a's second version waits for its first, though due earlier; a dead first version holds
  // nothing back; a leased one is not offered.
  expect((await store.outbox.due('2026-12-01T00:00:00.000Z', 10)).map(key).sort()).toEqual(['cus_a@1', 'cus_b@2', 'cus_d@1', 'cus_e@3']);
});

it('migration 0050 drops outbox_pending on SQLite only; every row and the pick, in its order, are as before', async () => {
  const store = await testStore({}, { migrateTo: '0049_link_import_mark_backfill' });
  await insertLegacy(store);
  expect(await hasIndex(store, 'outbox_pending')).toBe(true);
  const now = '2026-12-01T00:00:00.000Z';
  const picked = (await store.outbox.due(now, 10)).map(key);
  expect(picked).toEqual(['cus_d@1', 'cus_e@3', 'cus_a@1', 'cus_b@2']);

  await (store.executor as SqliteExecutor | PostgresExecutor).migrate();

  // PostgreSQL's pick walks it (src/store/outbox-due.ts); nothing on SQLite reads it.
  expect(await hasIndex(store, 'outbox_pending')).toBe(testBackend() === 'postgres');
  expect(await hasIndex(store, 'outbox_open')).toBe(true);
  expect(await storedRows(store)).toEqual(rows);
  expect((await store.outbox.due(now, 10)).map(key)).toEqual(picked);
  expect((await store.outbox.due(now, 2)).map(key)).toEqual(picked.slice(0, 2));
});
