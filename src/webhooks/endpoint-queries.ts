import type { Kysely } from 'kysely';
import { queryBuilder } from '../store/compiler.ts';
import type { SqlExecutor } from '../store/index.ts';
import { WebhookEventQueries } from './event-queries.ts';
import { type EndpointRow, type EndpointScope, type EndpointStatus, scopeOf, type WebhookDatabase } from './tables.ts';

/**
 * A tenant's webhook endpoints. Reached through WebhookStore (store.ts), which adds the deliveries'
 * queue and the log of attempts to make them.
 */
export class WebhookEndpointQueries extends WebhookEventQueries {
  readonly #executor: SqlExecutor;
  readonly #db: Kysely<WebhookDatabase>;

  constructor(executor: SqlExecutor) {
    super(executor);
    this.#executor = executor;
    // The store's compiler, typed with the webhook tables (tables.ts).
    this.#db = queryBuilder(executor.backend) as unknown as Kysely<WebhookDatabase>;
  }

  // --- endpoints

  async insertEndpoint(row: EndpointRow): Promise<void> {
    await this.#executor.run(this.#db.insertInto('webhook_endpoints').values(row).compile());
  }

  /** The scope's endpoints: its tenant's, narrowed to a mode, a format and a dialect where it names them. */
  #scoped(scope: string | EndpointScope) {
    const { tenantId, livemode, format, dialect } = scopeOf(scope);
    let q = this.#db.selectFrom('webhook_endpoints').selectAll().where('tenant_id', '=', tenantId);
    if (livemode !== undefined) q = q.where('livemode', '=', livemode ? 1 : 0);
    if (format !== undefined) q = q.where('format', '=', format);
    if (dialect !== undefined) q = q.where('dialect', '=', dialect);
    return q;
  }

  async endpoints(scope: string | EndpointScope, status?: EndpointStatus): Promise<EndpointRow[]> {
    let q = this.#scoped(scope);
    if (status) q = q.where('status', '=', status);
    return this.#executor.all(q.orderBy('created_at').orderBy('id').compile());
  }

  async endpoint(scope: string | EndpointScope, id: string): Promise<EndpointRow | undefined> {
    return (await this.#executor.all(this.#scoped(scope).where('id', '=', id).compile()))[0];
  }

  /** Removes the endpoint and what it has not delivered yet; the attempt log stays as history. */
  async removeEndpoint(tenantId: string, id: string): Promise<boolean> {
    const removed = await this.#executor.run(
      this.#db.deleteFrom('webhook_endpoints').where('tenant_id', '=', tenantId).where('id', '=', id).compile(),
    );
    if (removed === 0) return false;
    await this.#executor.run(
      this.#db.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).where('state', '!=', 'delivered').compile(),
    );
    return true;
  }

  async updateEndpoint(
    tenantId: string,
    id: string,
    set: Partial<
      Pick<
        EndpointRow,
        'secret' | 'previous_secret' | 'previous_until' | 'status' | 'failures' | 'url' | 'events' | 'description' | 'metadata'
      >
    >,
    now: string,
    /** Compare-and-set: the row is changed only if its metadata is still this (the value a merge was made from). */
    metadataWas?: string | null,
  ): Promise<boolean> {
    let q = this.#db
      .updateTable('webhook_endpoints')
      .set({ ...set, updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id);
    if (metadataWas !== undefined) q = metadataWas === null ? q.where('metadata', 'is', null) : q.where('metadata', '=', metadataWas);
    return (await this.#executor.run(q.compile())) > 0;
  }

  /**
   * Disables an endpoint whose given-up deliveries in a row reached `limit` (counted by the rounds'
   * commits, settleRound), if it is enabled still: one conditional write, so a reset that started the
   * count again, or another round that disabled it first, leaves it as it is. The count it was
   * disabled at; undefined when it was not.
   */
  async disableFailing(endpointId: string, limit: number, now: string): Promise<number | undefined> {
    const changed = await this.#executor.run(
      this.#db
        .updateTable('webhook_endpoints')
        .set({ status: 'disabled', updated_at: now })
        .where('id', '=', endpointId)
        .where('status', '=', 'enabled')
        .where('failures', '>=', limit)
        .compile(),
    );
    if (changed === 0) return undefined;
    const row = (
      await this.#executor.all(this.#db.selectFrom('webhook_endpoints').select('failures').where('id', '=', endpointId).compile())
    )[0];
    return Number(row?.failures ?? limit);
  }

  async succeeded(endpointId: string): Promise<void> {
    await this.#executor.run(
      this.#db.updateTable('webhook_endpoints').set({ failures: 0 }).where('id', '=', endpointId).where('failures', '>', 0).compile(),
    );
  }
}
