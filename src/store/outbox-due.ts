import { type CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database, OutboxTable } from './schema.ts';

// The pick of due deliveries on PostgreSQL, written so that its plan does not depend on table
// statistics. The plain form (due rows in order, `not exists` an earlier pending version) is an
// anti-join, and on a table autovacuum has not analyzed yet (a backfill's burst onto a new
// install: autoanalyze runs only once the daemon comes round,
// https://www.postgresql.org/docs/current/routine-vacuuming.html#AUTOVACUUM) the planner's default
// estimates make it a nested loop over every pending row per pending row: 22 s for one pick at
// 20,000 pending (docs/performance.md).
//
// Here nothing is left for the planner to turn into a join:
// - due rows are walked one at a time in the order of the partial index `outbox_pending`
//   (migration 0035; PostgreSQL's alone since 0050), each step "the next pending row after this
//   one", an index descent that the recursive query repeats only as often as the outer LIMIT pulls rows
//   (https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-RECURSIVE);
// - the check for an earlier pending version of the same customer is a scalar sub-query (which
//   PostgreSQL never pulls up into a join), one seek in `outbox_open` per walked row; its ORDER BY
//   is that index's, so that with sorting costed out (below) no index in another order serves it
//   (stale statistics once made it scan all of `outbox_pending` for each row).
// Which of those plans PostgreSQL takes is still its choice, and after an analyze of a drained
// outbox it counts the pending rows as none and would rather sort them all at every step: the
// store runs this query with sorting costed out (SqlExecutor.allIndexOrdered), which leaves the
// walk's index the only way to its ORDER BY.
// The key columns close the order so that each step starts strictly after the last: a backfill
// queues a whole page of customers with the same timestamps.
//
// Literal states, so that the partial indexes' predicates are implied in a generic plan too.

// `newest` walks the same index backwards, from the latest due row (a round's fair half:
// src/outbox/round-pick.ts): the same plan, each step "the next pending row before this one", and
// at most `newestWalk` steps. Backwards, the rows met first are often a customer's later versions,
// which wait for its first: a backlog of customers with two pending versions each would be walked
// through to its middle on every round.

/** Rows the pick of the latest due reads at most for a pick of `limit` (SQLite and D1 too). */
export const newestWalk = (limit: number): number => 16 * limit;

const key = 'next_attempt_at, created_at, upstream_id, customer_id, version';
const order = sql.raw(key);
const keyOf = (alias: string, direction: string) =>
  key
    .split(', ')
    .map((column) => `${alias}.${column}${direction}`)
    .join(', ');

/**
 * Pending deliveries due at `now`, unleased, each the earliest pending version of its customer at
 * its upstream; at most `limit`, the earliest due (or with `newest` the latest due) first walked.
 */
export function duePostgres(db: Kysely<Database>, now: string, limit: number, newest = false): CompiledQuery<OutboxTable> {
  const walkOrder = sql.raw(keyOf('o', newest ? ' desc' : ''));
  const next = (after: RawBuilder<unknown> | undefined) => sql`
    select o.* from outbox o
    where o.state = 'pending' and o.next_attempt_at <= ${now}
    ${after ?? sql``}
    order by ${walkOrder}
    limit 1`;
  const after = sql.raw(`and (${keyOf('o', '')}) ${newest ? '<' : '>'} (${keyOf('w', '')})`);
  return sql<OutboxTable>`
    with recursive walk as (
      (${next(undefined)})
      union all
      (select n.* from walk w cross join lateral (${next(after)}) n)
    )
    select * from (
      select * from ${newest ? sql`(select * from walk limit ${newestWalk(limit)})` : sql`walk`} d
      where (d.lease_until is null or d.lease_until < ${now})
        and (select 1 from outbox e
             where e.upstream_id = d.upstream_id and e.customer_id = d.customer_id and e.version < d.version
               and e.state in ('pending', 'dead') and e.state = 'pending'
             order by e.upstream_id, e.customer_id, e.version
             limit 1) is null
      limit ${limit}
    ) picked
    order by ${order}`.compile(db);
}
