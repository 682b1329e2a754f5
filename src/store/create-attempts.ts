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

  /** Records the attempt, replacing an earlier one of the same customer at the same upstream. */
  async record(row: CreateAttemptRow): Promise<void> {
    const q = this.#db
      .insertInto('upstream_create_attempts')
      .values(row)
      .onConflict((oc) =>
        oc
          .columns(['upstream_id', 'customer_id'])
          .doUpdateSet({ attempted_at: row.attempted_at, idempotency_key: row.idempotency_key, sent: row.sent })
          .where('upstream_create_attempts.tenant_id', '=', row.tenant_id),
      )
      .compile();
    await this.#executor.run(q);
  }

  async drop(tenantId: string, upstreamId: string, customerId: string): Promise<void> {
    const q = this.#db
      .deleteFrom('upstream_create_attempts')
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .where('customer_id', '=', customerId)
      .compile();
    await this.#executor.run(q);
  }
}
