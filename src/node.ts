import type { Server } from 'node:net';
import { serve } from '@hono/node-server';
import { pino } from 'pino';
import { createApp } from './app.ts';
import { type GatewayConfig, loadConfig, loadEnv } from './config.ts';
import type { Logger } from './http/runtime.ts';
import { GatewayMetrics } from './metrics.ts';
import { observedExecutor } from './store/observed.ts';
import { PostgresExecutor, postgresOptions } from './store/postgres.ts';
import { SqliteExecutor } from './store/sqlite.ts';
import { Store } from './store/index.ts';

type EnvVars = Readonly<Record<string, string | undefined>>;

export interface NodeGateway {
  readonly store: Store;
  readonly config: GatewayConfig;
  readonly port: number;
  readonly metrics: GatewayMetrics;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Told of every store failure that is not a conflict (metrics). */
  readonly onError?: (error: unknown) => void;
}

/** Opens the store DATABASE_URL names, migrated. */
export async function openStore(env: EnvVars, options: OpenStoreOptions = {}): Promise<Store> {
  const parsed = loadEnv(env);
  const target = parsed.DATABASE_URL;
  const executor =
    target.kind === 'postgres'
      ? new PostgresExecutor(postgresOptions(target.url, parsed))
      : new SqliteExecutor({ path: target.path, synchronous: parsed.CUSTGATE_SQLITE_SYNCHRONOUS });
  try {
    await executor.migrate();
  } catch (error) {
    await executor.close();
    throw error;
  }
  return new Store(options.onError ? observedExecutor(executor, options.onError) : executor);
}

/** The access and error log: JSON lines on stdout (pino), never a body or a credential. */
export function nodeLogger(env: EnvVars): Logger & { flush(): void } {
  const log = pino(
    {
      level: loadEnv(env).CUSTGATE_LOG_LEVEL,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 1, sync: false }),
  );
  return {
    error: (event, fields) => log.error({ event, ...fields }),
    access: ({ time: _time, ...entry }) => log.info({ event: 'request', ...entry }),
    flush: () => log.flush(),
  };
}

/** A listen error as one line a user can act on. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') return new Error(`port ${port} on ${host} is already in use (choose another with --port or PORT)`);
  if (error.code === 'EACCES') return new Error(`no permission to listen on port ${port} on ${host}`);
  if (error.code === 'EADDRNOTAVAIL') return new Error(`cannot listen on ${host}: no such local address`);
  return new Error(`cannot listen on ${host}:${port}: ${error.message}`);
}

/** Starts the HTTP server on the given port (0 picks a free one). */
export async function startNode(
  env: EnvVars,
  options: {
    readonly port: number;
    readonly hostname?: string;
    readonly store?: Store;
    readonly logger?: Logger;
    readonly metrics?: GatewayMetrics;
  },
): Promise<NodeGateway> {
  const config = loadConfig(env);
  const metrics = options.metrics ?? new GatewayMetrics();
  const store = options.store ?? (await openStore(env, { onError: metrics.storeError }));
  const app = createApp({ store, config, logger: options.logger ?? nodeLogger(env), observers: [metrics.observe], metrics });
  const purge = setInterval(() => {
    store.purgeExpiredKeys(new Date().toISOString()).catch(() => undefined);
  }, 3600_000);
  purge.unref();
  const hostname = options.hostname ?? '0.0.0.0';
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname }, (info) => {
      resolve({
        store,
        config,
        metrics,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            clearInterval(purge);
            server.close(() => {
              store.executor.close().finally(done);
            });
          }),
      });
    });
    (server as unknown as Server).once('error', (error: NodeJS.ErrnoException) => {
      clearInterval(purge);
      reject(listenError(error, hostname, options.port));
    });
  });
}
