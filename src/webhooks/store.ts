import { type Kysely, sql } from 'kysely';
import { queryBuilder } from '../store/compiler.ts';
import type { SqlExecutor, Step } from '../store/index.ts';
import { latestDueSqlite } from '../store/due-walk.ts';
import { type LeaseOutcome, LeasedQueue, type Settlement } from '../store/lease.ts';
import { duePostgres } from './due-pick.ts';
import { WebhookEndpointQueries } from './endpoint-queries.ts';
import { attemptSteps, commitRound, countSteps, resetGenerations } from './round-log.ts';
import {
  type AttemptRow,
  type EndpointRow,
  type EndpointScope,
  scopeOf,
  type WebhookDatabase,
  type WebhookDeliveryKey,
  type WebhookDeliveryRow,
  type WebhookDeliveryState,
} from './tables.ts';

// The webhook tables (migration 0011_webhooks) and their queries. Deliveries are leased by
// compare-and-set as the outbox's are, by one helper (src/store/lease.ts): no interactive transaction,
// and a dispatcher killed mid-delivery holds its rows only until the lease ends.

export type {
  AttemptRow,
  EndpointRow,
  EndpointScope,
  EndpointStatus,
  EventListFilter,
  WebhookAttemptsTable,
  WebhookDeliveriesTable,
  WebhookDeliveryKey,
  WebhookDeliveryRow,
  WebhookDeliveryState,
  WebhookEndpointsTable,
  WebhookFormat,
} from './tables.ts';
export { scopeOf } from './tables.ts';

/**
 * The webhook tables' queries: the deliveries and their attempts here, the endpoints
 * (endpoint-queries.ts) and the events a tenant can list (event-queries.ts) on the same object.
 */
export class WebhookStore extends WebhookEndpointQueries {
  readonly #executor: SqlExecutor;
  readonly #db: Kysely<WebhookDatabase>;
  readonly #lease: LeasedQueue<WebhookDeliveryKey, WebhookDeliveryState>;

  constructor(executor: SqlExecutor) {
    super(executor);
    this.#executor = executor;
    // The store's compiler, typed with the webhook tables this module owns.
    this.#db = queryBuilder(executor.backend) as unknown as Kysely<WebhookDatabase>;
    this.#lease = new LeasedQueue(executor, 'webhook_deliveries', ['endpoint_id', 'customer_id', 'version']);
  }

  // --- deliveries

  /** The step that records a delivery inside a customer write's atomic unit. */
  insertStep(row: WebhookDeliveryRow): Step {
    return { query: this.#db.insertInto('webhook_deliveries').values(row).compile() };
  }

  async insertDelivery(row: WebhookDeliveryRow): Promise<void> {
    await this.#executor.run(
      this.#db
        .insertInto('webhook_deliveries')
        .values(row)
        .onConflict((oc) => oc.columns(['endpoint_id', 'customer_id', 'version']).doNothing())
        .compile(),
    );
  }

  /**
   * Due deliveries: pending, due, not leased, and no earlier version of the same customer still
   * pending for the same endpoint (per-customer order). A dead one does not hold later ones back:
   * an endpoint gets the customer's later state, and the dead event stays listed for resend.
   * `newest`: the latest due first (the due index read backwards), not the earliest. Either reads
   * only the due rows it walks past, in due order, not the whole backlog: the latest due at most
   * newestWalk(limit); the earliest until it has `limit` (past rows that wait: leased, a later
   * version, a disabled endpoint's).
   */
  async due(now: string, limit: number, newest = false): Promise<WebhookDeliveryRow[]> {
    if (this.#executor.backend === 'postgres') {
      const q = duePostgres(this.#db, now, limit, newest);
      return this.#executor.allIndexOrdered ? this.#executor.allIndexOrdered(q) : this.#executor.all(q);
    }
    // SQLite and D1, along `webhook_deliveries_pick` (migration 0060) forwards, or with `newest`
    // backwards over at most newestWalk(limit) due rows (src/store/due-walk.ts says why).
    const walked = newest ? latestDueSqlite('webhook_deliveries', now, limit, 'd') : undefined;
    const q = this.#db
      // The same columns either way; typed as the table, which kysely cannot infer for the subquery.
      .selectFrom(walked ? (walked as unknown as 'webhook_deliveries as d') : 'webhook_deliveries as d')
      .selectAll('d')
      .where('d.state', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', now)]))
      // A disabled endpoint's deliveries wait, in order, for it to be enabled again.
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('webhook_endpoints as w')
            .select(sql.lit(1).as('one'))
            .whereRef('w.id', '=', 'd.endpoint_id')
            .where('w.status', '=', 'enabled'),
        ),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries as e')
              .select(sql.lit(1).as('one'))
              .whereRef('e.endpoint_id', '=', 'd.endpoint_id')
              .whereRef('e.customer_id', '=', 'd.customer_id')
              .whereRef('e.version', '<', 'd.version')
              .where('e.state', '=', 'pending'),
          ),
        ),
      )
      .orderBy('d.next_attempt_at', newest ? 'desc' : 'asc')
      .orderBy('d.created_at', newest ? 'desc' : 'asc')
      .limit(limit)
      .compile();
    return this.#executor.all(q);
  }

  claim(key: WebhookDeliveryKey, owner: string, now: string, leaseUntil: string): Promise<boolean> {
    return this.#lease.claim(key, owner, now, leaseUntil);
  }

  settle(key: WebhookDeliveryKey, owner: string, outcome: LeaseOutcome<WebhookDeliveryState>, now: string): Promise<boolean> {
    return this.#lease.settle(key, owner, outcome, now);
  }

  /** Each tenant's reset generation now, read before a round leases (src/webhooks/round-log.ts). */
  resetGenerations(tenantIds: readonly string[]): Promise<Map<string, number>> {
    return resetGenerations(this.#executor, this.#db, tenantIds);
  }

  /** Leases a round's rows in one commit; the keys `owner` (unique to the round) won. */
  claimMany<T extends WebhookDeliveryKey>(keys: readonly T[], owner: string, now: string, leaseUntil: string): Promise<T[]> {
    return this.#lease.claimMany(keys, owner, now, leaseUntil);
  }

  /** Puts back the rows a round of `owner` leased and then could not settle (LeasedQueue.putBack). */
  putBack(keys: readonly WebhookDeliveryKey[], owner: string, now: string): Promise<void> {
    return this.#lease.putBack(keys, owner, now);
  }

  /**
   * Holds an endpoint down until `until`, one failed round more than `was`, if its hold is still
   * `was` (what the round read with the endpoint): a release since then stands. Then its free pending
   * deliveries are deferred to `until` (src/store/lease.ts, LeasedQueue.defer), only while the hold
   * is this one, so a release between the two statements is not undone. How many were deferred;
   * undefined when the hold had changed.
   */
  async hold(
    endpointId: string,
    was: Pick<EndpointRow, 'held_until' | 'held_rounds'>,
    until: string,
    now: string,
  ): Promise<number | undefined> {
    let q = this.#db
      .updateTable('webhook_endpoints')
      .set({ held_until: until, held_rounds: Number(was.held_rounds) + 1 })
      .where('id', '=', endpointId)
      .where('held_rounds', '=', was.held_rounds);
    q = was.held_until === null ? q.where('held_until', 'is', null) : q.where('held_until', '=', was.held_until);
    if ((await this.#executor.run(q.compile())) === 0) return undefined;
    const stillHeld = sql<boolean>`exists (select 1 from webhook_endpoints w where w.id = ${endpointId} and w.held_until = ${until})`;
    return this.#lease.defer(endpointId, until, now, stillHeld);
  }

  /**
   * Ends an endpoint's hold (it is said to be back) for every process on the store, each reading it
   * with the endpoint in its next round; then makes its free pending deliveries due `now` (the
   * hold's defer undone). The hold first: a round deferring for it after this finds it gone.
   */
  async release(endpointId: string, now: string): Promise<number> {
    await this.#executor.run(
      this.#db.updateTable('webhook_endpoints').set({ held_until: now, held_rounds: 0 }).where('id', '=', endpointId).compile(),
    );
    const q = this.#db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: now, updated_at: now })
      .where('endpoint_id', '=', endpointId)
      .where('state', '=', 'pending')
      .where('next_attempt_at', '>', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]));
    return this.#executor.run(q.compile());
  }

  /**
   * Ends a round in ONE commit: its attempts logged (each tenant's only if it was not reset since
   * `generations` were read), its rows settled (only those `owner` still holds), the failure count
   * of each endpoint that answered reset, and each delivery given up counted against its endpoint,
   * only while `owner` still holds it: the count is what the commit settled dead, never a row
   * another holder took over or a reset deleted. One commit per round instead of two per event is
   * what lets delivery keep up with the writes that queue it.
   */
  async settleRound(round: {
    readonly owner: string;
    readonly now: string;
    readonly settlements: readonly Settlement<WebhookDeliveryKey, WebhookDeliveryState>[];
    readonly attempts: readonly AttemptRow[];
    readonly recovered: readonly string[];
    readonly givenUp: readonly WebhookDeliveryKey[];
    /** Endpoints that answered in the round, whose hold (read with them) it ends. */
    readonly answered: readonly string[];
    readonly generations: ReadonlyMap<string, number>;
  }): Promise<void> {
    const steps = attemptSteps(this.#executor, this.#db, round.attempts, round.generations);
    // Before the settlements, which release the rows: held by `owner` is what says the round settles them.
    steps.push(...countSteps(this.#executor, this.#db, round));
    // An endpoint that answered is up: its hold, if another round set one, ends for every process.
    if (round.answered.length > 0) {
      const q = this.#db
        .updateTable('webhook_endpoints')
        .set({ held_until: null, held_rounds: 0 })
        .where('id', 'in', round.answered)
        .where('held_rounds', '>', 0);
      steps.push({ query: q.compile() });
    }
    steps.push(...this.#lease.settleSteps(round.settlements, round.owner, round.now));
    if (steps.length > 0) await commitRound(this.#executor, this.#db, steps, round.generations);
  }

  /**
   * Puts an event's deliveries (to every endpoint of the tenant that had it, or to `endpointId`
   * only; of the scope's mode when it has one) back in line now.
   */
  async resend(scope: string | EndpointScope, customerId: string, version: number, now: string, endpointId?: string): Promise<number> {
    const { tenantId, livemode } = scopeOf(scope);
    let q = this.#db
      .updateTable('webhook_deliveries')
      .set({ state: 'pending', attempts: 0, next_attempt_at: now, lease_owner: null, lease_until: null, updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('customer_id', '=', customerId)
      .where('version', '=', version);
    if (endpointId !== undefined) q = q.where('endpoint_id', '=', endpointId);
    if (livemode !== undefined) {
      q = q.where(
        'endpoint_id',
        'in',
        this.#db
          .selectFrom('webhook_endpoints')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('livemode', '=', livemode ? 1 : 0),
      );
    }
    return this.#executor.run(q.compile());
  }

  async deliveriesOf(tenantId: string, customerId: string, version: number): Promise<WebhookDeliveryRow[]> {
    const q = this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('customer_id', '=', customerId)
      .where('version', '=', version)
      .compile();
    return this.#executor.all(q);
  }

  async pendingCount(): Promise<number> {
    const q = this.#db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'pending')
      .compile();
    return Number((await this.#executor.all(q))[0]?.n ?? 0);
  }

  async disabledCount(): Promise<number> {
    const q = this.#db
      .selectFrom('webhook_endpoints')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'disabled')
      .compile();
    return Number((await this.#executor.all(q))[0]?.n ?? 0);
  }

  // --- attempts

  async recordAttempt(row: AttemptRow): Promise<void> {
    await this.#executor.run(this.#db.insertInto('webhook_attempts').values(row).compile());
  }

  async attempts(tenantId: string, endpointId: string, limit: number): Promise<AttemptRow[]> {
    const q = this.#db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('endpoint_id', '=', endpointId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .compile();
    return this.#executor.all(q);
  }
}
