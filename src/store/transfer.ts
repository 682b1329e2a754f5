import type { Kysely } from 'kysely';
import { queryBuilder } from './compiler.ts';
import type { Step } from './executor.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';

/** The store's tables and migration 0045's, which src/webhooks/event-ids.ts reads. */
type TransferDatabase = Database & { webhook_event_ids: { since: string } };

// Moving a deployment between backends (README: Scaling out): `custgate export` writes every row as
// NDJSON, `custgate import` loads it into an empty store. Rows are copied as stored, so customers
// keep every id their clients hold, credentials keep their hashes (the same secrets keep working)
// and events keep their versions, and the ids they were sent with: the time from which this store's
// events carry their time in their id (migration 0045, src/webhooks/event-ids.ts) goes along and
// replaces the target's own, or every event made between the two times would lose it.

/** In dependency order: tenants before what references them. */
// Upstream credentials travel encrypted. Key material (tenants' JWT signing keys, the generated
// secrets key in gateway_keys) goes along only when asked for: beside the ciphertext it would
// make the export file alone enough to read every upstream credential and mint any tenant's token.
const tables = [
  'tenants',
  'signing_keys',
  'credentials',
  'customers',
  'customer_events',
  'idempotency_keys',
  'upstreams',
  'upstream_links',
  'upstream_create_attempts',
  'upstream_history',
  'gateway_keys',
  'webhook_event_ids',
] as const satisfies readonly (keyof TransferDatabase)[];
// The outbox and shadow tables are not moved: drain the outbox before moving (docs/migrating.md).
type Table = (typeof tables)[number];
const keyTables: ReadonlySet<Table> = new Set(['signing_keys', 'gateway_keys']);
const exported = (withKeys: boolean) => tables.filter((table) => withKeys || !keyTables.has(table));

const orderBy = {
  tenants: ['id'],
  signing_keys: ['tenant_id'],
  credentials: ['id'],
  customers: ['tenant_id', 'id'],
  customer_events: ['tenant_id', 'customer_id', 'version'],
  idempotency_keys: ['tenant_id', 'key'],
  upstreams: ['id'],
  upstream_links: ['upstream_id', 'customer_id'],
  upstream_create_attempts: ['upstream_id', 'customer_id'],
  upstream_history: ['id'],
  gateway_keys: ['name'],
  webhook_event_ids: ['since'],
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
  /** Creates whose answer was lost: moved so the next write there finds, not repeats, them. */
  upstream_create_attempts: number;
  upstream_history: number;
  gateway_keys: number;
  /** Migration 0045's time (one row); none in an export from before it was carried. */
  webhook_event_ids: number;
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
  upstream_create_attempts: 0,
  upstream_history: 0,
  gateway_keys: 0,
  webhook_event_ids: 0,
});

function select(db: Kysely<TransferDatabase>, table: Table, now: string, offset: number) {
  let q = db.selectFrom(table).selectAll();
  for (const column of orderBy[table]) q = q.orderBy(column);
  // Only finished keys that still replay: a pending key belongs to a request still running, and
  // an expired one would be purged anyway.
  if (table === 'idempotency_keys') q = q.where('state', '=', 'done').where('expires_at', '>', now);
  return q.limit(pageSize).offset(offset).compile();
}

/** Writes the header line, then one line per row: {"table", "row"}; key material only `withKeys`. */
export async function exportData(
  store: Store,
  write: (line: string) => Promise<void> | void,
  options: { readonly withKeys: boolean; readonly now?: Date },
): Promise<TransferCounts> {
  const db = queryBuilder(store.executor.backend).withTables<{ webhook_event_ids: { since: string } }>();
  const counts = zero();
  const now = options.now ?? new Date();
  const header = { format, version: 1, exported_at: now.toISOString(), from: store.executor.backend, keys: options.withKeys };
  await write(JSON.stringify(header));
  for (const table of exported(options.withKeys)) {
    for (let offset = 0; ; offset += pageSize) {
      const rows = await store.executor.all(select(db, table, now.toISOString(), offset));
      for (const row of rows) await write(JSON.stringify({ table, row }));
      counts[table] += rows.length;
      if (rows.length < pageSize) break;
    }
  }
  return counts;
}

/** Rows per atomic unit while importing: memory stays bounded by this, not by the file. */
const importBatch = 2000;

/** How many rows an export will write (for a progress bar). */
export async function countRows(store: Store, withKeys: boolean, now = new Date()): Promise<number> {
  const db = queryBuilder(store.executor.backend).withTables<{ webhook_event_ids: { since: string } }>();
  let total = 0;
  for (const table of exported(withKeys)) {
    let q = db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
    if (table === 'idempotency_keys') q = q.where('state', '=', 'done').where('expires_at', '>', now.toISOString());
    total += Number((await store.executor.all(q.compile()))[0]?.n ?? 0);
  }
  return total;
}

/**
 * Loads an export into a store that has no tenants yet, streaming: rows go in as they are read,
 * a few thousand per atomic unit, so memory does not grow with the file. A failed import deletes
 * what it loaded, leaving the target as empty as it was (while the process lives: after a kill,
 * drop the database and import again).
 */
export async function importData(
  store: Store,
  lines: AsyncIterable<string> | Iterable<string>,
  onRows: (rows: number) => void = () => undefined,
  onKeyless: () => void = () => undefined,
): Promise<TransferCounts> {
  if ((await store.countTenants()) > 0) {
    throw new Error('the target store already has tenants; import only into an empty database');
  }
  const db = queryBuilder(store.executor.backend).withTables<{ webhook_event_ids: { since: string } }>();
  const counts = zero();
  // The target's own time (its migration): put back if the import fails.
  const ownSince = await store.executor.all(db.selectFrom('webhook_event_ids').selectAll().compile());
  let pending: { table: Table; row: Record<string, unknown> }[] = [];
  let sinceReplaced = false;
  const flush = async () => {
    const steps: Step[] = [];
    for (let i = 0; i < pending.length; ) {
      // Consecutive rows of one table, up to insertBatch, make one INSERT.
      const table = pending[i]!.table;
      let end = i + 1;
      while (end < pending.length && end - i < insertBatch && pending[end]!.table === table) end++;
      const values = pending.slice(i, end).map((p) => p.row);
      // The source's time replaces the target's, in the unit that brings it (the first holds the one row).
      if (table === 'webhook_event_ids' && !sinceReplaced) {
        steps.push({ query: db.deleteFrom('webhook_event_ids').compile() });
        sinceReplaced = true;
      }
      steps.push({
        query: db
          .insertInto(table)
          // biome-ignore lint/suspicious/noExplicitAny: rows are checked by the database's constraints
          .values(values as any)
          .compile(),
      });
      i = end;
    }
    const rows = pending.length;
    pending = [];
    if (steps.length > 0) await store.executor.atomic(steps);
    onRows(rows);
  };
  let header = false;
  let number = 0;
  try {
    for await (const line of lines) {
      number += 1;
      if (line.trim() === '') continue;
      let parsed: { format?: unknown; version?: unknown; table?: unknown; row?: unknown };
      try {
        parsed = JSON.parse(line) as typeof parsed;
      } catch (error) {
        // A cut file (an export killed mid-way, a copy that stopped short) ends in half a line.
        throw new Error(`line ${number} is not JSON (${(error as Error).message}): ${line.slice(0, 80)}`);
      }
      if (!header) {
        if (parsed.format !== format || parsed.version !== 1) throw new Error('not a custgate export (version 1)');
        // Exports from before `keys` was recorded always carried them.
        if ((parsed as { keys?: unknown }).keys === false) onKeyless();
        header = true;
        continue;
      }
      const table = parsed.table as Table;
      if (!(tables as readonly string[]).includes(table) || typeof parsed.row !== 'object' || parsed.row === null) {
        throw new Error(`unexpected line: ${line.slice(0, 80)}`);
      }
      pending.push({ table, row: parsed.row as Record<string, unknown> });
      counts[table] += 1;
      if (pending.length >= importBatch) await flush();
    }
    if (!header) throw new Error('empty input: not a custgate export');
    await flush();
  } catch (error) {
    const emptied: Step[] = tables.toReversed().map((table) => ({ query: db.deleteFrom(table).compile() }));
    if (ownSince.length > 0) emptied.push({ query: db.insertInto('webhook_event_ids').values(ownSince).compile() });
    await store.executor.atomic(emptied).catch(() => undefined);
    throw error;
  }
  return counts;
}
