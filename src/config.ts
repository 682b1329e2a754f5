import * as v from 'valibot';
import type { JwtConfig } from './auth/index.ts';
import { type Env, envSchema } from './env-schema.ts';

// The gateway's configuration: the environment parsed once (src/env-schema.ts holds the schema,
// every variable in it) and what the layers read derived from it.

export type { Env };

export interface GatewayConfig {
  readonly production: boolean;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimitBytes: number;
  readonly jwt: JwtConfig;
  /** How long a verified API key is trusted from the in-process cache. */
  readonly apiKeyCacheTtlMs: number;
  readonly idempotencyTtlHours: number;
  /** Mirror/shadow deliveries (docs/migrating.md). */
  readonly outbox: {
    readonly maxAttempts: number;
    readonly pollMs: number;
    readonly baseDelayMs: number;
    readonly maxDelayMs: number;
    /**
     * Percent of the main thread a drain there takes while requests are served (the webhook queue's,
     * the outbox's without its thread; src/outbox/drain-pace.ts); 100: unpaced.
     */
    readonly share: number;
    /**
     * Node: the outbox's deliveries run in a thread of their own (src/entries/delivery-thread.ts), at
     * a lower priority (`nice`, 0–19), so the main thread answers requests only; `threadShare`
     * percent of that thread while requests are served.
     */
    readonly thread: boolean;
    readonly nice: number;
    readonly threadShare: number;
  };
  /** Outbound webhooks (docs/webhooks.md). */
  readonly webhooks: {
    /** A delivery is retried with backoff for this long after its event, then given up. */
    readonly retryWindowMs: number;
    /** Given-up deliveries in a row after which an endpoint is disabled. */
    readonly disableAfter: number;
    /** Events listed by GET /v1/events for this many days (within CUSTGATE_EVENT_RETENTION_DAYS). */
    readonly eventDays: number;
    readonly baseDelayMs: number;
    /** One delivery (connection, request, answer) is abandoned after this long. */
    readonly timeoutMs: number;
    /** Deliveries leased, sent and settled together in one round. */
    readonly roundSize: number;
    /** Sends in flight to one receiver's origin at once, over `fetch` only (the Node transport bounds its own sockets). */
    readonly connectionsPerOrigin: number;
  };
  /** CUSTGATE_SECRETS_KEY: encrypts upstream credentials (src/upstream/secrets.ts). */
  readonly secretsKey: string | undefined;
  /** Bound on each call to an upstream provider, connection included. */
  readonly upstreamTimeoutMs: number;
  /** Largest answer read from an upstream provider (decoded bytes); larger ones are a 502. */
  readonly upstreamMaxAnswerBytes: number;
  /** Node: upstream calls over node:http (`node`, keep-alive, this many sockets per origin) or the global fetch. Workers always fetch. */
  readonly upstreamTransport: { readonly kind: 'node' | 'fetch'; readonly socketsPerOrigin: number };
  /** How often a Node process renews its liveness row (src/upstream/instance-heartbeat.ts); 0: never. */
  readonly heartbeatMs: number;
  /** Failed authentications per client address per window before 429 (0: off). On by default. */
  readonly authFailureLimit: WindowLimit;
  /** Requests per credential per window before 429 (0: off, the default). */
  readonly requestLimit: WindowLimit;
  /** Largest stored customer (its canonical JSON), in bytes, in every dialect. */
  readonly maxCustomerBytes: number;
  /** Interrupted imports a Node gateway's sweep resumes at once (CUSTGATE_IMPORT_RESUMES); the rest wait their turn. */
  readonly importResumes: number;
  /** Change-history rows older than this many days are purged (0: kept for ever). */
  readonly eventRetentionDays: number;
  /** How long an update may wait behind other updates of the same customer (queue, row lock). */
  readonly writeWaitMs: number;
  /** CUSTGATE_CORS_ORIGINS: origins browsers may call from (`*`: any); empty: no CORS. */
  readonly corsOrigins: readonly string[];
  /** CUSTGATE_PROBE_TOKEN: the bearer token for /metrics and the detailed health (unset: neither is served). */
  readonly probeToken: string | undefined;
  /** Requests in flight at once per client address before 429 (0: off). On by default. */
  readonly maxInFlightPerAddress: number;
  /** Requests kept per tenant for GET /gateway/v1/requests (0: none; the default in production). */
  readonly requestLogSize: number;
  /** CUSTGATE_READ_CACHE_SIZE: customers whose rows and rendered answers a process keeps for retrieves (0: none). */
  readonly readCacheSize?: number;
}

/** A count per time window (the rate limits); `max` 0 turns the limit off. */
export interface WindowLimit {
  readonly max: number;
  readonly windowMs: number;
}

/** A variable is missing or malformed; the message names it (never its value when secret). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment: the first bad variable throws a ConfigError naming it. */
export function loadEnv(env: Readonly<Record<string, string | undefined>>): Env {
  // An empty variable counts as unset, as shells and .env files often leave them.
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = v.safeParse(envSchema, given);
  if (result.success) {
    const { CUSTGATE_HEADERS_TIMEOUT_MS: headers, CUSTGATE_REQUEST_TIMEOUT_MS: request } = result.output;
    // Node refuses a server whose headers may take longer than the whole request (ERR_OUT_OF_RANGE).
    // A request timeout set under the headers' default shortens that default with it: only a
    // headers timeout the operator set past the request's is refused.
    if (headers > request) {
      if (given.CUSTGATE_HEADERS_TIMEOUT_MS === undefined) return { ...result.output, CUSTGATE_HEADERS_TIMEOUT_MS: request };
      throw new ConfigError(
        `CUSTGATE_HEADERS_TIMEOUT_MS: must be at most CUSTGATE_REQUEST_TIMEOUT_MS (${headers} > ${request}): the headers are part of the request`,
      );
    }
    return result.output;
  }
  const issue = result.issues[0];
  const name = issue.path?.[0]?.key;
  const shown = typeof name === 'string' && !/SECRET|TOKEN|DATABASE_URL/.test(name) ? ` (got ${JSON.stringify(given[name])})` : '';
  throw new ConfigError(`${typeof name === 'string' ? name : 'environment'}: ${issue.message}${shown}`);
}

export function loadConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  return configOf(loadEnv(env));
}

/** The gateway's configuration from an environment loadEnv parsed (an entry that reads more of it parses once). */
export function configOf(parsed: Env): GatewayConfig {
  // No secret is built in: unset, every tenant gets a random key of its own, kept in the database.
  const secret = parsed.CUSTGATE_JWT_SECRET;
  return {
    production: parsed.NODE_ENV === 'production',
    bodyLimitBytes: parsed.CUSTGATE_BODY_LIMIT_BYTES,
    jwt: { secret, issuer: parsed.CUSTGATE_JWT_ISSUER, audiencePrefix: parsed.CUSTGATE_JWT_AUDIENCE_PREFIX },
    apiKeyCacheTtlMs: parsed.CUSTGATE_KEY_CACHE_TTL_MS,
    idempotencyTtlHours: parsed.CUSTGATE_IDEMPOTENCY_TTL_HOURS,
    authFailureLimit: { max: parsed.CUSTGATE_AUTH_FAILURE_LIMIT, windowMs: parsed.CUSTGATE_AUTH_FAILURE_WINDOW_SECONDS * 1000 },
    requestLimit: { max: parsed.CUSTGATE_RATE_LIMIT, windowMs: parsed.CUSTGATE_RATE_LIMIT_WINDOW_SECONDS * 1000 },
    maxCustomerBytes: parsed.CUSTGATE_MAX_CUSTOMER_BYTES,
    importResumes: parsed.CUSTGATE_IMPORT_RESUMES,
    eventRetentionDays: parsed.CUSTGATE_EVENT_RETENTION_DAYS,
    writeWaitMs: parsed.CUSTGATE_WRITE_WAIT_MS,
    corsOrigins: parsed.CUSTGATE_CORS_ORIGINS,
    maxInFlightPerAddress: parsed.CUSTGATE_MAX_IN_FLIGHT_PER_ADDRESS,

    // Bodies in memory are a developer's tool: off in production unless asked for.
    requestLogSize: parsed.CUSTGATE_REQUEST_LOG_SIZE ?? (parsed.NODE_ENV === 'production' ? 0 : 100),
    ...(parsed.CUSTGATE_READ_CACHE_SIZE !== undefined && { readCacheSize: parsed.CUSTGATE_READ_CACHE_SIZE }),
    outbox: {
      maxAttempts: parsed.CUSTGATE_OUTBOX_MAX_ATTEMPTS,
      pollMs: parsed.CUSTGATE_OUTBOX_POLL_MS,
      baseDelayMs: parsed.CUSTGATE_OUTBOX_BASE_DELAY_MS,
      maxDelayMs: parsed.CUSTGATE_OUTBOX_MAX_DELAY_MS,
      share: parsed.CUSTGATE_OUTBOX_SHARE,
      thread: parsed.CUSTGATE_DELIVERY_THREAD === 'on',
      nice: parsed.CUSTGATE_DELIVERY_NICE,
      threadShare: parsed.CUSTGATE_DELIVERY_SHARE,
    },
    webhooks: {
      retryWindowMs: parsed.CUSTGATE_WEBHOOK_RETRY_HOURS * 3600_000,
      disableAfter: parsed.CUSTGATE_WEBHOOK_DISABLE_AFTER,
      eventDays: parsed.CUSTGATE_WEBHOOK_EVENT_DAYS,
      baseDelayMs: parsed.CUSTGATE_WEBHOOK_BASE_DELAY_MS,
      timeoutMs: parsed.CUSTGATE_WEBHOOK_TIMEOUT_MS,
      roundSize: parsed.CUSTGATE_WEBHOOK_ROUND_SIZE,
      connectionsPerOrigin: parsed.CUSTGATE_WEBHOOK_CONNECTIONS,
    },
    secretsKey: parsed.CUSTGATE_SECRETS_KEY,
    upstreamTimeoutMs: parsed.CUSTGATE_UPSTREAM_TIMEOUT_MS,
    upstreamMaxAnswerBytes: parsed.CUSTGATE_UPSTREAM_MAX_ANSWER_BYTES,
    upstreamTransport: { kind: parsed.CUSTGATE_UPSTREAM_TRANSPORT, socketsPerOrigin: parsed.CUSTGATE_UPSTREAM_SOCKETS },
    heartbeatMs: parsed.CUSTGATE_HEARTBEAT_MS,
    probeToken: parsed.CUSTGATE_PROBE_TOKEN,
  };
}
