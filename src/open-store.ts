import { type Env, loadEnv } from './config.ts';
import { Store } from './store/index.ts';
import { observedExecutor } from './store/observed.ts';
import type { PostgresOptions } from './store/postgres.ts';
import type { MessagePort } from 'node:worker_threads';
import { SqliteExecutor } from './store/sqlite.ts';

// The server (src/entries/node.ts) and every CLI command (src/cli/) open the store here, from the
// environment; the store itself takes options and reads no environment.

type EnvVars = Readonly<Record<string, string | undefined>>;

export interface OpenStoreOptions {
  /** Told of every store failure that is not a conflict (metrics). */
  readonly onError?: (error: unknown) => void;
  /**
   * SQLite: write through another executor's writer thread (its `attachWriter()`), and leave the
   * migrations to it (the delivery thread's store, src/entries/delivery-thread.ts).
   */
  readonly writerPort?: MessagePort;
  /** PostgreSQL: a pool of at most this many connections, never more than CUSTGATE_PG_POOL_SIZE. */
  readonly maxConnections?: number;
}

/** The store's PostgreSQL options from the parsed environment (docs/scaling.md): the store itself reads no environment. */
export function postgresOptions(
  url: string,
  env: Pick<
    Env,
    | 'CUSTGATE_PG_SCHEMA'
    | 'CUSTGATE_PG_POOL_SIZE'
    | 'CUSTGATE_PG_CONNECT_TIMEOUT_MS'
    | 'CUSTGATE_PG_IDLE_TIMEOUT_MS'
    | 'CUSTGATE_PG_STATEMENT_TIMEOUT_MS'
    | 'CUSTGATE_PG_PREPARED_STATEMENTS'
    | 'CUSTGATE_WRITE_WAIT_MS'
  >,
): PostgresOptions {
  const options: { -readonly [K in keyof PostgresOptions]: PostgresOptions[K] } = { connectionString: url };
  if (env.CUSTGATE_PG_SCHEMA !== undefined) options.schema = env.CUSTGATE_PG_SCHEMA;
  if (env.CUSTGATE_PG_POOL_SIZE !== undefined) options.poolSize = env.CUSTGATE_PG_POOL_SIZE;
  if (env.CUSTGATE_PG_CONNECT_TIMEOUT_MS !== undefined) options.connectTimeoutMs = env.CUSTGATE_PG_CONNECT_TIMEOUT_MS;
  if (env.CUSTGATE_PG_IDLE_TIMEOUT_MS !== undefined) options.idleTimeoutMs = env.CUSTGATE_PG_IDLE_TIMEOUT_MS;
  if (env.CUSTGATE_PG_STATEMENT_TIMEOUT_MS !== undefined) options.statementTimeoutMs = env.CUSTGATE_PG_STATEMENT_TIMEOUT_MS;
  if (env.CUSTGATE_PG_PREPARED_STATEMENTS === 'off') options.preparedStatements = false;
  // The same bound as the in-process queue (config.ts), so a 409 means one stated wait.
  options.lockTimeoutMs = env.CUSTGATE_WRITE_WAIT_MS;
  return options;
}

async function openPostgres(url: string, parsed: Env, maxConnections: number | undefined) {
  const { PostgresExecutor, defaultPoolSize } = await import('./store/postgres.ts');
  const options = postgresOptions(url, parsed);
  if (maxConnections === undefined) return new PostgresExecutor(options);
  return new PostgresExecutor({ ...options, poolSize: Math.min(maxConnections, options.poolSize ?? defaultPoolSize) });
}

/** Opens the store DATABASE_URL names, migrated, from the process's environment (the CLI commands). */
export function openStore(env: EnvVars, options: OpenStoreOptions = {}): Promise<Store> {
  return openParsedStore(loadEnv(env), options);
}

/** The same from the environment as loadEnv parsed it, where the caller has (startNode): not parsed again. */
export async function openParsedStore(parsed: Env, options: OpenStoreOptions = {}): Promise<Store> {
  const target = parsed.DATABASE_URL;
  // The PostgreSQL driver is loaded only for a PostgreSQL store: a SQLite server does not hold pg
  // in memory (about 10 MB of the compiled server's resident memory).
  const executor =
    target.kind === 'postgres'
      ? await openPostgres(target.url, parsed, options.maxConnections)
      : new SqliteExecutor({
          path: target.path,
          synchronous: parsed.CUSTGATE_SQLITE_SYNCHRONOUS,
          busyTimeoutMs: parsed.CUSTGATE_SQLITE_BUSY_TIMEOUT_MS,
          writer: parsed.CUSTGATE_SQLITE_WRITER,
          checkpoint: parsed.CUSTGATE_SQLITE_CHECKPOINT,
          writerCacheMb: parsed.CUSTGATE_SQLITE_CACHE_MB,
          checkpointPages: parsed.CUSTGATE_SQLITE_CHECKPOINT_PAGES,
          ...(parsed.CUSTGATE_SQLITE_WRITER_TRACE ? { writerTrace: parsed.CUSTGATE_SQLITE_WRITER_TRACE } : {}),
          ...(parsed.CUSTGATE_REQUEST_TRACE ? { requestTrace: true } : {}),
          ...(options.writerPort ? { writerPort: options.writerPort } : {}),
        });
  try {
    if (!(options.writerPort && executor instanceof SqliteExecutor)) await executor.migrate();
  } catch (error) {
    await executor.close();
    throw error;
  }
  const readCache = parsed.CUSTGATE_READ_CACHE_SIZE === undefined ? {} : { readCacheSize: parsed.CUSTGATE_READ_CACHE_SIZE };
  return new Store(options.onError ? observedExecutor(executor, options.onError) : executor, readCache);
}
