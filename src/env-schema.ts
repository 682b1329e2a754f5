import * as v from 'valibot';
import { compile as compileTrust } from '@fastify/proxy-addr';
import { parseSecretsKey } from './auth/crypto.ts';

// Every environment variable the gateway reads is parsed here, in one valibot schema, so a bad
// value fails at start with the variable's name, never later or silently. To add a variable: add
// an entry to `envSchema` (and to docs/operations.md), then read it from `Env` (src/config.ts's
// loadEnv parses it; its derivations are there too).

/** A whole number in [min, max], from its decimal string; `why` says why the bounds are what they are. */
const integer = (min: number, max = Number.MAX_SAFE_INTEGER, why?: string) => {
  const range =
    max === Number.MAX_SAFE_INTEGER ? `must be a whole number, at least ${min}` : `must be a whole number from ${min} to ${max}`;
  const message = why === undefined ? range : `${range}: ${why}`;
  return v.pipe(
    v.string(),
    v.trim(),
    v.regex(/^\d{1,16}$/, message),
    v.transform(Number),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
};

/** A comma-separated list, each entry trimmed, empty ones dropped. */
const commaList = v.pipe(
  v.string(),
  v.transform((text) =>
    text
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  ),
);

const supportedDatabases = 'postgres://…, postgresql://…, file:<path>, a plain file path or :memory:';
const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/** Which store DATABASE_URL names; anything with another scheme is refused rather than taken for a file name. */
export type DatabaseTarget = { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'sqlite'; readonly path: string };

function databaseTarget(url: string): DatabaseTarget | string {
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  if (url === ':memory:') return { kind: 'sqlite', path: url };
  if (url.startsWith('file:')) return { kind: 'sqlite', path: url.slice('file:'.length).replace(/^\/\/(?=\/)/, '') };
  const found = scheme.exec(url)?.[1];
  // One letter and a colon is a Windows drive (C:\data\custgate.db): a plain path.
  if (found === undefined || found.length === 1) return { kind: 'sqlite', path: url };
  // Only the scheme is echoed: the rest may hold a password.
  const hint = /^postgres/i.test(found) ? ' (did you mean postgres://?)' : '';
  return `"${found}:" is not a supported database${hint}; use ${supportedDatabases}`;
}

export const envSchema = v.object({
  NODE_ENV: v.optional(v.string()),
  CUSTGATE_JWT_SECRET: v.optional(v.pipe(v.string(), v.minLength(32, 'must be at least 32 characters'))),
  CUSTGATE_JWT_ISSUER: v.optional(v.string(), 'custgate'),
  CUSTGATE_JWT_AUDIENCE_PREFIX: v.optional(v.string(), 'custgate:'),
  CUSTGATE_BODY_LIMIT_BYTES: v.optional(integer(1), String(256 * 1024)),
  CUSTGATE_KEY_CACHE_TTL_MS: v.optional(integer(0), '30000'),
  CUSTGATE_IDEMPOTENCY_TTL_HOURS: v.optional(integer(1), '24'),
  CUSTGATE_LOG_LEVEL: v.optional(
    v.picklist(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
      'must be one of trace, debug, info, warn, error, fatal, silent',
    ),
    'info',
  ),
  DATABASE_URL: v.optional(
    v.pipe(
      v.string(),
      v.rawTransform<string, DatabaseTarget>(({ dataset, addIssue, NEVER }) => {
        const target = databaseTarget(dataset.value);
        if (typeof target === 'string') {
          addIssue({ message: target });
          return NEVER;
        }
        return target;
      }),
    ),
    'data/custgate.db',
  ),
  CUSTGATE_SQLITE_SYNCHRONOUS: v.optional(v.picklist(['full', 'normal'], 'must be full or normal'), 'full'),
  CUSTGATE_SQLITE_BUSY_TIMEOUT_MS: v.optional(integer(1), '100'),
  CUSTGATE_SQLITE_WRITER: v.optional(v.picklist(['thread', 'inline'], 'must be thread or inline'), 'thread'),
  CUSTGATE_SQLITE_CHECKPOINT: v.optional(v.picklist(['thread', 'inline'], 'must be thread or inline'), 'inline'),
  CUSTGATE_SQLITE_WRITER_TRACE: v.optional(v.pipe(v.string(), v.minLength(1))),
  CUSTGATE_REQUEST_TRACE: v.optional(v.pipe(v.string(), v.minLength(1))),
  CUSTGATE_REQUEST_TRACE_EVERY: v.optional(integer(1), '1'),
  CUSTGATE_SQLITE_CACHE_MB: v.optional(integer(0, 1024), '64'),
  CUSTGATE_SQLITE_CHECKPOINT_PAGES: v.optional(integer(100, 16_000), '1000'),
  CUSTGATE_READ_CACHE_SIZE: v.optional(integer(0, 1_000_000)),
  CUSTGATE_PG_SCHEMA: v.optional(v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier'))),
  // src/store/postgres.ts `migrate`: the advisory lock holds one connection while kysely's migrator
  // takes another from the same pool; with one, every start would wait on itself.
  CUSTGATE_PG_POOL_SIZE: v.optional(
    integer(2, 1000, 'migrating at start holds one connection for its lock while the migrations run on another'),
  ),
  CUSTGATE_PG_CONNECT_TIMEOUT_MS: v.optional(integer(0)),
  CUSTGATE_PG_IDLE_TIMEOUT_MS: v.optional(integer(0)),
  CUSTGATE_PG_STATEMENT_TIMEOUT_MS: v.optional(integer(0)),
  CUSTGATE_PG_PREPARED_STATEMENTS: v.optional(v.picklist(['on', 'off'], 'must be on or off'), 'on'),
  CUSTGATE_AUTH_FAILURE_LIMIT: v.optional(integer(0), '100'),
  CUSTGATE_AUTH_FAILURE_WINDOW_SECONDS: v.optional(integer(1), '60'),
  CUSTGATE_RATE_LIMIT: v.optional(integer(0), '0'),
  CUSTGATE_RATE_LIMIT_WINDOW_SECONDS: v.optional(integer(1), '60'),
  CUSTGATE_MAX_CUSTOMER_BYTES: v.optional(integer(1), String(64 * 1024)),
  CUSTGATE_IMPORT_RESUMES: v.optional(integer(1, 64), '3'),
  CUSTGATE_EVENT_RETENTION_DAYS: v.optional(integer(0), '0'),
  CUSTGATE_WRITE_WAIT_MS: v.optional(integer(1), '10000'),
  CUSTGATE_OUTBOX_MAX_ATTEMPTS: v.optional(integer(1), '12'),
  CUSTGATE_OUTBOX_POLL_MS: v.optional(integer(1), '1000'),
  CUSTGATE_OUTBOX_BASE_DELAY_MS: v.optional(integer(1), '500'),
  CUSTGATE_OUTBOX_MAX_DELAY_MS: v.optional(integer(1), '300000'),
  CUSTGATE_OUTBOX_SHARE: v.optional(integer(1, 100), '25'),
  CUSTGATE_DELIVERY_THREAD: v.optional(v.picklist(['on', 'off'], 'must be on or off'), 'on'),
  CUSTGATE_DELIVERY_NICE: v.optional(integer(0, 19), '10'),
  CUSTGATE_DELIVERY_SHARE: v.optional(integer(1, 100), '10'),
  CUSTGATE_WEBHOOK_RETRY_HOURS: v.optional(integer(0), '72'),
  CUSTGATE_WEBHOOK_DISABLE_AFTER: v.optional(integer(1), '5'),
  CUSTGATE_WEBHOOK_EVENT_DAYS: v.optional(integer(1), '30'),
  CUSTGATE_WEBHOOK_BASE_DELAY_MS: v.optional(integer(1), '1000'),
  CUSTGATE_WEBHOOK_TIMEOUT_MS: v.optional(integer(1), '10000'),
  CUSTGATE_WEBHOOK_ROUND_SIZE: v.optional(integer(1), '128'),
  CUSTGATE_WEBHOOK_CONNECTIONS: v.optional(integer(1), '16'),
  CUSTGATE_SECRETS_KEY: v.optional(
    v.pipe(
      v.string(),
      v.check((text) => {
        try {
          parseSecretsKey(text);
          return true;
        } catch {
          return false;
        }
      }, 'must be 32 bytes, as base64 (44 characters) or hex (64 digits): `openssl rand -base64 32`'),
    ),
  ),
  CUSTGATE_UPSTREAM_TIMEOUT_MS: v.optional(integer(1), '10000'),
  CUSTGATE_UPSTREAM_TRANSPORT: v.optional(v.picklist(['node', 'fetch'], 'must be node or fetch'), 'node'),
  CUSTGATE_UPSTREAM_SOCKETS: v.optional(integer(1, 256), '16'),
  // 0: no heartbeat, a crashed process's create claims run their whole bound. Past a minute a dead
  // process is told no sooner than its claims' own bound would.
  CUSTGATE_HEARTBEAT_MS: v.optional(integer(0, 60_000), '5000'),
  // Bounded: under 64 KiB a customer (CUSTGATE_MAX_CUSTOMER_BYTES' default) may not fit; past 64 MiB one answer holds a process's memory.
  CUSTGATE_UPSTREAM_MAX_ANSWER_BYTES: v.optional(integer(64 * 1024, 64 * 1024 * 1024), String(1024 * 1024)),
  CUSTGATE_PROBE_TOKEN: v.optional(v.pipe(v.string(), v.minLength(24, 'must be at least 24 characters: `openssl rand -base64 24`'))),
  // The Node server's own limits (src/entries/node.ts, docs/security.md): checked here with the rest,
  // so `serve` refuses a bad one before it opens the store or makes the demo tenant.
  CUSTGATE_HEADERS_TIMEOUT_MS: v.optional(integer(1), '10000'),
  CUSTGATE_REQUEST_TIMEOUT_MS: v.optional(integer(1), '30000'),
  CUSTGATE_KEEP_ALIVE_TIMEOUT_MS: v.optional(integer(1), '5000'),
  CUSTGATE_MAX_CONNECTIONS: v.optional(integer(1), '1000'),
  CUSTGATE_SHUTDOWN_TIMEOUT_MS: v.optional(integer(1), '10000'),
  CUSTGATE_MAX_CONNECTIONS_PER_ADDRESS: v.optional(integer(0), '100'),
  CUSTGATE_MAX_IN_FLIGHT_PER_ADDRESS: v.optional(integer(0), '64'),
  // The proxies whose X-Forwarded-For is believed (src/entries/client-address.ts). None by default:
  // trusting it from anyone would let every client choose the address it is limited by.
  CUSTGATE_TRUSTED_PROXIES: v.optional(
    v.pipe(
      commaList,
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        for (const entry of dataset.value) {
          try {
            compileTrust(entry);
          } catch {
            addIssue({
              message: `"${entry.slice(0, 64)}" is not an address, a CIDR range or one of loopback, linklocal, uniquelocal (a comma-separated list such as 10.0.0.0/8, loopback)`,
            });
            return;
          }
        }
      }),
    ),
    '',
  ),
  PORT: v.optional(integer(0, 65535)),
  CUSTGATE_REQUEST_LOG_SIZE: v.optional(integer(0, 10_000)),
  CUSTGATE_CORS_ORIGINS: v.optional(
    v.pipe(
      commaList,
      v.check(
        (origins) => origins.every((o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o)),
        'must be * or comma-separated origins such as http://localhost:3000 (scheme and host, no path)',
      ),
    ),
    '',
  ),
});

export type Env = v.InferOutput<typeof envSchema>;
