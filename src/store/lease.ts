import type { Kysely } from 'kysely';
import { queryBuilder } from './compiler.ts';
import type { SqlExecutor } from './executor.ts';
import type { OutboxTable } from './schema.ts';

// Leases by compare-and-set, for every queue of deliveries (the outbox, webhook deliveries): one
// UPDATE that succeeds only while the row is pending and free, the same on SQLite, D1 and
// PostgreSQL, so no interactive transaction is needed and a holder that dies (kill -9) keeps its
// rows only until the lease ends. Settling succeeds only while the caller still holds the lease.

/** The columns a leased queue row has, whatever its key: the outbox's lease columns. */
type LeasedRow = Pick<OutboxTable, 'state' | 'attempts' | 'next_attempt_at' | 'lease_owner' | 'lease_until' | 'last_error' | 'updated_at'>;

// The queries name the queue's table at run time; this one name stands for it in the types.
interface LeaseDatabase {
  queue: LeasedRow;
}

export interface LeaseOutcome<S extends string> {
  readonly state: S;
  readonly nextAttemptAt?: string;
  /** undefined: last_error is left as it is. */
  readonly error?: string | null;
}

export class LeasedQueue<K extends object, S extends string> {
  readonly #executor: SqlExecutor;
  readonly #db: Kysely<LeaseDatabase>;
  readonly #table: 'queue';
  readonly #keyColumns: readonly (keyof K & string)[];

  constructor(executor: SqlExecutor, table: string, keyColumns: readonly (keyof K & string)[]) {
    this.#executor = executor;
    this.#db = queryBuilder(executor.backend) as unknown as Kysely<LeaseDatabase>;
    this.#table = table as 'queue';
    this.#keyColumns = keyColumns;
  }

  #update(key: K) {
    let q = this.#db.updateTable(this.#table);
    for (const column of this.#keyColumns) q = q.where(column as keyof LeasedRow, '=', key[column] as never);
    return q;
  }

  /** Takes the lease on a row; false when another holder got it first. */
  async claim(key: K, owner: string, now: string, leaseUntil: string): Promise<boolean> {
    const q = this.#update(key)
      .set((eb) => ({ lease_owner: owner, lease_until: leaseUntil, attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('state', '=', 'pending')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .compile();
    return (await this.#executor.run(q)) > 0;
  }

  /** Ends a claimed row: only while the caller still holds the lease (one that stalled past it has lost the row). */
  async settle(key: K, owner: string, outcome: LeaseOutcome<S>, now: string): Promise<boolean> {
    const q = this.#update(key)
      .set({
        state: outcome.state,
        lease_owner: null,
        lease_until: null,
        updated_at: now,
        ...(outcome.nextAttemptAt !== undefined ? { next_attempt_at: outcome.nextAttemptAt } : {}),
        ...(outcome.error !== undefined ? { last_error: outcome.error } : {}),
      })
      .where('lease_owner', '=', owner)
      .compile();
    return (await this.#executor.run(q)) > 0;
  }
}
