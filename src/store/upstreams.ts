import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { type SqlExecutor, StaleWrite, type Step } from './executor.ts';
import { prepared } from './prepared.ts';
import type { Database } from './schema.ts';
import type { UpstreamHistoryTable, UpstreamsTable } from './schema-upstreams.ts';
import { UpstreamLinkRepository } from './upstream-links.ts';

export type UpstreamRow = UpstreamsTable;
export type UpstreamHistoryRow = UpstreamHistoryTable;
export type UpstreamMode = 'proxy' | 'mirror' | 'shadow';
export const upstreamModes = ['proxy', 'mirror', 'shadow'] as const satisfies readonly UpstreamMode[];

/**
 * Upstreams, with their links and inbound events (upstream-links.ts) reached through the same
 * object. Every query names its tenant, as the customer queries do; the list of a tenant's
 * upstreams is read on every write (the proxy decision and the outbox share it), so it is compiled
 * once.
 */
export class UpstreamRepository extends UpstreamLinkRepository {
  readonly #executor: SqlExecutor;
  readonly #db: Kysely<Database>;
  readonly #list: (p: { tenantId: string }) => CompiledQuery<UpstreamRow>;
  readonly #version: (p: { tenantId: string }) => CompiledQuery<{ version: number }>;
  readonly #versionIs: (p: { tenantId: string; version: number }) => CompiledQuery;

  constructor(executor: SqlExecutor, db: Kysely<Database>) {
    super(executor, db);
    this.#executor = executor;
    this.#db = db;
    this.#list = prepared<{ tenantId: string }, UpstreamRow>(['tenantId'], (p) =>
      db
        .selectFrom('upstreams')
        .selectAll()
        .where('tenant_id', '=', p.tenantId)
        .where('removed_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .compile(),
    );
    this.#version = prepared<{ tenantId: string }, { version: number }>(['tenantId'], (p) =>
      db.selectFrom('upstream_versions').select('version').where('tenant_id', '=', p.tenantId).compile(),
    );
    this.#versionIs = prepared<{ tenantId: string; version: number }>(['tenantId', 'version'], (p) =>
      sql`select 1 as found where coalesce((select version from upstream_versions where tenant_id = ${p.tenantId}), 0) = ${p.version}`.compile(
        db,
      ),
    );
  }

  /**
   * Where the store checks reads inside a write (`checksInWrite`): a step that undoes the write
   * (CheckFailed) unless the tenant's counter is still `version`, so a write routed by what a
   * process kept of the tenant's upstreams commits only while that is current, without a read of
   * its own before it. Undefined elsewhere: read the counter first.
   */
  versionCheck(tenantId: string, version: number): Step | undefined {
    if (!this.#executor.checksInWrite) return undefined;
    return { query: this.#versionIs({ tenantId, version }), mustFind: true };
  }

  /**
   * The counter a trigger raises with every change to the tenant's upstreams, in the change's own
   * transaction (migration 0023): one point read tells a process whether what it keeps of them is
   * still current, whichever process (a CLI, another server) made the change. 0 before the first.
   */
  async version(tenantId: string): Promise<number> {
    return Number((await this.#executor.all(this.#version({ tenantId })))[0]?.version ?? 0);
  }

  /** Stores a new upstream with the first line of its history. */
  async insert(row: UpstreamRow, added: UpstreamHistoryRow): Promise<void> {
    await this.#executor.atomic([
      { query: this.#db.insertInto('upstreams').values(row).compile() },
      { query: this.#db.insertInto('upstream_history').values(added).compile() },
    ]);
  }

  /**
   * The removed upstream of this tenant at this provider (dialect and base URL), most recently
   * removed first: adding it again takes it back with its id and links.
   */
  async findRemoved(tenantId: string, dialect: string, baseUrl: string): Promise<UpstreamRow | undefined> {
    const q = this.#db
      .selectFrom('upstreams')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('dialect', '=', dialect)
      .where('base_url', '=', baseUrl)
      .where('removed_at', 'is not', null)
      .orderBy('removed_at', 'desc')
      .limit(1)
      .compile();
    return (await this.#executor.all(q))[0];
  }

  /** Takes a removed upstream back, with new credentials and mode, recording the step. */
  async restore(row: UpstreamRow, step: UpstreamHistoryRow): Promise<boolean> {
    const update = this.#db
      .updateTable('upstreams')
      .set({
        mode: row.mode,
        credentials: row.credentials,
        webhook_secret: row.webhook_secret ?? null,
        encoding: row.encoding,
        removed_at: null,
      })
      .where('tenant_id', '=', row.tenant_id)
      .where('id', '=', row.id)
      .where('removed_at', 'is not', null)
      .compile();
    return this.#changed(update, step);
  }

  /** Changes an upstream's mode in place (its links stay), recording the step. */
  async setMode(tenantId: string, id: string, mode: UpstreamMode, step: UpstreamHistoryRow): Promise<boolean> {
    const update = this.#db
      .updateTable('upstreams')
      .set({ mode })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .compile();
    return this.#changed(update, step);
  }

  /** Records a step of an upstream's history on its own (a step that changes no column). */
  async record(step: UpstreamHistoryRow): Promise<void> {
    await this.#executor.run(this.#db.insertInto('upstream_history').values(step).compile());
  }

  /** The update and its history line together; false (and no line) when the update found no row. */
  async #changed(update: CompiledQuery, step: UpstreamHistoryRow): Promise<boolean> {
    try {
      await this.#executor.atomic([
        { query: update, mustChange: true },
        { query: this.#db.insertInto('upstream_history').values(step).compile() },
      ]);
      return true;
    } catch (error) {
      if (error instanceof StaleWrite) return false;
      throw error;
    }
  }

  /** An upstream's history, oldest first. */
  async history(tenantId: string, id: string): Promise<UpstreamHistoryRow[]> {
    const q = this.#db
      .selectFrom('upstream_history')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', id)
      .orderBy('created_at')
      .orderBy('id')
      .compile();
    return this.#executor.all(q);
  }

  /** The tenant's upstreams, oldest first. */
  async list(tenantId: string): Promise<UpstreamRow[]> {
    return this.#executor.all(this.#list({ tenantId }));
  }

  async find(tenantId: string, id: string): Promise<UpstreamRow | undefined> {
    const q = this.#db
      .selectFrom('upstreams')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .compile();
    return (await this.#executor.all(q))[0];
  }

  /**
   * An upstream in service by its id alone: a provider's webhook names no tenant, so the id (and
   * the secret sealed with it) is what places the event.
   */
  async findById(id: string): Promise<UpstreamRow | undefined> {
    const q = this.#db.selectFrom('upstreams').selectAll().where('id', '=', id).where('removed_at', 'is', null).compile();
    return (await this.#executor.all(q))[0];
  }

  /** Sets (or with null clears) the sealed secret the provider signs its webhooks with. */
  async setWebhookSecret(tenantId: string, id: string, sealed: string | null): Promise<boolean> {
    const q = this.#db
      .updateTable('upstreams')
      .set({ webhook_secret: sealed })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .compile();
    return (await this.#executor.run(q)) > 0;
  }

  /** The tenant's upstreams in one mode, oldest first (at most one proxy: src/upstream/registry.ts). */
  async byMode(tenantId: string, mode: UpstreamMode): Promise<UpstreamRow[]> {
    return (await this.list(tenantId)).filter((row) => row.mode === mode);
  }

  /** Every tenant's upstreams (health: whose credentials this gateway can read). */
  async all(): Promise<UpstreamRow[]> {
    return this.#executor.all(this.#db.selectFrom('upstreams').selectAll().orderBy('id').compile());
  }

  /** Replaces sealed credentials, only if they are still the ones read (another process may have re-sealed them). */
  async reseal(tenantId: string, id: string, from: string, to: string): Promise<void> {
    const q = this.#db
      .updateTable('upstreams')
      .set({ credentials: to })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('credentials', '=', from)
      .compile();
    await this.#executor.run(q);
  }

  async count(): Promise<number> {
    const q = this.#db
      .selectFrom('upstreams')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('removed_at', 'is', null)
      .compile();
    return Number((await this.#executor.all(q))[0]?.n ?? 0);
  }

  /**
   * Removes an upstream from service. Its row and links are kept (not listed, not used): adding
   * the same provider again takes them back, so its customers are not created there twice.
   */
  async remove(tenantId: string, id: string, step: UpstreamHistoryRow): Promise<boolean> {
    const update = this.#db
      .updateTable('upstreams')
      .set({ removed_at: step.created_at })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .compile();
    return this.#changed(update, step);
  }

  // --- keys the gateway keeps for itself

  /** The stored value, or `candidate` stored now if there was none (the first writer wins). */
  async keepKey(name: string, candidate: string, now: string): Promise<string> {
    await this.#executor.run(
      this.#db
        .insertInto('gateway_keys')
        .values({ name, value: candidate, created_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .compile(),
    );
    const rows = await this.#executor.all(this.#db.selectFrom('gateway_keys').select('value').where('name', '=', name).compile());
    const value = rows[0]?.value;
    if (value === undefined) throw new Error(`gateway key ${name} could not be kept`);
    return value;
  }
}
