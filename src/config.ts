import type { DialectName } from './dialect.ts';
import type { JwtConfig } from './auth/index.ts';
import { parseSecretsKey } from './upstream/secrets.ts';

export interface GatewayConfig {
  readonly production: boolean;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimitBytes: number;
  readonly jwt: JwtConfig;
  /** How long a verified API key is trusted from the in-process cache. */
  readonly apiKeyCacheTtlMs: number;
  readonly idempotencyTtlHours: number;
  /** CUSTGATE_SECRETS_KEY: encrypts upstream credentials (src/upstream/secrets.ts). */
  readonly secretsKey: string | undefined;
  /** Bound on each call to an upstream provider, connection included. */
  readonly upstreamTimeoutMs: number;
}

// Used only outside production, so a fresh clone runs with no set-up; production refuses to start
// without CUSTGATE_JWT_SECRET.
const devJwtSecret = 'custgate-development-secret-do-not-use-in-production';

const dialectNames = ['wooshpay', 'connhex', 'meteroid', 'bigcapital', 'zenskar'] as const satisfies readonly DialectName[];

export function loadConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  const production = env.NODE_ENV === 'production';
  const secret = env.CUSTGATE_JWT_SECRET ?? (production ? undefined : devJwtSecret);
  if (!secret) throw new Error('CUSTGATE_JWT_SECRET is required when NODE_ENV=production');
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
    secretsKey: secretsKey(env.CUSTGATE_SECRETS_KEY),
    upstreamTimeoutMs: positiveInt(env.CUSTGATE_UPSTREAM_TIMEOUT_MS, 10_000),
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
