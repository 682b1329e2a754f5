import type { Kysely } from 'kysely';
import type { SqlExecutor } from './executor.ts';
import type { Database, UpstreamCreateAttemptsTable } from './schema.ts';

export type CreateAttemptRow = UpstreamCreateAttemptsTable;

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

  async find(tenantId: string, upstreamId: string, customerId: string): Promise<CreateAttemptRow | undefined> {
    const q = this.#db
      .selectFrom('upstream_create_attempts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .where('customer_id', '=', customerId)
      .compile();
    return (await this.#executor.all(q))[0];
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
   * Takes a standing record for `claimId` if no one holds it: released (null), or held past its
   * time (a crashed owner's) as of `now`. True when this call took it.
   */
  async take(
    tenantId: string,
    upstreamId: string,
    customerId: string,
    claim: { id: string; until: string; now: string },
  ): Promise<boolean> {
    const q = this.#db
      .updateTable('upstream_create_attempts')
      .set({ claim_id: claim.id, claimed_until: claim.until })
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .where('customer_id', '=', customerId)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', claim.now)]))
      .compile();
    return (await this.#executor.run(q)) > 0;
  }

  /** Lets go of a claim (its send failed, the provider may hold the create): the next write recovers it. */
  async release(tenantId: string, upstreamId: string, customerId: string, claimId: string): Promise<void> {
    const q = this.#db
      .updateTable('upstream_create_attempts')
      .set({ claim_id: null, claimed_until: null })
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .where('customer_id', '=', customerId)
      .where('claim_id', '=', claimId)
      .compile();
    await this.#executor.run(q);
  }

  /** The upstream's standing records, oldest first (the operator's `upstream attempts`). */
  async list(tenantId: string, upstreamId: string, limit: number): Promise<CreateAttemptRow[]> {
    const q = this.#db
      .selectFrom('upstream_create_attempts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .orderBy('attempted_at')
      .orderBy('customer_id')
      .limit(limit)
      .compile();
    return this.#executor.all(q);
  }

  /** Deletes one record; true when there was one. */
  async drop(tenantId: string, upstreamId: string, customerId: string): Promise<boolean> {
    const q = this.#db
      .deleteFrom('upstream_create_attempts')
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .where('customer_id', '=', customerId)
      .compile();
    return (await this.#executor.run(q)) > 0;
  }
}
