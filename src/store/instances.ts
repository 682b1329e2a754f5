import type { Kysely } from 'kysely';
import type { SqlExecutor } from './executor.ts';
import type { Database, GatewayInstancesTable } from './schema.ts';

export type InstanceRow = GatewayInstancesTable;

/**
 * Running gateway processes (migration 0040): each renews its row every heartbeat
 * (src/upstream/instance-heartbeat.ts), so a claim naming a process whose row ran past its
 * `dead_after` is known to be a dead process's (src/upstream/attempts.ts).
 */
export class InstanceRepository {
  readonly #executor: SqlExecutor;
  readonly #db: Kysely<Database>;

  constructor(executor: SqlExecutor, db: Kysely<Database>) {
    this.#executor = executor;
    this.#db = db;
  }

  /** Writes the process's row, or renews it. */
  async beat(row: InstanceRow): Promise<void> {
    const q = this.#db
      .insertInto('gateway_instances')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ beat_at: row.beat_at, dead_after: row.dead_after }))
      .compile();
    await this.#executor.run(q);
  }

  async find(id: string): Promise<InstanceRow | undefined> {
    return (await this.#executor.all(this.#db.selectFrom('gateway_instances').selectAll().where('id', '=', id).compile()))[0];
  }

  /** Deletes the rows of processes dead since before `before`; their claims fall back to their own bound. */
  async prune(before: string): Promise<number> {
    return this.#executor.run(this.#db.deleteFrom('gateway_instances').where('dead_after', '<', before).compile());
  }
}
