import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { replicationFor } from './outbox/upstream-port.ts';
import { type GatewayConfig, loadConfig } from './config.ts';
import { isPostgresUrl, PostgresExecutor, postgresOptions } from './store/postgres.ts';
import { SqliteExecutor, sqlitePath } from './store/sqlite.ts';
import { Store } from './store/index.ts';
import { missingKeyMessage } from './upstream/secrets.ts';

export interface NodeGateway {
  readonly store: Store;
  readonly config: GatewayConfig;
  readonly port: number;
  close(): Promise<void>;
}

/** Opens the store DATABASE_URL names, migrated. */
export async function openStore(env: Readonly<Record<string, string | undefined>>): Promise<Store> {
  const url = env.DATABASE_URL;
  if (isPostgresUrl(url)) {
    const executor = new PostgresExecutor(postgresOptions(url, env));
    try {
      await executor.migrate();
    } catch (error) {
      await executor.close();
      throw error;
    }
    return new Store(executor);
  }
  const executor = new SqliteExecutor({
    path: sqlitePath(url),
    synchronous: env.CUSTGATE_SQLITE_SYNCHRONOUS === 'normal' ? 'normal' : 'full',
  });
  await executor.migrate();
  return new Store(executor);
}

/** Starts the HTTP server on the given port (0 picks a free one). */
export async function startNode(
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly port: number; readonly hostname?: string; readonly store?: Store },
): Promise<NodeGateway> {
  const config = loadConfig(env);
  const store = options.store ?? (await openStore(env));
  if (config.production && config.secretsKey === undefined && (await store.upstreams.count()) > 0) {
    if (!options.store) await store.executor.close();
    throw new Error(missingKeyMessage);
  }
  const replication = replicationFor(store, config);
  const app = createApp({ store, config, replication });
  // Retries whose backoff ended, and deliveries a killed process left leased.
  replication.dispatcher.start(config.outbox.pollMs);
  const purge = setInterval(() => {
    store.purgeExpiredKeys(new Date().toISOString()).catch(() => undefined);
  }, 3600_000);
  purge.unref();
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname ?? '0.0.0.0' }, (info) => {
      resolve({
        store,
        config,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            clearInterval(purge);
            server.close(async () => {
              await replication.dispatcher.stop();
              store.executor.close().finally(done);
            });
          }),
      });
    });
  });
}
