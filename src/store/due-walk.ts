import { type CompiledQuery, type RawBuilder, sql } from 'kysely';

// The pick of due rows on PostgreSQL, for both queues of deliveries (the outbox: outbox-due.ts; the
// webhook queue: src/webhooks/due-pick.ts), written so that its plan does not depend on table
// statistics. The plain form (due rows in order, `not exists` an earlier pending version) is an
// anti-join, and on a table autovacuum has not analyzed yet (a backfill's burst onto a new
// install: autoanalyze runs only once the daemon comes round,
// https://www.postgresql.org/docs/current/routine-vacuuming.html#AUTOVACUUM) the planner's default
// estimates make it a nested loop over every pending row per pending row: 22 s for one pick at
// 20,000 pending (docs/performance.md).
//
// Here nothing is left for the planner to turn into a join:
// - due rows are walked one at a time in the order of their index (the outbox: the partial index
//   `outbox_pending`, migration 0035, PostgreSQL's alone since 0050; webhooks:
//   `webhook_deliveries_pick`, 0060), each step "the next pending row after this one", an index
//   descent that the recursive query repeats only as often as the outer LIMIT pulls rows
//   (https://www.postgresql.org/docs/current/queries-with.html#QUERIES-WITH-RECURSIVE);
// - what a walked row must pass (an earlier pending version of the same customer; a webhook
//   endpoint's status) is scalar sub-queries (which PostgreSQL never pulls up into a join), one
//   seek each per walked row; the outbox's ORDER BY is `outbox_open`'s, so that with sorting
//   costed out (below) no index in another order serves it (stale statistics once made it scan
//   all of `outbox_pending` for each row).
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

/** What compiles a query: the store's query builder. */
type Compiler = Parameters<RawBuilder<unknown>['compile']>[0];

/** A pick of due rows from a queue table whose rows have `state`, `next_attempt_at`, `lease_until`. */
export interface DueWalk {
  readonly table: 'outbox' | 'webhook_deliveries';
  /** The due order, closed by the row's key: its index's columns after `state`. */
  readonly key: readonly string[];
  readonly now: string;
  readonly limit: number;
  /** The latest due first, at most `newestWalk(limit)` rows walked. */
  readonly newest: boolean;
  /** What a walked row `p` must pass besides being pending, due and unleased. */
  readonly passes: RawBuilder<unknown>;
}

/** PostgreSQL: the pick as a walk of `table`'s due index, in due order (or backwards). */
export function dueWalkPostgres<Row>(db: Compiler, w: DueWalk): CompiledQuery<Row> {
  const keyOf = (alias: string, direction = '') => w.key.map((column) => `${alias}.${column}${direction}`).join(', ');
  const direction = w.newest ? ' desc' : '';
  const next = (after: RawBuilder<unknown> | undefined) => sql`
    select t.* from ${sql.table(w.table)} t
    where t.state = 'pending' and t.next_attempt_at <= ${w.now}
    ${after ?? sql``}
    order by ${sql.raw(keyOf('t', direction))}
    limit 1`;
  const after = sql.raw(`and (${keyOf('t')}) ${w.newest ? '<' : '>'} (${keyOf('w')})`);
  return sql<Row>`
    with recursive walk as (
      (${next(undefined)})
      union all
      (select n.* from walk w cross join lateral (${next(after)}) n)
    )
    select * from (
      select * from ${w.newest ? sql`(select * from walk limit ${newestWalk(w.limit)})` : sql`walk`} p
      where (p.lease_until is null or p.lease_until < ${w.now})
        and ${w.passes}
      limit ${w.limit}
    ) picked
    order by ${sql.raw(keyOf('picked', direction))}`.compile(db);
}

/**
 * SQLite and D1: the latest due pending rows of `table`, at most `newestWalk(limit)`, read backwards
 * along its due index (`state`, `next_attempt_at`, `created_at`), as the rows a pick of the latest
 * due filters (named `alias`).
 */
export function latestDueSqlite(table: DueWalk['table'], now: string, limit: number, alias: string) {
  return sql`(select * from ${sql.table(table)} where state = ${'pending'} and next_attempt_at <= ${now}
    order by next_attempt_at desc, created_at desc limit ${newestWalk(limit)})`.as(alias);
}
