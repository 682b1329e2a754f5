import { type CompiledQuery, type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type { SqlExecutor } from './executor.ts';
import type { Database } from './schema.ts';
import type { UpstreamImportConflictsTable, UpstreamImportRefusalsTable, UpstreamImportsTable } from './schema-upstreams.ts';

export type ImportRow = UpstreamImportsTable;
export type ImportState = 'running' | 'done' | 'failed';
export type ImportConflictRow = UpstreamImportConflictsTable;
export type ImportRefusalRow = UpstreamImportRefusalsTable;

/** An imported customer whose local number is not the provider's (ImportRepository.renumbered). */
export interface RenumberedRow {
  /** The provider's number, as the link keeps it. */
  readonly remote_id: string;
  readonly customer_id: string;
  readonly public_id: string;
  readonly number: number;
}

/**
 * The mark a link made by an import's create carries (import_started_at): the run's started_at,
 * told from the mark of a local customer the run linked (`--on-conflict link`: started_at alone).
 */
export const createdMark = (startedAt: string): string => `c:${startedAt}`;

/** Ids per statement: D1 binds at most 100 parameters to one. */
const chunk = 30;

/** The checkpoints of upstream imports (src/upstream/import.ts): one row per upstream, tenant-scoped like every query. */
export class ImportRepository {
  readonly #executor: SqlExecutor;
  readonly #db: Kysely<Database>;

  constructor(executor: SqlExecutor, db: Kysely<Database>) {
    this.#executor = executor;
    this.#db = db;
  }

  async find(tenantId: string, upstreamId: string): Promise<ImportRow | undefined> {
    const q = this.#db
      .selectFrom('upstream_imports')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .compile();
    return (await this.#executor.all(q))[0];
  }

  /**
   * Takes the import for `row.lease_owner` in one statement, so two starts in different processes
   * cannot both pass: the first checkpoint is inserted only if none exists; an existing one is
   * replaced only while it is as the caller read it (`seen` — its updated_at and holder) and
   * nobody holds it (done, failed, released, or its lease lapsed). With `takeFrom` the named
   * holder's claim is taken over even before it lapses (its process is known to be gone).
   * False: another start won.
   */
  async claim(row: ImportRow, seen: ImportRow | undefined, now: string, takeFrom?: string): Promise<boolean> {
    if (seen === undefined) {
      const q = this.#db
        .insertInto('upstream_imports')
        .values(row)
        .onConflict((oc) => oc.column('upstream_id').doNothing())
        .compile();
      return (await this.#executor.run(q)) > 0;
    }
    const { updated_at: readAt } = seen;
    return this.#updateIf(row, (eb) =>
      eb.and([
        eb('updated_at', '=', readAt),
        takeFrom !== undefined
          ? eb('lease_owner', '=', takeFrom)
          : eb.or([
              eb('state', '!=', 'running'),
              eb('lease_owner', 'is', null),
              eb('lease_until', 'is', null),
              eb('lease_until', '<', now),
            ]),
      ]),
    );
  }

  /** Writes the checkpoint whole, only while `row.lease_owner`'s claim stands; false: it was taken over. */
  async save(row: ImportRow, owner: string): Promise<boolean> {
    return this.#updateIf(row, (eb) => eb('lease_owner', '=', owner));
  }

  /** Replaces the upstream's checkpoint with `row` where `guard` holds; false: it did not (nothing written). */
  async #updateIf(row: ImportRow, guard: (eb: ExpressionBuilder<Database, 'upstream_imports'>) => Expression<SqlBool>): Promise<boolean> {
    const { upstream_id: _, ...rest } = row;
    const q = this.#db
      .updateTable('upstream_imports')
      .set(rest)
      .where('upstream_id', '=', row.upstream_id)
      .where('tenant_id', '=', row.tenant_id)
      .where(guard)
      .compile();
    return (await this.#executor.run(q)) > 0;
  }

  /** Records conflicts the import met (a row met again, after a resumed page, is replaced), all or none. */
  async addConflicts(rows: readonly ImportConflictRow[]): Promise<void> {
    const last = new Map(rows.map((row) => [`${row.upstream_id}\n${row.remote_id}\n${row.key}`, row]));
    await this.#insertAll([...last.values()], 9, (part) =>
      this.#db
        .insertInto('upstream_import_conflicts')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['upstream_id', 'remote_id', 'key']).doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            customer_id: eb.ref('excluded.customer_id'),
            public_id: eb.ref('excluded.public_id'),
            reason: eb.ref('excluded.reason'),
            found_at: eb.ref('excluded.found_at'),
          })),
        )
        .compile(),
    );
  }

  /** Records provider customers the import could not store (one met again, after a resumed page, is replaced), all or none. */
  async addRefusals(rows: readonly ImportRefusalRow[]): Promise<void> {
    const last = new Map(rows.map((row) => [`${row.upstream_id}\n${row.remote_id}`, row]));
    await this.#insertAll([...last.values()], 5, (part) =>
      this.#db
        .insertInto('upstream_import_refusals')
        .values(part)
        .onConflict((oc) =>
          oc.columns(['upstream_id', 'remote_id']).doUpdateSet((eb) => ({
            reason: eb.ref('excluded.reason'),
            found_at: eb.ref('excluded.found_at'),
          })),
        )
        .compile(),
    );
  }

  /**
   * Rows inserted as one atomic unit: one statement of many rows, or as many as D1's 100 bound
   * parameters a statement need (`columns` per row). Each key once (the callers' last row wins): a
   * statement's ON CONFLICT cannot change one row twice (PostgreSQL refuses it).
   */
  async #insertAll<R>(rows: readonly R[], columns: number, statement: (part: R[]) => CompiledQuery): Promise<void> {
    if (rows.length === 0) return;
    const per = Math.floor(100 / columns);
    const steps = [];
    for (let i = 0; i < rows.length; i += per) steps.push({ query: statement(rows.slice(i, i + per)) });
    await this.#executor.atomic(steps);
  }

  /**
   * Forgets the conflicts and refusals of these provider customers (their page is being read
   * again), or all of the upstream's (a walk from the first page).
   */
  async clearLeftOut(tenantId: string, upstreamId: string, remoteIds?: readonly string[]): Promise<void> {
    for (const table of ['upstream_import_conflicts', 'upstream_import_refusals'] as const) {
      const base = this.#db.deleteFrom(table).where('tenant_id', '=', tenantId).where('upstream_id', '=', upstreamId);
      if (remoteIds === undefined) {
        await this.#executor.run(base.compile());
        continue;
      }
      for (let i = 0; i < remoteIds.length; i += chunk) {
        await this.#executor.run(base.where('remote_id', 'in', remoteIds.slice(i, i + chunk)).compile());
      }
    }
  }

  /** The provider customers the import could not store, by provider id. */
  async refusals(tenantId: string, upstreamId: string): Promise<ImportRefusalRow[]> {
    const q = this.#db
      .selectFrom('upstream_import_refusals')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .orderBy('remote_id')
      .compile();
    return this.#executor.all(q);
  }

  /** The upstream's recorded conflicts, by provider id and key. */
  async conflicts(tenantId: string, upstreamId: string): Promise<ImportConflictRow[]> {
    const q = this.#db
      .selectFrom('upstream_import_conflicts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .orderBy('remote_id')
      .orderBy('key')
      .compile();
    return this.#executor.all(q);
  }

  /**
   * Local customers the import started at `startedAt` linked to the provider's (`--on-conflict
   * link`): the links it marked as its own (import_started_at), not any link made while it ran (a
   * proxied write linking an older customer). No counter is kept in the checkpoint: the mark is
   * written with the link, so a resumed import counts what every run of it linked, also one killed
   * between a link and its page's checkpoint.
   */
  async linked(tenantId: string, upstreamId: string, startedAt: string): Promise<number> {
    return this.#marked(tenantId, upstreamId, startedAt);
  }

  /**
   * Customers the import started at `startedAt` created here: the links it made with them, marked
   * `createdMark(startedAt)` in the create's own atomic unit. Unlike the checkpoint's count, which
   * takes in only the pages it finished, this counts also what a run killed part-way through a page
   * stored (the resumed run skips those as linked).
   */
  async created(tenantId: string, upstreamId: string, startedAt: string): Promise<number> {
    return this.#marked(tenantId, upstreamId, createdMark(startedAt));
  }

  /**
   * Customers the import started at `startedAt` (over every run of it) may have created here under
   * other ids than the provider's, by number: their links (remote_id, the provider's id) beside the
   * ids they got. With `numbers` (an upstream whose ids are numbers, Bigcapital) each whose number
   * is not the provider's (a local customer held it: CustomerService#insertNew draws the tenant's
   * next); for any upstream, each whose provider id looks like a `cus_` id or a UUID that its
   * public id or UUID is not. Coarse: the caller tells which provider ids were to be kept
   * (adoptedIds), which SQL cannot portably (no regular expressions in SQLite).
   */
  async renumbered(tenantId: string, upstreamId: string, startedAt: string, numbers: boolean): Promise<RenumberedRow[]> {
    const q = this.#db
      .selectFrom('upstream_links as l')
      .innerJoin('customers as c', (join) => join.onRef('c.id', '=', 'l.customer_id').onRef('c.tenant_id', '=', 'l.tenant_id'))
      .select(['l.remote_id as remote_id', 'c.id as customer_id', 'c.public_id as public_id', 'c.number as number'])
      .where('l.tenant_id', '=', tenantId)
      .where('l.upstream_id', '=', upstreamId)
      .where('l.import_started_at', '=', createdMark(startedAt))
      .where((eb) =>
        eb.or([
          ...(numbers ? [sql<SqlBool>`cast(c.number as text) <> l.remote_id`] : []),
          sql<SqlBool>`(substr(l.remote_id, 1, 4) = 'cus_' and c.public_id <> l.remote_id)`,
          sql<SqlBool>`(length(l.remote_id) = 36 and c.id <> lower(l.remote_id))`,
        ]),
      )
      .orderBy('c.number')
      .compile();
    return this.#executor.all(q);
  }

  /** The upstream's links that carry `mark`. */
  async #marked(tenantId: string, upstreamId: string, mark: string): Promise<number> {
    const q = this.#db
      .selectFrom('upstream_links')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('upstream_id', '=', upstreamId)
      .where('import_started_at', '=', mark)
      .compile();
    return Number((await this.#executor.all(q))[0]?.n ?? 0);
  }

  /**
   * Imports still running, oldest first (by updated_at, then upstream id), `limit` after `after`
   * (the last row of the page before): a caller that passes over some (held by another process)
   * walks on to the rest, however many the first pages hold. `origins`: only those started so
   * (null: a checkpoint from before migration 0059, which says nothing).
   */
  async running(options: {
    readonly limit: number;
    readonly origins?: readonly (string | null)[] | undefined;
    readonly after?: Pick<ImportRow, 'updated_at' | 'upstream_id'> | undefined;
  }): Promise<ImportRow[]> {
    const { origins, after } = options;
    const named = origins?.filter((o): o is string => o !== null) ?? [];
    const q = this.#db
      .selectFrom('upstream_imports')
      .selectAll()
      .where('state', '=', 'running')
      .$if(origins !== undefined, (qb) =>
        qb.where((eb) =>
          eb.or([...(named.length > 0 ? [eb('origin', 'in', named)] : []), ...(origins?.includes(null) ? [eb('origin', 'is', null)] : [])]),
        ),
      )
      .$if(after !== undefined, (qb) =>
        qb.where((eb) =>
          eb.or([
            eb('updated_at', '>', after?.updated_at ?? ''),
            eb.and([eb('updated_at', '=', after?.updated_at ?? ''), eb('upstream_id', '>', after?.upstream_id ?? '')]),
          ]),
        ),
      )
      .orderBy('updated_at')
      .orderBy('upstream_id')
      .limit(options.limit)
      .compile();
    return this.#executor.all(q);
  }
}
