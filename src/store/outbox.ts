import { type CompiledQuery, type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { SqlExecutor, Step } from './executor.ts';
import { freshLease, type LeaseOutcome, LeasedQueue, type Settlement } from './lease.ts';
import { latestDueSqlite } from './due-walk.ts';
import { duePostgres } from './outbox-due.ts';
import { prepared } from './prepared.ts';
import type { Database, OutboxTable } from './schema.ts';

// The outbox's queries (#17). Delivery rows are written as extra steps of a customer write's atomic
// unit (Store.insertCustomer / updateCustomer); everything else here runs on its own.
//
// Claims are leases taken by compare-and-set (one UPDATE that only succeeds while the row is free),
// the same on SQLite, D1 and PostgreSQL: no interactive transaction, and a dispatcher that dies
// (kill -9) only holds its deliveries until the lease ends.

export type DeliveryRow = OutboxTable;
export type DeliveryState = 'pending' | 'delivered' | 'dead';

export interface DeliveryKey {
  readonly upstream_id: string;
  readonly customer_id: string;
  readonly version: number;
}

export interface OutboxCounts {
  readonly pending: number;
  readonly dead: number;
}

/** Counts read no further than `cap` + 1 rows each: a count past `cap` shows as `cap`, with `capped`. */
export interface OutboxDepth extends OutboxCounts {
  readonly capped: boolean;
}

const deliveryColumns = [
  'upstream_id',
  'customer_id',
  'version',
  'tenant_id',
  'action',
  'state',
  'attempts',
  'next_attempt_at',
  'lease_owner',
  'lease_until',
  'last_error',
  'created_at',
  'updated_at',
  'via',
  'resync',
] as const satisfies readonly (keyof DeliveryRow)[];

/** A delivery of one version to one upstream, due at once. */
export function pendingDelivery(
  key: DeliveryKey & { readonly tenant_id: string; readonly action: DeliveryRow['action'] },
  at: string,
  via?: string | undefined,
): DeliveryRow {
  return {
    upstream_id: key.upstream_id,
    customer_id: key.customer_id,
    version: key.version,
    tenant_id: key.tenant_id,
    action: key.action,
    ...freshLease(at),
    created_at: at,
    updated_at: at,
    via: via ?? null,
    resync: null,
  };
}

/** Dead, or pending and not leased (a lease that ran out is no one's): what an operator may retry or drop. */
const notInFlight = (now: string) => (eb: ExpressionBuilder<Database, 'outbox'>) =>
  eb.or([
    eb('state', '=', 'dead'),
    eb.and([eb('state', '=', 'pending'), eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)])]),
  ]);

/** What a delivered row was before a resync took it (OutboxStore.requeueResync), put back by a drop. */
type ResyncPrior = Pick<DeliveryRow, 'state' | 'action' | 'attempts' | 'next_attempt_at' | 'last_error' | 'updated_at' | 'resync'>;

const priorOf = (row: DeliveryRow): ResyncPrior => ({
  state: row.state,
  action: row.action,
  attempts: Number(row.attempts),
  next_attempt_at: row.next_attempt_at,
  last_error: row.last_error,
  updated_at: row.updated_at,
  resync: row.resync,
});

/** One delivery by its key. */
const byKey = (key: DeliveryKey) => (eb: ExpressionBuilder<Database, 'outbox'>) =>
  eb.and([eb('upstream_id', '=', key.upstream_id), eb('customer_id', '=', key.customer_id), eb('version', '=', key.version)]);

/** The health probe's query: pending and dead rows, each counted up to `cap` + 1 (OutboxStore.depth). */
export function depthQuery(db: Kysely<Database>, cap: number) {
  const upTo = (state: DeliveryState) =>
    db
      .selectFrom((eb) =>
        eb
          .selectFrom('outbox')
          .select('state')
          .where('state', '=', state)
          .limit(cap + 1)
          .as('o'),
      )
      .select((eb) => eb.fn.countAll<number>().as('n'));
  return db.selectNoFrom([upTo('pending').as('pending'), upTo('dead').as('dead')]).compile();
}

export class OutboxStore {
  readonly #executor: SqlExecutor;
  readonly #db: Kysely<Database>;
  readonly #insert: (row: DeliveryRow) => Step['query'];
  readonly #lease: LeasedQueue<DeliveryKey, DeliveryState>;
  // Once per delivery: compiled once (src/store/prepared.ts), as building it cost more than running it.
  readonly #lastDelivered: (key: Pick<DeliveryKey, 'upstream_id' | 'customer_id'>) => CompiledQuery<{ v: number | string | null }>;

  constructor(executor: SqlExecutor, db: Kysely<Database>) {
    this.#executor = executor;
    this.#db = db;
    this.#insert = prepared<DeliveryRow>(deliveryColumns, (row) => db.insertInto('outbox').values(row).compile());
    this.#lastDelivered = prepared(['upstream_id', 'customer_id'], (key: Pick<DeliveryKey, 'upstream_id' | 'customer_id'>) =>
      db
        .selectFrom('outbox')
        .select((eb) => eb.fn.max('version').as('v'))
        .where('upstream_id', '=', key.upstream_id)
        .where('customer_id', '=', key.customer_id)
        .where('state', '=', 'delivered')
        .compile(),
    );
    this.#lease = new LeasedQueue(executor, 'outbox', ['upstream_id', 'customer_id', 'version']);
  }

  /** The step that records a delivery inside a customer write's atomic unit. */
  insertStep(row: DeliveryRow): Step {
    return { query: this.#insert(row) };
  }

  /**
   * Deliveries a dispatcher may take now: pending, due, not leased (or the lease ran out), and the
   * earliest pending version of its customer at its upstream. A dead earlier version does not
   * hold the later ones back: a delivery carries the current values of every field changed since
   * the upstream's last delivered version (src/outbox/dispatcher.ts), the dead one's included, so
   * the next version supersedes it; the dead row stays dead, counted and listed, until an
   * operator retries or drops it. `newest`: the latest due first (the pick's index read backwards),
   * not the earliest (a round's fair half: src/outbox/round-pick.ts).
   */
  async due(now: string, limit: number, newest = false): Promise<DeliveryRow[]> {
    if (this.#executor.backend === 'postgres') {
      const q = duePostgres(this.#db, now, limit, newest);
      return this.#executor.allIndexOrdered ? this.#executor.allIndexOrdered(q) : this.#executor.all(q);
    }
    // SQLite and D1. The open-state test is a literal so that the partial index `outbox_open` (migration 0010)
    // applies: SQLite matches a partial index's WHERE term by its text, a bound parameter would not.
    // The pick then costs index seeks over open rows, however many versions were delivered before.
    // `newest` reads at most newestWalk(limit) due rows, the latest (src/store/due-walk.ts says why).
    const pending = newest ? latestDueSqlite('outbox', now, limit, 'o') : undefined;
    const q = this.#db
      // The same columns either way; typed as the table, which kysely cannot infer for the union.
      .selectFrom(pending ? (pending as unknown as 'outbox as o') : 'outbox as o')
      .selectAll('o')
      .where('o.state', '=', 'pending')
      .where('o.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('o.lease_until', 'is', null), eb('o.lease_until', '<', now)]))
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('outbox as e')
              .select(sql.lit(1).as('one'))
              .whereRef('e.upstream_id', '=', 'o.upstream_id')
              .whereRef('e.customer_id', '=', 'o.customer_id')
              .whereRef('e.version', '<', 'o.version')
              // The literal again, so the partial index `outbox_open` (pending or dead) applies.
              .where(sql<boolean>`${sql.ref('e.state')} in ('pending', 'dead')`)
              .where(sql<boolean>`${sql.ref('e.state')} = 'pending'`),
          ),
        ),
      )
      .orderBy('o.next_attempt_at', newest ? 'desc' : 'asc')
      .orderBy('o.created_at', newest ? 'desc' : 'asc')
      .limit(limit)
      .compile();
    return this.#executor.all(q);
  }

  /** Takes the lease on a delivery; false when another dispatcher got it first. */
  claim(key: DeliveryKey, owner: string, now: string, leaseUntil: string): Promise<boolean> {
    return this.#lease.claim(key, owner, now, leaseUntil);
  }

  /** Leases a round's deliveries in one commit; those of `keys` that `owner` (unique to the round) won. */
  claimMany<T extends DeliveryKey>(keys: readonly T[], owner: string, now: string, leaseUntil: string): Promise<T[]> {
    return this.#lease.claimMany(keys, owner, now, leaseUntil);
  }

  /** Puts back the deliveries a round of `owner` leased and then could not settle (LeasedQueue.putBack). */
  putBack(keys: readonly DeliveryKey[], owner: string, now: string): Promise<void> {
    return this.#lease.putBack(keys, owner, now);
  }

  /** Holds an upstream's free pending deliveries until `until` (src/store/lease.ts, LeasedQueue.defer). */
  defer(upstreamId: string, until: string, now: string): Promise<number> {
    // The literal of the partial index `outbox_open` (migration 0010): the scan reads that upstream's
    // open rows only, not every version it was ever delivered.
    return this.#lease.defer(upstreamId, until, now, sql<boolean>`${sql.ref('state')} in ('pending', 'dead')`);
  }

  /** Ends a claimed delivery: delivered, dead, or pending again at a later time (src/store/lease.ts). */
  settle(key: DeliveryKey, owner: string, outcome: LeaseOutcome<DeliveryState>, now: string): Promise<boolean> {
    return this.#lease.settle(key, owner, outcome, now);
  }

  /**
   * Ends a round's deliveries in ONE commit (one UPDATE per shared outcome, one per retry's own
   * next attempt time); only rows `owner` still holds change, so a row whose lease another
   * dispatcher took over meanwhile is left to it. One commit a round instead of one per delivery:
   * on SQLite each was a message to the writer thread and a commit, on PostgreSQL a round trip.
   */
  async settleRound(settlements: readonly Settlement<DeliveryKey, DeliveryState>[], owner: string, now: string): Promise<void> {
    if (settlements.length > 0) await this.#executor.atomic(this.#lease.settleSteps(settlements, owner, now));
  }

  async list(filter: {
    readonly tenantId?: string;
    readonly customerId?: string;
    readonly upstreamId?: string;
    readonly states?: readonly DeliveryState[];
    readonly limit?: number;
  }): Promise<DeliveryRow[]> {
    let q = this.#db.selectFrom('outbox').selectAll();
    if (filter.tenantId !== undefined) q = q.where('tenant_id', '=', filter.tenantId);
    if (filter.upstreamId !== undefined) q = q.where('upstream_id', '=', filter.upstreamId);
    if (filter.customerId !== undefined) q = q.where('customer_id', '=', filter.customerId);
    if (filter.states !== undefined && filter.states.length > 0) q = q.where('state', 'in', [...filter.states]);
    const compiled = q
      .orderBy('created_at')
      .orderBy('customer_id')
      .orderBy('version')
      .limit(filter.limit ?? 1000)
      .compile();
    return this.#executor.all(compiled);
  }

  /**
   * Puts dead (or pending) deliveries back in line now, with a fresh count of attempts. A pending
   * delivery a dispatcher holds (its lease running) is being sent: it is left to that dispatcher,
   * since clearing its lease would let another send it again at the same moment (a provider
   * without idempotency keys would hold the customer twice).
   */
  async retry(keys: readonly DeliveryKey[], now: string): Promise<number> {
    let changed = 0;
    for (const key of keys) {
      const q = this.#db
        .updateTable('outbox')
        .set({ state: 'pending', attempts: 0, next_attempt_at: now, lease_owner: null, lease_until: null, updated_at: now })
        .where(byKey(key))
        .where(notInFlight(now))
        .compile();
      changed += await this.#executor.run(q);
    }
    return changed;
  }

  /**
   * Puts a delivery back in line as a resync (src/outbox/resync.ts): delivered already, dead, or
   * pending and not being sent, it becomes pending again with a fresh lease and `token`. A row a
   * dispatcher is sending now is left to it (0 changed). A delivered row keeps what it was in
   * `resync_prior`, for a drop to put back; the row is changed only as it was read (compare-and-set
   * on its state and updated_at), read again if it changed meanwhile.
   */
  async requeueResync(key: DeliveryKey, token: string, now: string): Promise<number> {
    for (let tries = 0; tries < 3; tries++) {
      const [row] = await this.#executor.all(this.#db.selectFrom('outbox').selectAll().where(byKey(key)).compile());
      if (row === undefined) return 0;
      const prior = row.state === 'delivered' ? JSON.stringify(priorOf(row)) : (row.resync_prior ?? null);
      const q = this.#db
        .updateTable('outbox')
        .set({ ...freshLease(now), resync: token, action: 'update', updated_at: now, resync_prior: prior })
        .where(byKey(key))
        .where('state', '=', row.state)
        .where('updated_at', '=', row.updated_at)
        .where((eb) => eb.or([eb('state', '=', 'delivered'), notInFlight(now)(eb)]))
        .compile();
      if ((await this.#executor.run(q)) > 0) return 1;
      if (row.state === 'pending' && row.lease_until !== null && row.lease_until >= now) return 0;
    }
    return 0;
  }

  /**
   * Removes deliveries that will not be sent (never one that was delivered: that is history, nor
   * one a dispatcher is sending now: it may reach the provider whatever is done here). A resync of
   * a version delivered before is that history: its row goes back to what it was (delivered, with
   * its attempts, errors and time), rather than vanish.
   */
  async drop(keys: readonly DeliveryKey[], now = new Date().toISOString()): Promise<number> {
    let changed = 0;
    for (const key of keys) {
      const [row] = await this.#executor.all(this.#db.selectFrom('outbox').select('resync_prior').where(byKey(key)).compile());
      const prior = row?.resync_prior ?? null;
      const q =
        prior === null
          ? this.#db.deleteFrom('outbox').where(byKey(key)).where(notInFlight(now)).where('resync_prior', 'is', null).compile()
          : this.#db
              .updateTable('outbox')
              .set({ ...(JSON.parse(prior) as ResyncPrior), lease_owner: null, lease_until: null, resync_prior: null })
              .where(byKey(key))
              .where(notInFlight(now))
              .where('resync_prior', '=', prior)
              .compile();
      changed += await this.#executor.run(q);
    }
    return changed;
  }

  /**
   * Pending and dead deliveries of all tenants, each counted up to `cap` (the health probe): each
   * count reads at most `cap` + 1 entries of `outbox_due` (state first), so a probe costs the same
   * at a million pending as at ten.
   */
  async depth(cap: number): Promise<OutboxDepth> {
    const q = depthQuery(this.#db, cap);
    const [row] = await this.#executor.all<{ pending: number | string; dead: number | string }>(q);
    const pending = Number(row?.pending ?? 0);
    const dead = Number(row?.dead ?? 0);
    return { pending: Math.min(pending, cap), dead: Math.min(dead, cap), capped: pending > cap || dead > cap };
  }

  /** Pending and dead deliveries, of one tenant (to one upstream) or of all (health, metrics). */
  async counts(tenantId?: string, upstreamId?: string): Promise<OutboxCounts> {
    let q = this.#db
      .selectFrom('outbox')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', 'in', ['pending', 'dead']);
    if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
    if (upstreamId !== undefined) q = q.where('upstream_id', '=', upstreamId);
    const rows = await this.#executor.all(q.groupBy('state').compile());
    const count = (state: string) => Number(rows.find((r) => r.state === state)?.n ?? 0);
    return { pending: count('pending'), dead: count('dead') };
  }

  /** The latest version an upstream has been given of a customer (0: none yet). */
  async lastDelivered(upstreamId: string, customerId: string): Promise<number> {
    const q = this.#lastDelivered({ upstream_id: upstreamId, customer_id: customerId });
    return Number((await this.#executor.all(q))[0]?.v ?? 0);
  }

  /** The latest version recorded for a customer at an upstream (delivered or not). */
  async latestVersion(upstreamId: string, customerId: string): Promise<number> {
    const q = this.#db
      .selectFrom('outbox')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('upstream_id', '=', upstreamId)
      .where('customer_id', '=', customerId)
      .compile();
    return Number((await this.#executor.all(q))[0]?.v ?? 0);
  }
}
