import type { Kysely } from 'kysely';
import { queryBuilder } from './compiler.ts';
import type { Step } from './executor.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';

// Moving a deployment between backends (README: Scaling out): `custgate export` writes every row as
// NDJSON, `custgate import` loads it into an empty store. Rows are copied as stored, so customers
// keep every id their clients hold, credentials keep their hashes (the same secrets keep working)
// and events keep their versions.

/** In dependency order: tenants before what references them. */
// Upstream credentials travel encrypted; outside production their key (gateway_keys) goes along,
// so an export made with a generated key is as secret as that key.
const tables = [
  'tenants',
  'signing_keys',
  'credentials',
  'customers',
  'customer_events',
  'idempotency_keys',
  'upstreams',
  'upstream_links',
  'gateway_keys',
] as const satisfies readonly (keyof Database)[];
// The outbox and shadow tables are not moved: drain the outbox before moving (docs/migrating.md).
type Table = (typeof tables)[number];

const orderBy = {
  tenants: ['id'],
  signing_keys: ['tenant_id'],
  credentials: ['id'],
  customers: ['id'],
  customer_events: ['customer_id', 'version'],
  idempotency_keys: ['tenant_id', 'key'],
  upstreams: ['id'],
  upstream_links: ['upstream_id', 'customer_id'],
  gateway_keys: ['name'],
} as const satisfies Record<Table, readonly string[]>;

const format = 'custgate-export';
const pageSize = 1000;
// Rows per INSERT: far below SQLite's and PostgreSQL's bound-parameter limits.
const insertBatch = 100;

export interface TransferCounts {
  tenants: number;
  signing_keys: number;
  credentials: number;
  customers: number;
  customer_events: number;
  idempotency_keys: number;
  upstreams: number;
  upstream_links: number;
  gateway_keys: number;
}

const zero = (): TransferCounts => ({
  tenants: 0,
  signing_keys: 0,
  credentials: 0,
  customers: 0,
  customer_events: 0,
  idempotency_keys: 0,
  upstreams: 0,
  upstream_links: 0,
  gateway_keys: 0,
});

function select(db: Kysely<Database>, table: Table, now: string, offset: number) {
  let q = db.selectFrom(table).selectAll();
  for (const column of orderBy[table]) q = q.orderBy(column);
  // Only finished keys that still replay: a pending key belongs to a request still running, and
  // an expired one would be purged anyway.
  if (table === 'idempotency_keys') q = q.where('state', '=', 'done').where('expires_at', '>', now);
  return q.limit(pageSize).offset(offset).compile();
}

/** Writes the header line, then one line per row: {"table", "row"}. */
export async function exportData(store: Store, write: (line: string) => Promise<void> | void, now = new Date()): Promise<TransferCounts> {
  const db = queryBuilder(store.executor.backend);
  const counts = zero();
  await write(JSON.stringify({ format, version: 1, exported_at: now.toISOString(), from: store.executor.backend }));
  for (const table of tables) {
    for (let offset = 0; ; offset += pageSize) {
      const rows = await store.executor.all(select(db, table, now.toISOString(), offset));
      for (const row of rows) await write(JSON.stringify({ table, row }));
      counts[table] += rows.length;
      if (rows.length < pageSize) break;
    }
  }
  return counts;
}

/**
 * Loads an export into a store that has no tenants yet, as one atomic unit: a failed import
 * leaves the target as empty as it was.
 */
export async function importData(store: Store, lines: AsyncIterable<string> | Iterable<string>): Promise<TransferCounts> {
  if ((await store.countTenants()) > 0) {
    throw new Error('the target store already has tenants; import only into an empty database');
  }
  const db = queryBuilder(store.executor.backend);
  const rows = new Map<Table, Record<string, unknown>[]>(tables.map((t) => [t, []]));
  let header = false;
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const parsed = JSON.parse(line) as { format?: unknown; version?: unknown; table?: unknown; row?: unknown };
    if (!header) {
      if (parsed.format !== format || parsed.version !== 1) throw new Error('not a custgate export (version 1)');
      header = true;
      continue;
    }
    const bucket = typeof parsed.table === 'string' ? rows.get(parsed.table as Table) : undefined;
    if (!bucket || typeof parsed.row !== 'object' || parsed.row === null) throw new Error(`unexpected line: ${line.slice(0, 80)}`);
    bucket.push(parsed.row as Record<string, unknown>);
  }
  if (!header) throw new Error('empty input: not a custgate export');
  const steps: Step[] = [];
  const counts = zero();
  for (const table of tables) {
    const all = rows.get(table) ?? [];
    counts[table] = all.length;
    for (let i = 0; i < all.length; i += insertBatch) {
      // biome-ignore lint/suspicious/noExplicitAny: rows are checked by the database's constraints
      steps.push({ query: db.insertInto(table).values(all.slice(i, i + insertBatch) as any).compile() });
    }
  }
  if (steps.length > 0) await store.executor.atomic(steps);
  return counts;
}
