// A preparatory process: migrates a fresh SQLite file (or PostgreSQL schema), creates the bench tenant (credentials for
// every registered dialect) and bulk-inserts N customers, each with its creation event, straight
// through SQL in large transactions. Prints one JSON line for bench/run.ts.

import { fieldDefaults, stateDefaults, type Customer } from '../schemas/index.ts';
import { loadConfig } from '../src/config.ts';
import { diffFields } from '../src/core/apply-patch.ts';
import { customerToRow } from '../src/core/customer-row.ts';
import { openStore } from '../src/entries/node.ts';
import { PostgresExecutor } from '../src/store/postgres.ts';
import type { SqliteExecutor } from '../src/store/sqlite.ts';
import { createTenant } from '../src/entries/registered.ts';
import { customerIds } from './fixtures.ts';

const count = Number(process.argv[2] ?? '1000');
const started = performance.now();
// The bulk load below writes through the main connection: no writer thread beside it.
const store = await openStore({ ...process.env, CUSTGATE_SQLITE_WRITER: 'inline' });
const created = await createTenant(store, loadConfig(process.env), 'bench');
const tenantId = created.tenant.id;
const customerColumns = ['id', 'tenant_id', 'public_id', 'number', 'alias', 'external_id', 'version', 'data', 'created_at', 'updated_at'];
const eventColumns = ['customer_id', 'version', 'tenant_id', 'action', 'dialect', 'credential_id', 'changes', 'created_at'];

const now = new Date().toISOString();
// One customer is built the gateway's way (customerToRow); the others differ only where the
// marker stands, so a row's JSON is a join rather than a million object spreads.
const marker = '\u0001';
const template: Customer = {
  ...fieldDefaults,
  ...stateDefaults,
  name: `Customer ${marker}`,
  email: `customer${marker}@example.com`,
  phone: '+15555550100',
  description: 'Pre-loaded by the benchmark',
  address: {
    line1: `${marker} Main St`,
    line2: null,
    line3: null,
    city: 'Springfield',
    state: 'IL',
    postal_code: '62701',
    country: 'US',
    email: null,
    phone: null,
  },
  metadata: { source: 'bench' },
  uuid: '',
  public_id: '',
  number: 0,
  version: 1,
  created_at: now,
  updated_at: now,
};
const dataParts = customerToRow(template, tenantId).data.split(JSON.stringify(marker).slice(1, -1));
const changesParts = JSON.stringify(diffFields(fieldDefaults, template)).split(JSON.stringify(marker).slice(1, -1));

const order = Array.from({ length: count }, (_, i) => ({ i, uuid: customerIds(i).uuid }));
order.sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));

const rowsOf = (k: number) => {
  const { i, uuid } = order[k]!;
  const ids = customerIds(i);
  const text = String(i);
  return {
    customer: [uuid, tenantId, ids.public_id, ids.number, null, null, 1, dataParts.join(text), now, now],
    event: [uuid, 1, tenantId, 'create', 'bench', 'bench-preload', changesParts.join(text), now],
  };
};
const quoted = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(', ');

if (store.executor instanceof PostgresExecutor) {
  // Multi-row INSERTs of 500 rows, one transaction each (the bench's PostgreSQL store is small).
  const pool = store.executor.pool;
  const values = (rows: unknown[][], width: number) =>
    rows.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(', ');
  for (let from = 0; from < count; from += 500) {
    const rows = Array.from({ length: Math.min(count, from + 500) - from }, (_, k) => rowsOf(from + k));
    await pool.query(
      `insert into customers (${quoted(customerColumns)}) values ${values(
        rows.map((r) => r.customer),
        customerColumns.length,
      )}`,
      rows.flatMap((r) => r.customer),
    );
    await pool.query(
      `insert into customer_events (${quoted(eventColumns)}) values ${values(
        rows.map((r) => r.event),
        eventColumns.length,
      )}`,
      rows.flatMap((r) => r.event),
    );
  }
  await pool.query('analyze');
} else {
  const db = (store.executor as SqliteExecutor).db;
  // A disposable file being filled: no journal, no syncs, a big page cache; the secondary indexes are
  // dropped and rebuilt at the end (one sort instead of a million random inserts), and rows go in
  // UUID order so both primary keys grow at their right edge.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -524288');
  const indexes = db
    .prepare<[], { name: string; sql: string }>(
      "select name, sql from sqlite_master where type = 'index' and tbl_name in ('customers', 'customer_events') and sql is not null",
    )
    .all();
  for (const index of indexes) db.exec(`drop index "${index.name}"`);

  const insert = (table: string, columns: readonly string[]) =>
    db.prepare(`insert into "${table}" (${quoted(columns)}) values (${columns.map(() => '?').join(', ')})`);
  const insertCustomer = insert('customers', customerColumns);
  const insertEvent = insert('customer_events', eventColumns);
  const insertBatch = db.transaction((from: number, to: number) => {
    for (let k = from; k < to; k++) {
      const { customer, event } = rowsOf(k);
      insertCustomer.run(...customer);
      insertEvent.run(...event);
    }
  });
  const batch = 50_000;
  for (let from = 0; from < count; from += batch) insertBatch(from, Math.min(count, from + batch));
  for (const index of indexes) db.exec(index.sql);
  db.pragma('journal_mode = WAL');
}
await store.executor.close();

process.stdout.write(
  `${JSON.stringify({ tenantId, credentials: created.credentials, count, ms: Math.round(performance.now() - started) })}\n`,
);
