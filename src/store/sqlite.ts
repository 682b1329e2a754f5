import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { type SqlExecutor, StaleWrite, type Step, UniqueViolation, uniqueTarget } from './executor.ts';
import { migrations } from './migrations.ts';

export interface SqliteOptions {
  /** `:memory:` or a file path. */
  readonly path: string;
  /**
   * `full` (default) syncs the WAL on every commit, so an acknowledged update survives a power
   * loss; `normal` survives a process crash only, and is faster.
   */
  readonly synchronous?: 'full' | 'normal';
}

type Param = string | number | bigint | Buffer | null;

// Taken when the module loads, so a test that fakes timers later cannot stall every write.
const nextTurn = globalThis.setImmediate;

/** A write waiting for the group commit. */
interface Unit {
  readonly steps: readonly Step[];
  readonly resolve: (changes: number) => void;
  readonly reject: (error: unknown) => void;
  changes?: number;
  error?: unknown;
}

function isUnique(error: unknown): error is Error & { code: string } {
  return error instanceof Error && 'code' in error && String(error.code).startsWith('SQLITE_CONSTRAINT');
}

export class SqliteExecutor implements SqlExecutor {
  readonly backend = 'sqlite' as const;
  readonly db: Database.Database;
  // Statements are prepared once per distinct SQL text and reused: preparing costs more than
  // running a point query.
  readonly #statements = new Map<string, Database.Statement<Param[]>>();
  readonly #atomic: (steps: readonly Step[]) => number;
  readonly #group: (units: readonly Unit[]) => void;
  #queue: Unit[] = [];

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.#atomic = this.db.transaction((steps: readonly Step[]) => {
      let total = 0;
      for (const step of steps) {
        const changes = this.#run(step.query);
        if (step.mustChange && changes === 0) throw new StaleWrite();
        total += changes;
      }
      return total;
    });
    // Called inside #group, #atomic runs as a savepoint: a unit that fails is undone alone.
    this.#group = this.db.transaction((units: readonly Unit[]) => {
      for (const unit of units) {
        try {
          unit.changes = this.#atomic(unit.steps);
        } catch (error) {
          // Some errors (I/O, full disk) roll back the whole transaction: then nothing is kept.
          if (!this.db.inTransaction) throw error;
          unit.error = error;
        }
      }
    });
  }

  /**
   * Group commit. Writes that arrive in the same turn of the event loop run one after another,
   * each in its own savepoint, inside one transaction, so they share one commit (with
   * synchronous=FULL, one fsync instead of one each). Every unit's outcome is exactly what it
   * would be alone in that order, and none is reported before the commit is durable.
   */
  #enqueue(steps: readonly Step[]): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ steps, resolve, reject });
      if (this.#queue.length === 1) nextTurn(() => this.#flush());
    });
  }

  #flush(): void {
    const units = this.#queue;
    if (units.length === 0) return;
    this.#queue = [];
    try {
      if (units.length === 1) units[0]!.changes = this.#atomic(units[0]!.steps);
      else this.#group(units);
    } catch (error) {
      // A lone unit's own failure, or a commit that failed: no unit of the group was kept.
      for (const unit of units) unit.reject(error);
      return;
    }
    for (const unit of units) {
      if (unit.error !== undefined) unit.reject(unit.error);
      else unit.resolve(unit.changes ?? 0);
    }
  }

  #statement(query: CompiledQuery): Database.Statement<Param[]> {
    let statement = this.#statements.get(query.sql);
    if (!statement) {
      statement = this.db.prepare<Param[]>(query.sql);
      this.#statements.set(query.sql, statement);
    }
    return statement;
  }

  #run(query: CompiledQuery): number {
    try {
      return this.#statement(query).run(...(query.parameters as Param[])).changes;
    } catch (error) {
      if (isUnique(error)) throw new UniqueViolation(uniqueTarget(error.message));
      throw error;
    }
  }

  async all<R>(query: CompiledQuery<R>): Promise<R[]> {
    return this.#statement(query).all(...(query.parameters as Param[])) as R[];
  }

  async run(query: CompiledQuery): Promise<number> {
    return this.#enqueue([{ query }]);
  }

  async atomic(steps: readonly Step[]): Promise<void> {
    await this.#enqueue(steps);
  }

  async close(): Promise<void> {
    this.#flush();
    this.db.close();
  }

  /** Applies pending migrations (kysely's Migrator, which keeps its own lock and log tables). */
  async migrate(): Promise<void> {
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: this.db }) });
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
    // Not destroyed: that would close the shared better-sqlite3 handle.
  }
}
