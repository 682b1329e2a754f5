import type { DialectName } from './dialect.ts';
import type { JwtConfig } from './auth/index.ts';
import { parseSecretsKey } from './upstream/secrets.ts';
import type { WindowLimit } from './http/rate-limit.ts';

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
  };
  /** CUSTGATE_SECRETS_KEY: encrypts upstream credentials (src/upstream/secrets.ts). */
  readonly secretsKey: string | undefined;
  /** Bound on each call to an upstream provider, connection included. */
  readonly upstreamTimeoutMs: number;
  /** Failed authentications per client address per window before 429 (0: off). On by default. */
  readonly authFailureLimit: WindowLimit;
  /** Requests per credential per window before 429 (0: off, the default). */
  readonly requestLimit: WindowLimit;
  /** Largest stored customer (its canonical JSON), in bytes, in every dialect. */
  readonly maxCustomerBytes: number;
  /** Change-history rows older than this many days are purged (0: kept for ever). */
  readonly eventRetentionDays: number;
  /** How long an update may wait behind other updates of the same customer (queue, row lock). */
  readonly writeWaitMs: number;
}

const dialectNames = ['wooshpay', 'connhex', 'meteroid', 'bigcapital', 'zenskar'] as const satisfies readonly DialectName[];

export function loadConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  // No secret is built in: unset, every tenant gets a random key of its own, kept in the database.
  const secret = env.CUSTGATE_JWT_SECRET === '' ? undefined : env.CUSTGATE_JWT_SECRET;
  const audiencePrefix = env.CUSTGATE_JWT_AUDIENCE_PREFIX ?? 'custgate:';
  const audiences = Object.fromEntries(dialectNames.map((name) => [name, `${audiencePrefix}${name}`])) as Record<
    DialectName,
    string
  >;
  return {
    production,
    bodyLimitBytes: positiveInt(env.CUSTGATE_BODY_LIMIT_BYTES, 256 * 1024),
    jwt: { secret, issuer: env.CUSTGATE_JWT_ISSUER ?? 'custgate', audiences },
    apiKeyCacheTtlMs: positiveInt(env.CUSTGATE_KEY_CACHE_TTL_MS, 30_000, true),
    idempotencyTtlHours: positiveInt(env.CUSTGATE_IDEMPOTENCY_TTL_HOURS, 24),
    outbox: {
      maxAttempts: positiveInt(env.CUSTGATE_OUTBOX_MAX_ATTEMPTS, 12),
      pollMs: positiveInt(env.CUSTGATE_OUTBOX_POLL_MS, 1000),
      baseDelayMs: positiveInt(env.CUSTGATE_OUTBOX_BASE_DELAY_MS, 500),
      maxDelayMs: positiveInt(env.CUSTGATE_OUTBOX_MAX_DELAY_MS, 300_000),
    },
    secretsKey: secretsKey(env.CUSTGATE_SECRETS_KEY),
    upstreamTimeoutMs: positiveInt(env.CUSTGATE_UPSTREAM_TIMEOUT_MS, 10_000),
    authFailureLimit: {
      max: positiveInt(env.CUSTGATE_AUTH_FAILURE_LIMIT, 100, true),
      windowMs: positiveInt(env.CUSTGATE_AUTH_FAILURE_WINDOW_SECONDS, 60) * 1000,
    },
    requestLimit: {
      max: positiveInt(env.CUSTGATE_RATE_LIMIT, 0, true),
      windowMs: positiveInt(env.CUSTGATE_RATE_LIMIT_WINDOW_SECONDS, 60) * 1000,
    },
    maxCustomerBytes: positiveInt(env.CUSTGATE_MAX_CUSTOMER_BYTES, 64 * 1024),
    eventRetentionDays: positiveInt(env.CUSTGATE_EVENT_RETENTION_DAYS, 0, true),
    writeWaitMs: positiveInt(env.CUSTGATE_WRITE_WAIT_MS, 10_000),
  };
}

function positiveInt(value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`invalid number: ${value}`);
  return n;
}

/** Checked at start so a malformed key fails loudly, not at the first upstream call. */
function secretsKey(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  parseSecretsKey(value);
  return value;
}
