import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { queryBuilder } from '../src/store/compiler.ts';
import { type DeliveryRow, pendingDelivery } from '../src/store/index.ts';
import type { PostgresExecutor } from '../src/store/postgres.ts';
import type { SqliteExecutor } from '../src/store/sqlite.ts';
import { testStore } from './support/store.ts';

// Migration 0029 adds the Via a mirrored write arrived with to its outbox row (src/upstream/loop.ts).
// Deliveries recorded before it are kept as they were, still due, with no Via to carry.

it('migration 0029 keeps every outbox row, pending and dead, with no Via; the pending one is still due', async () => {
  const store = await testStore({}, { migrateTo: '0026_upstream_create_attempts' });
  type Legacy = Omit<DeliveryRow, 'via' | 'resync'>;
  const db = queryBuilder(store.executor.backend) as unknown as Kysely<{ outbox: Legacy & { via?: string | null } }>;
  const at = '2026-11-01T00:00:00.000Z';
  const keyed = { upstream_id: 'up_legacy', customer_id: '00000000-0000-4000-8000-000000000001', version: 1 };
  const {
    via: _none,
    resync: _noResync,
    ...base
  }: DeliveryRow = pendingDelivery({ ...keyed, tenant_id: 'ten_legacy', action: 'create' }, at);
  const rows: Legacy[] = [
    base,
    { ...base, customer_id: '00000000-0000-4000-8000-000000000002', state: 'dead', attempts: 8, last_error: 'upstream_timeout: gone' },
  ];
  for (const row of rows) await store.executor.run(db.insertInto('outbox').values(row).compile());
  await (store.executor as SqliteExecutor | PostgresExecutor).migrate();

  const stored = await store.outbox.list({ tenantId: 'ten_legacy' });
  expect(stored.map(({ version, attempts, ...row }) => ({ ...row, version: Number(version), attempts: Number(attempts) }))).toEqual(
    rows.map((row) => ({ ...row, via: null, resync: null, resync_prior: null })),
  );
  expect((await store.outbox.due('2026-12-01T00:00:00.000Z', 10)).map((d) => d.customer_id)).toEqual([base.customer_id]);
});
