import type { Kysely } from 'kysely';
import type { SqlExecutor } from './executor.ts';
import type { Database, UpstreamImportsTable } from './schema.ts';

export type ImportRow = UpstreamImportsTable;
export type ImportState = 'running' | 'done' | 'failed';

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

  /** Writes the checkpoint whole (the first one inserts it). */
  async save(row: ImportRow): Promise<void> {
    const { upstream_id: _, ...rest } = row;
    const q = this.#db
      .insertInto('upstream_imports')
      .values(row)
      .onConflict((oc) => oc.column('upstream_id').doUpdateSet(rest))
      .compile();
    await this.#executor.run(q);
  }

  /** Imports still running, oldest first (the Workers cron advances them page by page). */
  async running(limit: number): Promise<ImportRow[]> {
    const q = this.#db
      .selectFrom('upstream_imports')
      .selectAll()
      .where('state', '=', 'running')
      .orderBy('updated_at')
      .limit(limit)
      .compile();
    return this.#executor.all(q);
  }
}
