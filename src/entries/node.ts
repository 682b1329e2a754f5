import type { IncomingMessage, Server } from 'node:http';
import { serve } from '@hono/node-server';
import { registry as staticRegistry } from '../../dialects/index.ts';
import { dialectList, type Registry } from '../contract/registry.ts';
import { createGateway } from '../http/app.ts';
import type { ResetFixtures } from '../http/runtime.ts';
import { ServingSignal } from '../outbox/drain-pace.ts';
import { replicationFor } from '../outbox/upstream-port.ts';
import { configOf, type Env, type GatewayConfig, loadEnv } from '../config.ts';
import { openParsedStore } from '../open-store.ts';
import type { Logger } from '../logger.ts';
import { GatewayMetrics } from '../metrics.ts';
import type { Store } from '../store/index.ts';
import { startHeartbeat } from '../upstream/instance-heartbeat.ts';
import { transportFor } from '../upstream/node-transport.ts';
import { parsedNodeLogger } from './node-logger.ts';
import { DeliveryThread } from './delivery-thread.ts';
import { checkTraceFile, requestTracing } from './request-trace.ts';
import { clientAddressResolver } from './client-address.ts';
import { answerHeaderOverflow } from './header-overflow.ts';
import { parseRefusal } from '../http/oversized-head.ts';
import { processHolder } from '../upstream/process-holder.ts';
import { missingKeyMessage } from '../upstream/secrets.ts';
import { swaggerAssetsFromNodeModules } from '../web/node-assets.ts';
import { closeKeptAliveOnDrain } from './drain-keep-alive.ts';
import { limitConnectionsPerAddress, serverLimits } from './server-limits.ts';
import { listenError, shutdown } from './server-lifecycle.ts';
import { webhooksFor } from '../webhooks/index.ts';

export interface NodeGateway {
  readonly store: Store;
  readonly config: GatewayConfig;
  readonly port: number;
  readonly server: Server;
  readonly metrics: GatewayMetrics;
  /** The thread the deliveries run in (CUSTGATE_DELIVERY_THREAD, default on); undefined: on the main thread. */
  readonly deliveries: DeliveryThread | undefined;
  /** Stops accepting, lets requests in flight finish (at most shutdownTimeoutMs), closes the store. */
  close(): Promise<void>;
}

/** What @hono/node-server hands the app as its env (getConnInfo reads the same). */
type NodeBindings = { readonly incoming: IncomingMessage };

// The CLI and the tests open the store the way the server does.
export { type OpenStoreOptions, openParsedStore, openStore } from '../open-store.ts';
export { accessLine, nodeLogger, parsedNodeLogger } from './node-logger.ts';
export { checkTraceFile } from './request-trace.ts';
export type { ServerLimits } from './server-limits.ts';
export { probeListen } from './server-lifecycle.ts';

/** Starts the HTTP server on the given port (0 picks a free one), on 127.0.0.1 unless told otherwise. */
export async function startNode(
  env: Readonly<Record<string, string | undefined>>,
  options: {
    readonly port: number;
    readonly hostname?: string;
    readonly store?: Store;
    /** `store` was opened from `env` (openStore(env)): the delivery thread may open its own beside it. */
    readonly storeFromEnv?: boolean;
    readonly logger?: Logger;
    /** The dialects to serve (a test may inject its own); default: the static registry. */
    readonly registry?: Registry;
    readonly metrics?: GatewayMetrics;
    /** What `POST /gateway/v1/reset` loads into the tenant again (serve --fixtures, startGateway's fixtures), checked before it empties it. */
    readonly resetFixtures?: ResetFixtures;
    /** `env` as loadEnv parsed it, where the caller has already (`custgate serve`): not parsed again. */
    readonly parsed?: Env;
  },
): Promise<NodeGateway> {
  const parsed = options.parsed ?? loadEnv(env);
  const config = configOf(parsed);
  const limits = serverLimits(parsed);
  const { CUSTGATE_REQUEST_TRACE: traceFile, CUSTGATE_REQUEST_TRACE_EVERY: traceEvery } = parsed;
  // Before the store is opened: a trace file that cannot be written stops the start here.
  if (traceFile) checkTraceFile(traceFile);
  const metrics = options.metrics ?? new GatewayMetrics();
  const store = options.store ?? (await openParsedStore(parsed, { onError: metrics.storeError }));
  if (config.production && config.secretsKey === undefined && (await store.upstreams.count()) > 0) {
    if (!options.store) await store.executor.close();
    throw new Error(missingKeyMessage);
  }
  const registry = options.registry ?? staticRegistry;
  // The per-address connection limit (server-limits.ts) stays on the socket: it counts sockets.
  const clientAddressOf = clientAddressResolver(parsed.CUSTGATE_TRUSTED_PROXIES);
  const dialects = dialectList(registry);
  // One keep-alive transport for the write path, the outbox and the webhooks of this process.
  const transport = transportFor(config.upstreamTransport);
  const logger = options.logger ?? parsedNodeLogger(parsed);
  // The deliveries run in a thread of their own, which opens the store DATABASE_URL names: not for
  // an in-memory database (no other connection sees it), a store handed in that may be another
  // (unless the caller opened it from the same environment: `custgate serve`), or dialects handed in.
  const database = parsed.DATABASE_URL;
  const threaded =
    config.outbox.thread &&
    (!options.store || options.storeFromEnv === true) &&
    !options.registry &&
    !(database.kind === 'sqlite' && database.path === ':memory:');
  const signal = threaded ? new ServingSignal() : undefined;
  const deliveries = signal
    ? new DeliveryThread({
        env: parsed,
        store,
        config,
        signal,
        logger,
        wanted: async () => (await store.upstreams.count()) > 0 || (await store.outbox.counts()).pending > 0,
      })
    : undefined;
  const replication = {
    ...replicationFor(store, config, { dialects, transport, ...(signal ? { signal } : {}) }),
    ...(deliveries ? { kick: () => deliveries.kick() } : {}),
  };
  // Also on metrics handed in (`custgate serve` hands its own, which counts the store's errors from
  // the moment the store opens): gauge() replaces a gauge of the same name.
  metrics.gauge(
    'custgate_outbox_pending',
    'Mirror/shadow deliveries waiting to be sent',
    async () => (await store.outbox.counts()).pending,
  );
  metrics.gauge('custgate_outbox_dead', 'Mirror/shadow deliveries dead-lettered', async () => (await store.outbox.counts()).dead);
  // Written before the first request: a create claim names this process's row.
  const heartbeat = await startHeartbeat(store, { heartbeatMs: config.heartbeatMs, upstreamTimeoutMs: config.upstreamTimeoutMs, logger });
  // The webhook queue keeps the main thread's pace (CUSTGATE_OUTBOX_SHARE), the one the requests are
  // counted in, for the delivery thread's too.
  const webhooks = webhooksFor(store, config, dialects, { logger, pace: replication.dispatcher.pace, transport });
  metrics.gauge('custgate_webhook_pending', 'Webhook deliveries waiting to be sent', () => webhooks.repo.pendingCount());
  metrics.gauge('custgate_webhook_endpoints_disabled', 'Webhook endpoints disabled after repeated failure', () =>
    webhooks.repo.disabledCount(),
  );
  const { app, runtime } = createGateway({
    store,
    config,
    registry,
    replication,
    webhooks,
    logger,
    observers: [metrics.observe],
    metrics,
    // The incoming request @hono/node-server's getConnInfo reads, without the object it builds
    // around it: the in-flight limit and authentication ask for the address on every request.
    clientAddress: (c) => {
      const bindings = c.env as NodeBindings & { server?: NodeBindings };
      return clientAddressOf((bindings.server ?? bindings).incoming);
    },
    docsAssets: swaggerAssetsFromNodeModules(),
    importHolder: processHolder(),
    ...(options.resetFixtures ? { resetFixtures: options.resetFixtures } : {}),
    transport,
    claimOwner: heartbeat,
  });
  metrics.gauge(
    'custgate_import_resumes_running',
    'Interrupted imports this process resumed that run now',
    () => runtime.imports.resumes.running,
  );
  metrics.gauge('custgate_import_resumes_waiting', '1 while an interrupted import waits for one of those to end, else 0', () =>
    Number(runtime.imports.resumes.waiting),
  );
  // Retries whose backoff ended, and deliveries a killed process left leased.
  if (deliveries) await deliveries.start();
  else replication.dispatcher.start(config.outbox.pollMs);
  webhooks.dispatcher.start(config.outbox.pollMs);
  const purge = setInterval(() => {
    const now = Date.now();
    store.purgeExpiredKeys(new Date(now).toISOString()).catch(() => undefined);
    if (config.eventRetentionDays > 0) {
      store.purgeEventsBefore(new Date(now - config.eventRetentionDays * 86_400_000).toISOString()).catch(() => undefined);
    }
  }, 3600_000);
  purge.unref();
  // An import started over HTTP whose gateway was stopped or killed (a deploy, a crash) is carried
  // on here: at start, and every minute for one whose claim lapses later (a process on another host).
  const resumeImports = () => {
    runtime.imports.resume().catch((error: unknown) => {
      logger.error('import_resume_failed', { message: error instanceof Error ? error.message : String(error) });
    });
  };
  const resume = setInterval(resumeImports, 60_000);
  resume.unref();
  const hostname = options.hostname ?? '127.0.0.1';
  const tracing = traceFile ? requestTracing(traceFile, traceEvery, logger) : undefined;
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: tracing ? tracing.wrap(app.fetch) : app.fetch,
        port: options.port,
        hostname,
        serverOptions: {
          headersTimeout: limits.headersTimeoutMs,
          requestTimeout: limits.requestTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          // How often the timeouts above are checked (Node's default, 30 s, would let them run late).
          connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
        },
      },
      (info) => {
        resumeImports();
        resolve({
          store,
          config,
          metrics,
          deliveries,
          port: info.port,
          server: server as Server,
          close: () => {
            // A background import stops after its current page and releases its claim, so the
            // next start (here or in another process) resumes it at once.
            clearInterval(resume);
            const imports = runtime.imports.stop();
            // Renewed until the requests in flight are done: one may be sending a create.
            drainKeptAlive();
            return shutdown(server as Server, limits.shutdownTimeoutMs, purge, store, () => {
              heartbeat?.stop();
              const outbox = deliveries ? deliveries.stop() : replication.dispatcher.stop();
              return Promise.all([outbox, webhooks.dispatcher.stop(), imports]).then(() => undefined);
            }).finally(() => tracing?.flush());
          },
        });
      },
    ) as Server;
    server.once('error', (error: NodeJS.ErrnoException) => {
      clearInterval(purge);
      clearInterval(resume);
      heartbeat?.stop();
      void deliveries?.stop();
      reject(listenError(error, hostname, options.port));
    });
    tracing?.attach(server as Server);
    const drainKeptAlive = closeKeptAliveOnDrain(server as Server);
    // A head past Node's limit never reaches the app: its 431 in the envelope of the path's dialect.
    answerHeaderOverflow(server as Server, (head, refusal) => parseRefusal(dialects, head, refusal));
    server.maxConnections = limits.maxConnections;
    limitConnectionsPerAddress(server, limits.maxConnectionsPerAddress);
    // A connection that sends nothing at all (not even headers) is closed too.
    server.setTimeout(limits.requestTimeoutMs + limits.keepAliveTimeoutMs);
  });
}
