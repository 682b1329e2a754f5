import { ApiKeyVerifier, JwtService } from '../auth/index.ts';
import type { GatewayConfig } from '../config.ts';
import { CustomerService, Idempotency } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { AccessEntry, AccessObserver } from './access.ts';

export interface Logger {
  error(event: string, fields: Readonly<Record<string, unknown>>): void;
  /** One line per finished request (access.ts); absent: no access log. */
  access?(entry: AccessEntry): void;
}

/** What a runtime entry (node.ts, worker.ts, tests) hands to createApp. */
export interface GatewayDeps {
  readonly store: Store;
  readonly config: GatewayConfig;
  readonly now?: () => Date;
  readonly logger?: Logger;
  /** Called with every finished request besides the logger (Node: Prometheus counters). */
  readonly observers?: readonly AccessObserver[];
  /** Serves GET /metrics when given (Node; Workers have no scrape endpoint). */
  readonly metrics?: { render(): Promise<{ readonly contentType: string; readonly body: string }> };
}

/** Everything a request needs, built once per app, never per request. */
export interface Runtime {
  readonly config: GatewayConfig;
  readonly store: Store;
  readonly customers: CustomerService;
  readonly idempotency: Idempotency;
  readonly apiKeys: ApiKeyVerifier;
  readonly jwt: JwtService;
  readonly now: () => Date;
  readonly logger: Logger;
}

// JSON lines on the console (Workers logs, wrangler tail). Only the event name and the error's
// name and message: never a stack, a body or a header.
const consoleLogger: Logger = {
  error: (event, fields) => console.error(JSON.stringify({ level: 'error', time: new Date().toISOString(), event, ...fields })),
  access: (entry) => console.log(JSON.stringify({ level: 'info', event: 'request', ...entry })),
};

export function createRuntime(deps: GatewayDeps): Runtime {
  const now = deps.now ?? (() => new Date());
  return {
    config: deps.config,
    store: deps.store,
    customers: new CustomerService(deps.store, { now, maxAttempts: 16 }),
    idempotency: new Idempotency(deps.store, { ttlMs: deps.config.idempotencyTtlHours * 3600_000, leaseMs: 60_000 }),
    apiKeys: new ApiKeyVerifier(deps.store, { cacheTtlMs: deps.config.apiKeyCacheTtlMs, cacheSize: 10_000 }),
    jwt: new JwtService(deps.config.jwt),
    now,
    logger: deps.logger ?? consoleLogger,
  };
}
