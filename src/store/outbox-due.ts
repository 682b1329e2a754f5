import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { dueWalkPostgres } from './due-walk.ts';
import type { Database, OutboxTable } from './schema.ts';

// The outbox's pick of due deliveries on PostgreSQL: the walk of src/store/due-walk.ts (which says
// why a walk, and why the latest-due one is bounded) along `outbox_pending` (migration 0035).
//
// Literal states, so that the partial indexes' predicates are implied in a generic plan too.

/**
 * Pending deliveries due at `now`, unleased, each the earliest pending version of its customer at
 * its upstream; at most `limit`, the earliest due (or with `newest` the latest due) first walked.
 */
export function duePostgres(db: Kysely<Database>, now: string, limit: number, newest = false): CompiledQuery<OutboxTable> {
  const passes = sql`(select 1 from outbox e
             where e.upstream_id = p.upstream_id and e.customer_id = p.customer_id and e.version < p.version
               and e.state in ('pending', 'dead') and e.state = 'pending'
             order by e.upstream_id, e.customer_id, e.version
             limit 1) is null`;
  const key = ['next_attempt_at', 'created_at', 'upstream_id', 'customer_id', 'version'];
  return dueWalkPostgres<OutboxTable>(db, { table: 'outbox', key, now, limit, newest, passes });
}
