import { ApiKeyVerifier, JwtService, VerifiedTokenCache } from '../auth/index.ts';
import type { GatewayConfig } from '../config.ts';
import { CustomerService, Idempotency } from '../core/index.ts';
import type { Store } from '../store/index.ts';

export interface Logger {
  error(event: string, fields: Readonly<Record<string, unknown>>): void;
}

/** What a runtime entry (node.ts, worker.ts, tests) hands to createApp. */
export interface GatewayDeps {
  readonly store: Store;
  readonly config: GatewayConfig;
  readonly now?: () => Date;
  readonly logger?: Logger;
}

/** Everything a request needs, built once per app, never per request. */
export interface Runtime {
  readonly config: GatewayConfig;
  readonly store: Store;
  readonly customers: CustomerService;
  readonly idempotency: Idempotency;
  readonly apiKeys: ApiKeyVerifier;
  readonly jwt: JwtService;
  /** Verified JWTs by hash, until exp (token-cache.ts). */
  readonly tokens: VerifiedTokenCache;
  readonly now: () => Date;
  readonly logger: Logger;
}

// Only the event name and the error's name and message: never a stack, a body or a header.
const consoleLogger: Logger = {
  error: (event, fields) => console.error(JSON.stringify({ level: 'error', event, ...fields })),
};

export function createRuntime(deps: GatewayDeps): Runtime {
  const now = deps.now ?? (() => new Date());
  return {
    config: deps.config,
    store: deps.store,
    customers: new CustomerService(deps.store, { now, maxAttempts: 16, writeWaitMs: deps.config.writeWaitMs }),
    idempotency: new Idempotency(deps.store, { ttlMs: deps.config.idempotencyTtlHours * 3600_000, leaseMs: 60_000 }),
    apiKeys: new ApiKeyVerifier(deps.store, { cacheTtlMs: deps.config.apiKeyCacheTtlMs, cacheSize: 10_000 }),
    jwt: new JwtService(deps.config.jwt),
    // The credential cache's TTL bounds both: a revoked key or a changed secret takes effect within it.
    tokens: new VerifiedTokenCache({ ttlMs: deps.config.apiKeyCacheTtlMs, size: 10_000 }),
    now,
    logger: deps.logger ?? consoleLogger,
  };
}
