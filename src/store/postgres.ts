import type { CompiledQuery } from 'kysely';
import { Kysely, Migrator, PostgresDialect } from 'kysely';
import pg from 'pg';
import {
  CheckFailed,
  LockTimeout,
  MissingReference,
  type SqlExecutor,
  StaleWrite,
  type Step,
  UniqueViolation,
  uniqueTarget,
} from './executor.ts';
import { combine, isCheckMarker, isStaleMarker } from './pg-combine.ts';
import { migrations } from './migrations.ts';
import { newerSchemaError } from './newer-schema.ts';
import { PreparedNames } from './pg-prepared.ts';

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database?sslmode=…` */
  readonly connectionString: string;
  /** Tables live in this schema (created on migrate); default: the server's search_path. */
  readonly schema?: string;
  /** Connections per process. Several processes: keep the sum under the server's max_connections. */
  readonly poolSize?: number;
  /** How long to wait for a free connection or a new one before failing the request. */
  readonly connectTimeoutMs?: number;
  /** An idle connection is closed after this long. */
  readonly idleTimeoutMs?: number;
  /** The server cancels a statement that runs longer (0: no limit). */
  readonly statementTimeoutMs?: number;
  /** A write waits at most this long for another process's row lock (then LockTimeout). */
  readonly lockTimeoutMs?: number;
  /**
   * Run the queries as named prepared statements (default true): the server parses and plans
   * each once per connection instead of on every call. Off for a pooler that cannot keep them
   * (PgBouncer in transaction mode before 1.21).
   */
  readonly preparedStatements?: boolean;
}

/** Connections a pool may open when CUSTGATE_PG_POOL_SIZE does not say (docs/scaling.md). */
export const defaultPoolSize = 10;

// Session-level advisory lock taken around migrations, so processes that start together migrate
// one after the other (kysely's Migrator locks too, but only once its own tables exist).
const migrationLock = 0x6375_7374; // "cust"

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

function isUnique(error: unknown): error is Error & { code: string; constraint?: string } {
  return error instanceof Error && 'code' in error && error.code === '23505';
}

// node-postgres parses int8 (count(*), sum) to strings to avoid precision loss; every id and
// version here fits in a double, so parse them as numbers like SQLite does.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * The URL without its `options` parameter, and that parameter. node-postgres lets a URL's
 * `options` replace the pool's own (ConnectionParameters: the URL's fields over the config's), so
 * a URL carrying any (`?options=endpoint%3D…` for Neon, `-c application_name=…`) silently dropped
 * CUSTGATE_PG_SCHEMA and the timeouts; the two are joined instead, the URL's first.
 */
function withoutUrlOptions(connectionString: string): { connectionString: string; options?: string } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    return { connectionString };
  }
  const options = url.searchParams.get('options');
  if (options === null) return { connectionString };
  url.searchParams.delete('options');
  return { connectionString: url.toString(), options };
}

export class PostgresExecutor implements SqlExecutor {
  readonly backend = 'postgres' as const;
  readonly checksInWrite = true;
  readonly pool: pg.Pool;
  readonly #options: PostgresOptions;
  readonly #statements: PreparedNames;

  constructor(options: PostgresOptions) {
    if (options.schema !== undefined && !identifier.test(options.schema)) {
      throw new Error(`invalid PostgreSQL schema name: ${options.schema}`);
    }
    this.#options = options;
    this.#statements = new PreparedNames(options.preparedStatements !== false);
    const settings = [
      options.schema ? `-c search_path=${options.schema}` : '',
      options.statementTimeoutMs ? `-c statement_timeout=${options.statementTimeoutMs}` : '',
      options.lockTimeoutMs ? `-c lock_timeout=${options.lockTimeoutMs}` : '',
    ].filter(Boolean);
    const url = withoutUrlOptions(options.connectionString);
    if (url.options) settings.unshift(url.options);
    this.pool = new pg.Pool({
      connectionString: url.connectionString,
      max: options.poolSize ?? defaultPoolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      types,
      ...(settings.length > 0 ? { options: settings.join(' ') } : {}),
    });
    // An idle connection the server dropped (restart, failover) must not crash the process; the
    // pool replaces it on the next checkout.
    this.pool.on('error', () => undefined);
  }

  /**
   * Runs one statement, named when it may be (pg-prepared.ts). On the pool, an outdated named
   * statement runs again unnamed; inside a transaction the failure aborted it, so the caller
   * starts over (exclusive).
   */
  async #query(on: pg.Pool | pg.PoolClient, sql: string, parameters: readonly unknown[]): Promise<pg.QueryResult> {
    const name = this.#statements.nameOf(sql);
    if (name === undefined) return on.query(sql, parameters as unknown[]);
    try {
      return await on.query({ name, text: sql, values: parameters as unknown[] });
    } catch (error) {
      if (on !== this.pool || !this.#statements.outdated(error)) throw error;
      return on.query(sql, parameters as unknown[]);
    }
  }

  async all<R>(query: CompiledQuery<R>): Promise<R[]> {
    const result = await this.#query(this.pool, query.sql, query.parameters);
    return result.rows as R[];
  }

  allIndexOrdered<R>(query: CompiledQuery<R>): Promise<R[]> {
    // SET LOCAL ends with the transaction, so the pooled connection goes back as it was. A sort
    // disabled this way is only costed out, never refused: a query with no other way still sorts,
    // at a cost that would cross jit_above_cost and spend most of a second compiling a small read.
    return this.#transaction('BEGIN READ ONLY; SET LOCAL enable_sort = off; SET LOCAL jit = off', async (client) => {
      return (await this.#query(client, query.sql, query.parameters)).rows as R[];
    });
  }

  async run(query: CompiledQuery): Promise<number> {
    try {
      return (await this.#query(this.pool, query.sql, query.parameters)).rowCount ?? 0;
    } catch (error) {
      throw classify(error);
    }
  }

  /** One statement (pg-combine.ts): one round trip, atomic without BEGIN/COMMIT. */
  async atomic(steps: readonly Step[]): Promise<void> {
    if (steps.length === 0) return;
    const { sql, parameters } = combine(steps);
    try {
      await this.#query(this.pool, sql, parameters);
    } catch (error) {
      throw classify(error);
    }
  }

  async exclusive<R, T>(
    select: CompiledQuery<R>,
    plan: (rows: R[]) => { readonly steps: readonly Step[]; readonly value: T },
    waitMs: number,
  ): Promise<T> {
    try {
      // One simple-protocol round trip for both; lock_timeout bounds the wait for the row lock.
      return await this.#transaction(`BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(waitMs))}`, async (client) => {
        const rows = (await this.#query(client, select.sql, select.parameters)).rows as R[];
        const { steps, value } = plan(rows);
        if (steps.length > 0) {
          const { sql, parameters } = combine(steps);
          await this.#query(client, sql, parameters);
        }
        return value;
      });
    } catch (error) {
      throw classify(error);
    }
  }

  /** `body` on one connection, in a transaction `begin` opens; once more if a migration outdated a prepared statement. */
  async #transaction<T>(begin: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await this.#transactionOnce(begin, body);
    } catch (error) {
      if (!this.#statements.outdated(error)) throw error;
      return this.#transactionOnce(begin, body);
    }
  }

  async #transactionOnce<T>(begin: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // The pool listens for a connection's end only while it is idle in the pool. Ended while checked
    // out and between two statements (PostgreSQL restarted: 57P01 to every backend), it was an
    // 'error' event nobody heard, and the process died with every request in flight. Heard here,
    // it is what the transaction failed of (a 503), and the connection is not given back.
    let lost: unknown;
    const onLost = (error: unknown) => {
      lost ??= error;
    };
    client.on('error', onLost);
    let broken = false;
    try {
      await client.query(begin);
      const value = await body(client);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      if (lost === undefined) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
      }
      throw lost ?? error;
    } finally {
      client.off('error', onLost);
      // A connection that could not roll back, or that ended, is in an unknown state: destroy it.
      client.release(broken || lost !== undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Creates the schema if named, then applies pending migrations (up to `target`), one process at a time. */
  async migrate(target?: string): Promise<void> {
    const lock = await this.pool.connect();
    // Its end between statements fails the next one (the start), rather than the process unheard.
    const ignore = () => undefined;
    lock.on('error', ignore);
    try {
      // Another process may migrate for longer than the write lock bound: wait for it.
      await lock.query('SET lock_timeout = 0');
      await lock.query('SELECT pg_advisory_lock($1)', [migrationLock]);
      if (this.#options.schema) await lock.query(`CREATE SCHEMA IF NOT EXISTS "${this.#options.schema}"`);
      const current = await lock.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      const schema = current.rows[0]?.schema;
      if (!schema) throw new Error('PostgreSQL: no schema to create tables in (check search_path)');
      const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: this.pool }) });
      // Named explicitly: kysely looks for its bookkeeping tables in every schema otherwise, and
      // would take another schema's for ours.
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, migrationTableSchema: schema });
      const { error } = target === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(target);
      if (error) throw newerSchemaError(error, Object.keys(migrations));
      // Not destroyed: that would end the shared pool.
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [migrationLock]).catch(() => undefined);
      await lock.query('RESET lock_timeout').catch(() => undefined);
      lock.off('error', ignore);
      lock.release();
    }
  }

  /**
   * Drops the schema and everything in it (tests' isolated schemas). Under the migration lock:
   * kysely's migrator reads the catalog across schemas, and a schema dropped meanwhile fails
   * another process's migration with "schema … does not exist".
   */
  async dropSchema(): Promise<void> {
    if (!this.#options.schema) return;
    const lock = await this.pool.connect();
    try {
      await lock.query('SET lock_timeout = 0');
      await lock.query('SELECT pg_advisory_lock($1)', [migrationLock]);
      await lock.query(`DROP SCHEMA IF EXISTS "${this.#options.schema}" CASCADE`);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [migrationLock]).catch(() => undefined);
      lock.release();
    }
  }
}

function classify(error: unknown): unknown {
  if (isStaleMarker(error)) return new StaleWrite();
  if (isCheckMarker(error)) return new CheckFailed();
  if (error instanceof Error && 'code' in error && error.code === '55P03') return new LockTimeout();
  // SQLSTATE 23503 foreign_key_violation; 23505 unique_violation below.
  if (error instanceof Error && 'code' in error && error.code === '23503') return new MissingReference();
  if (!isUnique(error)) return error;
  // "duplicate key value violates unique constraint "customers_alias_unique"": the name says which.
  return new UniqueViolation(uniqueTarget(`${error.constraint ?? ''} ${error.message}`));
}
