import { type Kysely, sql } from 'kysely';
import { queryBuilder } from '../store/compiler.ts';
import type { SqlExecutor } from '../store/index.ts';

// An event's id names one committed version of one customer, and is what a receiver de-duplicates
// on (https://docs.stripe.com/webhooks#handle-duplicate-events), so every retry and resend of it
// carries the same one. `evt_<customer uuid, hex>v<version>` alone repeats when a customer's UUID
// comes back with its versions started again (a store restored from an older backup, a copy of a
// customer's rows loaded again): two different events under one id, the second dropped as a duplicate.
// Events committed since migration 0045 add the change's time, `t<milliseconds, base 36>`, which
// the history keeps with the version; events from before keep the id they were first sent with.

/** When the database began giving events the time in their id (migration 0045). */
interface EventIdsTable {
  since: string;
}

const cache = new WeakMap<SqlExecutor, Promise<string>>();

/** The time from which events carry their time in the id: read once per process, then kept. */
export function timedIdsSince(executor: SqlExecutor): Promise<string> {
  const found = cache.get(executor);
  if (found) return found;
  const db = queryBuilder(executor.backend) as unknown as Kysely<{ webhook_event_ids: EventIdsTable }>;
  const read = executor
    .all(db.selectFrom('webhook_event_ids').select(sql<string>`min(since)`.as('since')).compile())
    // No row (a database that never ran 0045 is not served): every event is timed.
    .then((rows) => rows[0]?.since ?? '');
  cache.set(executor, read);
  read.catch(() => cache.delete(executor));
  return read;
}

export function eventId(customerId: string, version: number, createdAt: string, since: string): string {
  const base = `evt_${customerId.replaceAll('-', '')}v${version}`;
  return createdAt < since ? base : `${base}t${Date.parse(createdAt).toString(36)}`;
}

export interface EventRef {
  readonly customerId: string;
  readonly version: number;
}

/** The customer and version an id names; which of that version's events, `eventId` of the row says. */
export function parseEventId(id: string): EventRef | undefined {
  const m = /^evt_([0-9a-f]{32})v(\d{1,9})(?:t[0-9a-z]{1,11})?$/.exec(id);
  if (!m?.[1] || !m[2]) return undefined;
  const h = m[1];
  return {
    customerId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
    version: Number(m[2]),
  };
}
