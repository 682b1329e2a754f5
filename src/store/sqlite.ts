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

/** `file:<path>`, a plain path, or `:memory:` -> a file path; default `./data/custgate.db`. */
export function sqlitePath(databaseUrl: string | undefined): string {
  if (!databaseUrl) return 'data/custgate.db';
  if (databaseUrl.startsWith('file:')) return databaseUrl.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
  return databaseUrl;
}

type Param = string | number | bigint | Buffer | null;

function isUnique(error: unknown): error is Error & { code: string } {
  return error instanceof Error && 'code' in error && String(error.code).startsWith('SQLITE_CONSTRAINT');
}

export class SqliteExecutor implements SqlExecutor {
  readonly backend = 'sqlite' as const;
  readonly db: Database.Database;
  // Statements are prepared once per distinct SQL text and reused: preparing costs more than
  // running a point query.
  readonly #statements = new Map<string, Database.Statement<Param[]>>();
  readonly #atomic: (steps: readonly Step[]) => void;

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.#atomic = this.db.transaction((steps: readonly Step[]) => {
      for (const step of steps) {
        const changes = this.#run(step.query);
        if (step.mustChange && changes === 0) throw new StaleWrite();
      }
    });
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
    return this.#run(query);
  }

  async atomic(steps: readonly Step[]): Promise<void> {
    this.#atomic(steps);
  }

  async close(): Promise<void> {
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
