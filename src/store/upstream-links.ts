import type { CompiledQuery, Kysely } from 'kysely';
import type { SqlExecutor } from './executor.ts';
import { prepared } from './prepared.ts';
import type { Database } from './schema.ts';
import type { UpstreamLinksTable, UpstreamWebhookEventsTable } from './schema-upstreams.ts';

export type LinkRow = UpstreamLinksTable;
export type InboundEventRow = UpstreamWebhookEventsTable;

/** A customer's id at an upstream (upstream_links). */
export interface LinkRecord {
  readonly upstreamId: string;
  readonly customerId: string;
  readonly tenantId: string;
  readonly remoteId: string;
  readonly createdAt: string;
  /** Made by an import run linking a local customer (`--on-conflict link`): the run's started_at. */
  readonly importStartedAt?: string | undefined;
}

const linkRow = (link: LinkRecord): LinkRow => ({
  upstream_id: link.upstreamId,
  customer_id: link.customerId,
  tenant_id: link.tenantId,
  remote_id: link.remoteId,
  created_at: link.createdAt,
  import_started_at: link.importStartedAt ?? null,
});

/** The insert of a link, as a step of another atomic unit (a customer created with its link). */
export const linkInsert = (db: Kysely<Database>, link: LinkRecord): CompiledQuery =>
  db.insertInto('upstream_links').values(linkRow(link)).compile();

/**
 * What the gateway knows of its customers at an upstream: their ids there (upstream_links) and the
 * events the upstream sent in (upstream_webhook_events). Callers reach these through
 * `store.upstreams` (upstreams.ts), as before the two files were one.
 */
type LinkKey = Pick<LinkRow, 'tenant_id' | 'upstream_id' | 'customer_id'>;

// A delivery reads a link (and a create writes one): compiled once (src/store/prepared.ts), as
// building these with kysely cost the main thread more than SQLite took to run them.
const linkQueries = (db: Kysely<Database>) => ({
  link: prepared<LinkRow>(['upstream_id', 'customer_id', 'tenant_id', 'remote_id', 'created_at', 'import_started_at'], (row) =>
    db
      .insertInto('upstream_links')
      .values(row)
      .onConflict((oc) => oc.columns(['upstream_id', 'customer_id']).doNothing())
      .compile(),
  ),
  attemptDone: prepared<LinkKey>(['tenant_id', 'upstream_id', 'customer_id'], (key) =>
    db
      .deleteFrom('upstream_create_attempts')
      .where('tenant_id', '=', key.tenant_id)
      .where('upstream_id', '=', key.upstream_id)
      .where('customer_id', '=', key.customer_id)
      .compile(),
  ),
  findLink: prepared<LinkKey, LinkRow>(['tenant_id', 'upstream_id', 'customer_id'], (key) =>
    db
      .selectFrom('upstream_links')
      .selectAll()
      .where('tenant_id', '=', key.tenant_id)
      .where('upstream_id', '=', key.upstream_id)
      .where('customer_id', '=', key.customer_id)
      .compile(),
  ),
});

export class UpstreamLinkRepository {
  readonly #executor: SqlExecutor;
  readonly #db: Kysely<Database>;
  readonly #q: ReturnType<typeof linkQueries>;

  constructor(executor: SqlExecutor, db: Kysely<Database>) {
    this.#executor = executor;
    this.#db = db;
    this.#q = linkQueries(db);
  }

  // --- links

  /**
   * Records a link; a link already there for this customer and upstream is kept as it is. The
   * create attempt it answers (create-attempts.ts) goes with it: the provider's customer is known.
   */
  async link(link: LinkRecord): Promise<void> {
    const row = linkRow(link);
    await this.#executor.atomic([{ query: this.#q.link(row) }, { query: this.#q.attemptDone(row) }]);
  }

  async findLink(tenantId: string, upstreamId: string, customerId: string): Promise<LinkRow | undefined> {
    return (await this.#executor.all(this.#q.findLink({ tenant_id: tenantId, upstream_id: upstreamId, customer_id: customerId })))[0];
  }

  /** The link of the customer an upstream knows by this id. */
  async findLinkByRemote(tenantId: string, upstreamId: string, remoteId: string): Promise<LinkRow | undefined> {
    const q = this.#db
      .selectFrom('upstream_links')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .where('remote_id', '=', remoteId)
      .compile();
    return (await this.#executor.all(q))[0];
  }

  /** How many customers the upstream has a link for. */
  async linkCount(tenantId: string, upstreamId: string): Promise<number> {
    const q = this.#db
      .selectFrom('upstream_links')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .compile();
    return Number((await this.#executor.all(q))[0]?.n ?? 0);
  }

  async linksOf(tenantId: string, customerId: string): Promise<LinkRow[]> {
    const q = this.#db
      .selectFrom('upstream_links')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('customer_id', '=', customerId)
      .orderBy('created_at')
      .compile();
    return this.#executor.all(q);
  }

  // --- events the upstream sent in

  async inboundEvent(upstreamId: string, eventId: string): Promise<InboundEventRow | undefined> {
    const q = this.#db
      .selectFrom('upstream_webhook_events')
      .selectAll()
      .where('upstream_id', '=', upstreamId)
      .where('event_id', '=', eventId)
      .compile();
    return (await this.#executor.all(q))[0];
  }

  /** The provider's time (seconds) of the newest event taken in for one of its customers. */
  async lastInbound(upstreamId: string, remoteId: string): Promise<number | undefined> {
    const q = this.#db
      .selectFrom('upstream_webhook_events')
      .select((eb) => eb.fn.max('event_created').as('at'))
      .where('upstream_id', '=', upstreamId)
      .where('remote_id', '=', remoteId)
      .where('outcome', 'in', ['applied', 'drift'])
      .compile();
    const at = (await this.#executor.all(q))[0]?.at;
    return at === null || at === undefined ? undefined : Number(at);
  }

  /** Records an event; false when its id was recorded already (a replay that raced this one). */
  async recordInbound(row: InboundEventRow): Promise<boolean> {
    const q = this.#db
      .insertInto('upstream_webhook_events')
      .values(row)
      .onConflict((oc) => oc.columns(['upstream_id', 'event_id']).doNothing())
      .compile();
    return (await this.#executor.run(q)) > 0;
  }
}
