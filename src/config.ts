import type { DialectName } from './dialect.ts';
import type { JwtConfig } from './auth/index.ts';
import type { WindowLimit } from './http/rate-limit.ts';

export interface GatewayConfig {
  readonly production: boolean;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimitBytes: number;
  readonly jwt: JwtConfig;
  /** How long a verified API key is trusted from the in-process cache. */
  readonly apiKeyCacheTtlMs: number;
  readonly idempotencyTtlHours: number;
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
