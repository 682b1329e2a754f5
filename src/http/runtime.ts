import type { Context } from 'hono';
import { ApiKeyVerifier, JwtService, type VerifiedJwt, VerifiedTokenCache } from '../auth/index.ts';
import type { GatewayConfig } from '../config.ts';
import { CustomerService, Idempotency } from '../core/index.ts';
import type { Dispatcher } from '../outbox/dispatcher.ts';
import type { DrainPace } from '../outbox/drain-pace.ts';
import type { Replication } from '../outbox/replication.ts';
import { consoleLogger, type Logger } from '../logger.ts';
import { UpstreamClient } from '../upstream/client.ts';
import { ImportJobs } from '../upstream/import-job.ts';
import type { LeaseHolder } from '../upstream/import-lease.ts';
import type { ClaimOwner } from '../upstream/attempts.ts';
import { type Fetch, type Transport, transportOf } from '../upstream/http.ts';
import { type Customers, TenantCustomers } from '../upstream/customers.ts';
import { UpstreamProxy } from '../upstream/proxy.ts';
import { Upstreams } from '../upstream/tenant-upstreams.ts';
import { gatewayIdOf } from '../upstream/loop.ts';
import { type Keyring, keyringFor, MissingSecretsKey } from '../upstream/secrets.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { dialectList, type Registry } from '../contract/registry.ts';
import { defaultReadCacheSize, type Store, StoreBusy, type StoreUnavailableCause, storeUnavailable } from '../store/index.ts';
import type { AccessObserver } from './access.ts';
import { AddressSlots } from './in-flight.ts';
import { RateLimiter } from './rate-limit.ts';
import { RequestLog } from './request-log.ts';
import { RenderedReads } from './rendered-reads.ts';
import type { StaticAssets } from '../web/assets.ts';
import { Webhooks } from '../webhooks/index.ts';

/** What a runtime entry (node.ts, worker.ts, tests) hands to createApp. */
export interface GatewayDeps {
  readonly store: Store;
  readonly config: GatewayConfig;
  /** The dialects to serve: the entry passes the static registry (dialects/index.ts), a test may give its own. */
  readonly registry: Registry;
  readonly now?: () => Date;
  readonly logger?: Logger;
  /** Outbound calls to upstream providers (tests inject faults); default: the global fetch. */
  readonly fetch?: Fetch;
  /** How upstream calls go out (Node: src/upstream/node-transport.ts); default: over `fetch` above. */
  readonly transport?: Transport | undefined;
  /** Called with every finished request besides the logger (Node: Prometheus counters). */
  readonly observers?: readonly AccessObserver[];
  /** Serves GET /metrics when given (Node; Workers have no scrape endpoint). */
  readonly metrics?: { render(): Promise<{ readonly contentType: string; readonly body: string }> };
  /**
   * The client's address, for the failed-authentication and in-flight limits (undefined: unknown,
   * not limited). Node passes the socket's, or behind a trusted proxy the address it forwarded
   * (src/entries/client-address.ts); the default reads Cloudflare's CF-Connecting-IP.
   */
  readonly clientAddress?: (c: Context) => string | undefined;
  /** Who this process is when it claims an import (src/upstream/import-lease.ts); default: a random id. */
  readonly importHolder?: LeaseHolder;
  /** This process's heartbeat (a Node server), named by its create claims; absent on Workers. */
  readonly claimOwner?: ClaimOwner | undefined;
  /** Swagger UI's files for /docs; without them (the Worker) /docs answers 404 (docs/web.md). */
  readonly docsAssets?: StaticAssets;
  /** Mirror/shadow upstreams: the outbox is recorded with each write and dispatched through port. */
  readonly replication?: Replication;
  /** Outbound webhooks (src/webhooks/); default: built over the store, sending right after each write. */
  readonly webhooks?: Webhooks;
  /**
   * What the server loads into a tenant again after `POST /gateway/v1/reset` emptied it
   * (`custgate serve --fixtures`, startGateway's fixtures), so a reset leaves the tenant as a fresh
   * start would. Called before the reset: it reads and checks the fixtures then (a GatewayError if
   * they fail, and nothing is emptied) and gives the load, which answers them as their dialects
   * answered them, by name; undefined: nothing to load.
   */
  readonly resetFixtures?: ResetFixtures;
}

export type ResetFixtures = (tenantId: string) => Promise<(() => Promise<Readonly<Record<string, unknown>>>) | undefined>;

/** Everything a request needs, built once per app, never per request. */
export interface Runtime {
  readonly config: GatewayConfig;
  /** The registry's dialects, in registration order. */
  readonly dialects: readonly AnyDialect[];
  readonly store: Store;
  /** Local customers, through the tenant's proxy upstream where it has one. */
  readonly customers: Customers;
  readonly keyring: Keyring;
  /** This gateway's id (per database), for loop detection (src/upstream/loop.ts). */
  readonly gatewayId: () => Promise<string>;
  readonly idempotency: Idempotency;
  readonly apiKeys: ApiKeyVerifier;
  readonly jwt: JwtService;
  /** Verified JWTs by hash, until exp (token-cache.ts). */
  readonly tokens: VerifiedTokenCache<VerifiedJwt>;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Present when the gateway replicates to mirror/shadow upstreams. */
  readonly dispatcher: Dispatcher | undefined;
  /** The pace both queues' drains keep (src/outbox/drain-pace.ts), told of every request served; none: unpaced. */
  readonly pace: DrainPace | undefined;
  readonly drainAfterWrite: boolean;
  readonly authFailures: RateLimiter;
  readonly requests: RateLimiter;
  readonly inFlight: AddressSlots;
  readonly clientAddress: (c: Context) => string | undefined;
  readonly webhooks: Webhooks;
  /** Whole-book imports started over HTTP (POST /gateway/v1/upstreams/{id}/import). */
  readonly imports: ImportJobs;
  /** Upstream calls outside a customer's request: imports and reconciliations. */
  readonly upstreams: UpstreamClient;
  /** How calls to a provider go out (the loop check of an upstream added over HTTP). */
  readonly transport: Transport;

  /** The last requests of each tenant (GET /gateway/v1/requests). */
  readonly requestLog: RequestLog;
  /** Retrieve answers rendered once per unchanged row (rendered-reads.ts). */
  readonly renderedReads: RenderedReads;
  readonly resetFixtures: ResetFixtures | undefined;
}

// What a client is told of each cause: a lost connection is not a slow store, and the operator
// reading a client's report looks for a different fault in each.
const unavailableMessages: Record<StoreUnavailableCause, string> = {
  timeout: 'The store did not answer in time; retry shortly.',
  lost: 'The connection to the store was lost; retry shortly.',
  refused: 'The store refused the connection; retry shortly.',
};

/**
 * Any error as the GatewayError a dialect renders: a busy store is a 503 to retry; anything
 * unexpected is logged (name and message only, with the request id the response's header gives, so
 * a client's report finds the line) and answered as an internal error.
 */
export function asGatewayError(error: unknown, rt: Runtime, dialect: string, requestId: string | undefined): GatewayError {
  if (isGatewayError(error)) return error;
  if (error instanceof StoreBusy) {
    return new GatewayError('unavailable', 'The store is busy with another writer; retry shortly.', { retryAfterSeconds: 1, busy: true });
  }
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : '';
  const request_id = requestId ?? null;
  // A configuration the operator must fix, not a fault: said as it is (the message names the
  // variable, never a value), logged once per request as any refusal of the server's is.
  if (error instanceof MissingSecretsKey) {
    rt.logger.error('secrets_key_missing', { request_id, dialect, message });
    return new GatewayError('unavailable', `The gateway is misconfigured: ${message}`);
  }
  const cause = storeUnavailable(error);
  if (cause) {
    rt.logger.error('store_unavailable', { request_id, dialect, cause, name, message });
    return new GatewayError('unavailable', unavailableMessages[cause], { retryAfterSeconds: 1 });
  }
  rt.logger.error('unhandled_error', { request_id, dialect, name, message });
  return new GatewayError('internal', 'An internal error occurred.');
}

/**
 * The one pace of a gateway's drains: the in-flight middleware tells it of the requests, so a queue
 * with a pace of its own would never hear of them and never pause.
 */
function gatewayPace(outbox: DrainPace | undefined, webhooks: DrainPace | undefined): DrainPace | undefined {
  if (outbox && webhooks && outbox !== webhooks) {
    throw new Error("the outbox and the webhook queue must share one DrainPace (pass the replication dispatcher's pace to the webhooks)");
  }
  return outbox ?? webhooks;
}

export function createRuntime(deps: GatewayDeps): Runtime {
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? consoleLogger;
  const replication = deps.replication;
  const keyring = keyringFor(deps.config, deps.store.upstreams);
  const dialects = dialectList(deps.registry);
  const webhooks =
    deps.webhooks ??
    new Webhooks(deps.store, keyring, dialects, {
      now,
      logger,
      ...deps.config.webhooks,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      transport: deps.transport,
      pace: replication?.dispatcher.pace,
    });
  const pace = gatewayPace(replication?.dispatcher.pace, webhooks.dispatcher.pace);
  const gatewayId = gatewayIdOf(deps.store.upstreams);
  const upstreams = new UpstreamClient({
    dialects,
    keyring,
    gatewayId,
    timeoutMs: deps.config.upstreamTimeoutMs,
    maxAnswerBytes: deps.config.upstreamMaxAnswerBytes,
    upstreams: deps.store.upstreams,
    logger,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    transport: deps.transport,
  });
  // One per process: the dispatcher's when it replicates, so both open each upstream once.
  const tenantUpstreams =
    replication?.upstreams ??
    new Upstreams(
      deps.store.upstreams,
      (row) => upstreams.open(row),
      (name) => upstreams.dialectOf(name),
    );
  const dispatcher = replication?.dispatcher;
  const keptReplicas = replication !== undefined && replication.replicas === tenantUpstreams.replicas;
  const drainAfterWrite = replication?.drainAfterWrite !== false;
  const readCacheSize = deps.config.readCacheSize ?? defaultReadCacheSize;
  const service = new CustomerService(deps.store, {
    readCacheSize,
    now,
    maxAttempts: 16,
    writeWaitMs: deps.config.writeWaitMs,
    maxCustomerBytes: deps.config.maxCustomerBytes,
    ...(replication ? { replicas: replication.replicas } : {}),
    events: webhooks,
    replicated: (background) => {
      if (!dispatcher || !drainAfterWrite) return;
      const drained = replication.kick ? replication.kick() : dispatcher.kick();
      background?.(drained);
    },
  });
  // The credential cache's TTL bounds it: a changed signing key takes effect within it (at once in a
  // process that saw a token of the new key: JwtService's onKeyChanged below).
  const tokens = new VerifiedTokenCache<VerifiedJwt>({ ttlMs: deps.config.apiKeyCacheTtlMs, size: 10_000 });
  return {
    config: deps.config,
    dialects,
    store: deps.store,
    customers: new TenantCustomers(
      service,
      tenantUpstreams,
      new UpstreamProxy(service, deps.store, upstreams, deps.claimOwner),
      keptReplicas,
    ),
    keyring,
    gatewayId,
    idempotency: new Idempotency(deps.store, { ttlMs: deps.config.idempotencyTtlHours * 3600_000, leaseMs: 60_000 }),
    apiKeys: new ApiKeyVerifier(deps.store, { cacheTtlMs: deps.config.apiKeyCacheTtlMs, cacheSize: 10_000 }),
    jwt: new JwtService(deps.config.jwt, deps.store, {
      cacheTtlMs: deps.config.apiKeyCacheTtlMs,
      // A key found replaced (a token of the new one came): tokens of the old one verify no longer here.
      onKeyChanged: (tenantId) => tokens.forget((verified) => verified.tenantId === tenantId),
    }),
    tokens,
    now,
    logger,
    dispatcher,
    pace,
    drainAfterWrite,
    authFailures: new RateLimiter(deps.config.authFailureLimit),
    requests: new RateLimiter(deps.config.requestLimit),
    inFlight: new AddressSlots(deps.config.maxInFlightPerAddress),
    clientAddress: deps.clientAddress ?? ((c) => c.req.header('cf-connecting-ip')),
    webhooks,
    imports: new ImportJobs(
      { store: deps.store, service, client: upstreams, maxCustomerBytes: deps.config.maxCustomerBytes },
      { logger, now, holder: deps.importHolder, resumeLimit: deps.config.importResumes },
    ),
    upstreams,
    transport: transportOf(deps),

    requestLog: new RequestLog(deps.config.requestLogSize),
    renderedReads: new RenderedReads(readCacheSize > 0),
    resetFixtures: deps.resetFixtures,
  };
}
