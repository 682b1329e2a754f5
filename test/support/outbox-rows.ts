import { CompiledQuery } from 'kysely';
import type { SqlExecutor } from '../../src/store/executor.ts';

// Outbox rows written straight into the table, by the thousand, for the tests of what a backlog
// costs (the health probe's depth, the due pick): one statement, the same SQL on SQLite and PostgreSQL.

/** Long due: every row below is pending since then, or was settled then. */
export const PAST = '2026-01-01T00:00:00.000Z';

export const outboxColumns =
  'upstream_id, customer_id, version, tenant_id, action, state, attempts, next_attempt_at, lease_owner, lease_until, last_error, created_at, updated_at';

export interface OutboxRowsOf {
  readonly upstream: string;
  readonly tenant: string;
  /** Customer ids are `${prefix}1` … `${prefix}n`. */
  readonly prefix: string;
  readonly state: 'pending' | 'delivered' | 'dead';
}

/** `n` creates (version 1) of as many customers at one upstream, all in `state`, due since PAST. */
export async function outboxRows(executor: SqlExecutor, n: number, of: OutboxRowsOf): Promise<void> {
  await executor.run(
    CompiledQuery.raw(
      `insert into outbox (${outboxColumns})
       with recursive n(i) as (select 1 union all select i + 1 from n where i < ${n})
       select '${of.upstream}', '${of.prefix}' || n.i, 1, '${of.tenant}', 'create', '${of.state}', 0, '${PAST}', null, null, null, '${PAST}', '${PAST}'
       from n`,
    ),
  );
}
