import type { Kysely } from 'kysely';
import type { SqlExecutor } from './executor.ts';
import type { Database } from './schema.ts';
import type { UpstreamCreateAttemptsTable } from './schema-upstreams.ts';

export type CreateAttemptRow = UpstreamCreateAttemptsTable;

/** A record as read: with its claim owner's `dead_after` (migration 0040) when that process has a row. */
export type CreateAttemptRead = CreateAttemptRow & { readonly owner_dead_after: string | null };

/**
 * Until when a record's claim holds as of `now` (ISO 8601), or null when no one holds it: its own
 * bound, or sooner its owner's `dead_after` once that has passed (the owner's process is dead).
 */
export function heldUntil(row: Pick<CreateAttemptRead, 'claimed_until' | 'owner_dead_after'>, now: string): string | null {
  if (row.claimed_until === null || row.claimed_until <= now) return null;
  if (row.owner_dead_after !== null && row.owner_dead_after <= now) return null;
  return row.claimed_until;
}

/**
 * Which records a listing shows: those whose customer is stored here in `livemode` (or in no mode,
 * from before modes were recorded); those whose customer is not stored (a client's create whose
 * answer was lost) sent by a key of `livemode`; and with `unstored` those of no recorded mode
 * (records from before migration 0057).
 */
export interface AttemptScope {
  readonly livemode: boolean;
  readonly unstored: boolean;
}

/**
 * Creates sent to an upstream for customers it has no link for yet (migration 0026): written before
 * the create leaves, gone once the link is stored (UpstreamRepository.link) or the provider refused
 * it. Every query names its tenant.
 */
export class CreateAttemptRepository {
  readonly #executor: SqlExecutor;
  readonly #db: Kysely<Database>;

  constructor(executor: SqlExecutor, db: Kysely<Database>) {
    this.#executor = executor;
    this.#db = db;
  }

  async find(tenantId: string, upstreamId: string, customerId: string): Promise<CreateAttemptRead | undefined> {
    const q = this.#read()
      .where('a.tenant_id', '=', tenantId)
      .where('a.upstream_id', '=', upstreamId)
      .where('a.customer_id', '=', customerId)
      .compile();
    return (await this.#executor.all(q))[0];
  }

  #read() {
    return this.#db
      .selectFrom('upstream_create_attempts as a')
      .leftJoin('gateway_instances as i', 'i.id', 'a.claim_owner')
      .selectAll('a')
      .select('i.dead_after as owner_dead_after');
  }

  /**
   * Records the attempt, replacing an earlier one of the same customer at the same upstream: for a
   * sender that cannot be concurrent with another for the customer (a mirror delivery, serialised
   * by the outbox; a client's keyed create, by its Idempotency-Key), or one that holds the claim.
   */
  async record(row: CreateAttemptRow): Promise<void> {
    const q = this.#db
      .insertInto('upstream_create_attempts')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['upstream_id', 'customer_id'])
          .doUpdateSet({
            attempted_at: row.attempted_at,
            idempotency_key: row.idempotency_key,
            sent: row.sent,
            claim_id: row.claim_id,
            claimed_until: row.claimed_until,
            claim_owner: row.claim_owner,
            livemode: row.livemode,
          })
          .where('upstream_create_attempts.tenant_id', '=', row.tenant_id),
      )
      .compile();
    await this.#executor.run(q);
  }

  /** Inserts the record only if the customer has none at this upstream: true when this call made it. */
  async claimNew(row: CreateAttemptRow): Promise<boolean> {
    const q = this.#db
      .insertInto('upstream_create_attempts')
      .values(row)
      .onConflict((oc) => oc.columns(['upstream_id', 'customer_id']).doNothing())
      .compile();
    return (await this.#executor.run(q)) > 0;
  }

  /**
   * Rewrites the record of a claim this request holds (taken with `take`): false when another
   * took it over meanwhile (this request was taken for dead), and then nothing is written.
   */
  async rewrite(row: CreateAttemptRow): Promise<boolean> {
    if (row.claim_id === null) return false;
    const q = this.#db
      .updateTable('upstream_create_attempts')
      .set({ attempted_at: row.attempted_at, idempotency_key: row.idempotency_key, sent: row.sent, livemode: row.livemode })
      .where('tenant_id', '=', row.tenant_id)
      .where('upstream_id', '=', row.upstream_id)
      .where('customer_id', '=', row.customer_id)
      .where('claim_id', '=', row.claim_id)
      .compile();
    return (await this.#executor.run(q)) > 0;
  }

  /**
   * Takes a standing record for `claim.id` (of process `claim.owner`) if no one holds it as of
   * `now`: released (null), held past its time, or held by a process past its `dead_after` (a
   * crashed owner's). True when this call took it.
   */
  async take(
    tenantId: string,
    upstreamId: string,
    customerId: string,
    claim: { id: string; until: string; owner: string | null; now: string },
  ): Promise<boolean> {
    const q = this.#db
      .updateTable('upstream_create_attempts')
      .set({ claim_id: claim.id, claimed_until: claim.until, claim_owner: claim.owner })
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .where('customer_id', '=', customerId)
      .where((eb) =>
        eb.or([
          eb('claimed_until', 'is', null),
          eb('claimed_until', '<=', claim.now),
          eb('claim_owner', 'in', eb.selectFrom('gateway_instances').select('id').where('dead_after', '<=', claim.now)),
        ]),
      )
      .compile();
    return (await this.#executor.run(q)) > 0;
  }

  /** Lets go of a claim (its send failed, the provider may hold the create): the next write recovers it. */
  async release(tenantId: string, upstreamId: string, customerId: string, claimId: string): Promise<void> {
    const q = this.#db
      .updateTable('upstream_create_attempts')
      .set({ claim_id: null, claimed_until: null, claim_owner: null })
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .where('customer_id', '=', customerId)
      .where('claim_id', '=', claimId)
      .compile();
    await this.#executor.run(q);
  }

  /** The upstream's standing records, oldest first (the operator's `upstream attempts`). */
  async list(tenantId: string, upstreamId: string, limit: number, only?: AttemptScope): Promise<CreateAttemptRead[]> {
    let q = this.#read().where('a.tenant_id', '=', tenantId).where('a.upstream_id', '=', upstreamId);
    if (only !== undefined) {
      // The customer the create was for, as stored here: its mode is the one the records show to.
      q = q
        .leftJoin('customers as c', (join) => join.onRef('c.tenant_id', '=', 'a.tenant_id').onRef('c.id', '=', 'a.customer_id'))
        .where((eb) =>
          eb.or([
            eb('c.livemode', '=', only.livemode ? 1 : 0),
            eb.and([eb('c.id', 'is not', null), eb('c.livemode', 'is', null)]),
            // Not stored here: the mode of the key that sent it (migration 0057), if recorded.
            eb.and([eb('c.id', 'is', null), eb('a.livemode', '=', only.livemode ? 1 : 0)]),
            ...(only.unstored ? [eb.and([eb('c.id', 'is', null), eb('a.livemode', 'is', null)])] : []),
          ]),
        );
    }
    const compiled = q.orderBy('a.attempted_at').orderBy('a.customer_id').limit(limit).compile();
    return this.#executor.all(compiled);
  }

  /**
   * Deletes one record; true when there was one. With `claimId`, only while that claim still holds
   * it: a request taken for dead must not delete the record another process's create now runs under.
   */
  async drop(tenantId: string, upstreamId: string, customerId: string, claimId?: string): Promise<boolean> {
    let q = this.#db
      .deleteFrom('upstream_create_attempts')
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .where('customer_id', '=', customerId);
    if (claimId !== undefined) q = q.where('claim_id', '=', claimId);
    return (await this.#executor.run(q.compile())) > 0;
  }
}
