import { expect, it } from 'vitest';
import { type DeliveryRow, pendingDelivery } from '../src/store/index.ts';
import type { PostgresExecutor } from '../src/store/postgres.ts';
import type { SqliteExecutor } from '../src/store/sqlite.ts';
import { testStore } from './support/store.ts';

// Migration 0035 adds the index PostgreSQL's pick walks (`outbox_pending`, src/store/outbox-due.ts).
// An outbox an older release left keeps every row, and its pick keeps the order per customer.

it('migration 0035 keeps every outbox row; the pick over them keeps order per customer, leases and dead rows', async () => {
  const store = await testStore({}, { migrateTo: '0029_outbox_via' });
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
  ];
  for (const r of rows) await store.executor.atomic([store.outbox.insertStep(r)]);
  await (store.executor as SqliteExecutor | PostgresExecutor).migrate();

  const stored = await store.outbox.list({ tenantId: 'ten_legacy' });
  const key = (r: Pick<DeliveryRow, 'customer_id' | 'version'>) => `${r.customer_id}@${Number(r.version)}`;
  expect(
    stored
      .map(({ version, attempts, ...r }) => ({ ...r, version: Number(version), attempts: Number(attempts) }))
      .sort((a, b) => key(a).localeCompare(key(b))),
  ).toEqual(rows);
  // cus_a's second version waits for its first, though due earlier; a dead first version holds
  // nothing back; a leased one is not offered.
  expect((await store.outbox.due('2026-12-01T00:00:00.000Z', 10)).map(key).sort()).toEqual(['cus_a@1', 'cus_b@2']);
});
