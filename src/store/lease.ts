import { type Kysely, type RawBuilder, sql, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import { queryBuilder } from './compiler.ts';
import type { SqlExecutor, Step } from './executor.ts';
import type { LeasedRow } from './schema.ts';

// Leases by compare-and-set, for every queue of deliveries (the outbox, webhook deliveries): one
// UPDATE that succeeds only while the row is pending and free, the same on SQLite, D1 and
// PostgreSQL, so no interactive transaction is needed and a holder that dies (kill -9) keeps its
// rows only until the lease ends. Settling succeeds only while the caller still holds the lease.

// The queries name the queue's table at run time; this one name stands for it in the types.
interface LeaseDatabase {
  queue: LeasedRow & { updated_at: string };
}

/** A new row's lease columns: due at `at`, held by no one. */
export const freshLease = (at: string): LeasedRow<'pending'> => ({
  state: 'pending',
  attempts: 0,
  next_attempt_at: at,
  lease_owner: null,
  lease_until: null,
  last_error: null,
});

export interface LeaseOutcome<S extends string> {
  readonly state: S;
  readonly nextAttemptAt?: string;
  /** undefined: last_error is left as it is. */
  readonly error?: string | null;
  /** The row was leased but not sent (its target held back): the claim's attempt is taken back. */
  readonly unsent?: boolean;
}

/** One row's end, for settling a round of rows in one commit (LeasedQueue.settleSteps). */
export interface Settlement<K, S extends string> {
  readonly key: K;
  readonly outcome: LeaseOutcome<S>;
}

// Bound parameters per statement: D1 allows 100 (https://developers.cloudflare.com/d1/platform/limits/);
// SQLite 32,766 and PostgreSQL 65,535 are far above a round.
const maxParameters = { sqlite: 30_000, postgres: 60_000, d1: 90 } as const satisfies Record<SqlExecutor['backend'], number>;

/** Splits `items` so that no statement binds more than the backend allows, `perItem` each beside `fixed` others. */
export function chunked<T>(backend: SqlExecutor['backend'], items: readonly T[], perItem: number, fixed = 0): T[][] {
  const size = Math.max(1, Math.floor((maxParameters[backend] - fixed) / perItem));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
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
    for (const column of this.#keyColumns) q = q.where(column as keyof LeaseDatabase['queue'], '=', key[column] as never);
    return q;
  }

  /** `(k1, k2, …) in ((?, ?, …), …)`: a row value list, which SQLite (3.15+) and PostgreSQL both take. */
  #keyIn(keys: readonly K[], prefix?: string): RawBuilder<boolean> {
    const ref = (c: string) => sql.ref(prefix ? `${prefix}.${c}` : c);
    const columns = sql.join(this.#keyColumns.map(ref));
    const rows = keys.map((k) => sql`(${sql.join(this.#keyColumns.map((c) => k[c]))})`);
    return sql<boolean>`(${columns}) in (${sql.join(rows)})`;
  }

  /**
   * Takes the lease on every free row of `keys`, in one commit (SQLite groups a round's statements
   * into one), and returns those of `keys` (the same objects) that `owner` now holds. `owner` must be unique to this call: which
   * rows were won is read back by it. On PostgreSQL the rows are locked SKIP LOCKED first, so two
   * processes claiming overlapping rounds never wait on each other (nor deadlock).
   *
   * On SQLite the state test is written `+state`, which keeps it off any index
   * (https://www.sqlite.org/optoverview.html#disqualifying_where_clause_terms_using_unary_): the
   * planner has no statistics and, given a plain `state = ?`, served the claim from the index that
   * leads with `state` (`outbox_due`, `webhook_deliveries_pick`) rather than the key, walking every pending row
   * once per round. At a backlog of 100,000 that was 6,400 page reads per round (docs/performance.md).
   */
  async claimMany<T extends K>(keys: readonly T[], owner: string, now: string, leaseUntil: string): Promise<T[]> {
    if (keys.length === 0) return [];
    const backend = this.#executor.backend;
    const width = this.#keyColumns.length;
    const steps: Step[] = chunked(backend, keys, width, 6).map((part) => {
      const q = this.#db
        .updateTable(this.#table)
        .set((eb) => ({ lease_owner: owner, lease_until: leaseUntil, attempts: eb('attempts', '+', 1), updated_at: now }))
        .where(this.#byKeys(part, true))
        .where(sql<boolean>`${backend === 'postgres' ? sql.ref('state') : sql`+${sql.ref('state')}`} = ${'pending'}`)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
      return { query: q.compile() };
    });
    await this.#executor.atomic(steps);
    const won: T[] = [];
    for (const part of chunked(backend, keys, width, 1)) {
      const cols = this.#keyColumns as unknown as (keyof LeaseDatabase['queue'])[];
      const q = this.#db.selectFrom(this.#table).select(cols).where(this.#keyIn(part)).where('lease_owner', '=', owner).compile();
      const held = await this.#executor.all(q);
      const heldKeys = new Set(held.map((r) => this.#keyText(r as unknown as K)));
      for (const k of part) if (heldKeys.has(this.#keyText(k))) won.push(k);
    }
    return won;
  }

  /**
   * PostgreSQL: the rows of `keys` by their physical address, each found by its whole primary key
   * in a sub-query of its own (for a claim: pending, locked SKIP LOCKED). Neither a seek by a
   * unique key nor a TID scan is a choice the planner makes by statistics; a list of keys matched
   * as one `in` was: on an outbox not yet analyzed it read every pending row of the upstream per
   * round. A row another transaction moved meanwhile is followed by the UPDATE, which re-checks
   * its own conditions on the newest version.
   */
  #rowsByKey(keys: readonly K[], claim: boolean): RawBuilder<boolean> {
    const one = (k: K) =>
      sql`(select ctid from ${sql.table(this.#table)} where ${sql.join(
        this.#keyColumns.map((c) => sql`${sql.ref(c)} = ${k[c]}`),
        sql` and `,
      )}${claim ? sql` and state = 'pending' for update skip locked` : sql``})`;
    return sql<boolean>`ctid = any(array[${sql.join(keys.map(one))}])`;
  }

  /** The rows of `keys`: on PostgreSQL by address (above), elsewhere by a row-value list. */
  #byKeys(keys: readonly K[], claim: boolean): RawBuilder<boolean> {
    return this.#executor.backend === 'postgres' ? this.#rowsByKey(keys, claim) : this.#keyIn(keys);
  }

  #keyText(key: K): string {
    return this.#keyColumns.map((c) => String(key[c])).join('\u0000');
  }

  /**
   * The statements that end a round's rows, for the caller to commit in one atomic unit with its
   * own (the attempt log): one UPDATE per outcome shared by several rows (a round's deliveries),
   * one per row otherwise (a retry's own next attempt time). Only rows `owner` still holds change.
   */
  settleSteps(settlements: readonly Settlement<K, S>[], owner: string, now: string): Step[] {
    const groups = new Map<string, { outcome: LeaseOutcome<S>; keys: K[] }>();
    const steps: Step[] = [];
    for (const { key, outcome } of settlements) {
      if (outcome.nextAttemptAt !== undefined) {
        steps.push({ query: this.#settleQuery(this.#update(key), owner, outcome, now) });
        continue;
      }
      const id = JSON.stringify([outcome.state, outcome.error, outcome.unsent]);
      const group = groups.get(id) ?? { outcome, keys: [] };
      group.keys.push(key);
      groups.set(id, group);
    }
    for (const { outcome, keys } of groups.values()) {
      for (const part of chunked(this.#executor.backend, keys, this.#keyColumns.length, 6)) {
        steps.push({ query: this.#settleQuery(this.#db.updateTable(this.#table).where(this.#byKeys(part, false)), owner, outcome, now) });
      }
    }
    return steps;
  }

  /**
   * Puts back the rows a round of `owner` leased and then could not settle (the store failed under
   * it): due again now, not held until their lease ends, with every later version of their
   * customers behind them. A row the owner no longer holds (settled after all, or taken over) is
   * left alone.
   */
  async putBack(keys: readonly K[], owner: string, now: string): Promise<void> {
    const steps = this.settleSteps(
      keys.map((key) => ({ key, outcome: { state: 'pending' as S, nextAttemptAt: now } })),
      owner,
      now,
    );
    if (steps.length > 0) await this.#executor.atomic(steps);
  }

  #settleQuery(q: UpdateQueryBuilder<LeaseDatabase, 'queue', 'queue', UpdateResult>, owner: string, outcome: LeaseOutcome<S>, now: string) {
    return q
      .set((eb) => ({
        state: outcome.state,
        lease_owner: null,
        lease_until: null,
        updated_at: now,
        ...(outcome.nextAttemptAt !== undefined ? { next_attempt_at: outcome.nextAttemptAt } : {}),
        ...(outcome.error !== undefined ? { last_error: outcome.error } : {}),
        ...(outcome.unsent ? { attempts: eb('attempts', '-', 1) } : {}),
      }))
      .where('lease_owner', '=', owner)
      .compile();
  }

  /**
   * Pushes every free pending row of one target (the first key column: an upstream, an endpoint)
   * that is due before `until` to `until`, in one statement: the target is down, and its rows
   * should neither be leased and failed a round at a time nor be picked ahead of other targets'
   * rows. Not an attempt (nothing is sent), so attempts stay as they are; rows in flight (leased)
   * are left to their holder. `open` narrows the scan to an index of open rows where there is one.
   */
  async defer(target: string, until: string, now: string, open?: RawBuilder<boolean>): Promise<number> {
    const column = this.#keyColumns[0] as keyof LeaseDatabase['queue'];
    const backend = this.#executor.backend;
    // `+` on SQLite as in claimMany: the rows are read by the target's key (or `open`), not through
    // the due index, which would walk every upstream's due rows (the plan: test/outbox-scale.test.ts).
    const off = (column: string) => (backend === 'postgres' ? sql.ref(column) : sql`+${sql.ref(column)}`);
    let q = this.#db
      .updateTable(this.#table)
      .set({ next_attempt_at: until, updated_at: now })
      .where(column, '=', target as never)
      .where(sql<boolean>`${off('state')} = ${'pending'}`)
      .where(sql<boolean>`${off('next_attempt_at')} < ${until}`)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
    if (open) q = q.where(open);
    return this.#executor.run(q.compile());
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
    return (await this.#executor.run(this.#settleQuery(this.#update(key), owner, outcome, now))) > 0;
  }
}
