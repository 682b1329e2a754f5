import { registry } from '../../dialects/index.ts';
import { dialectList } from '../../src/contract/registry.ts';
import type { GatewayConfig } from '../../src/config.ts';
import type { Store } from '../../src/store/index.ts';
import type { AnyDialect } from '../../src/contract/dialect.ts';
import { type UpstreamInput, addUpstream as addUpstreamOf } from '../../src/upstream/registry.ts';
import type { Keyring } from '../../src/upstream/secrets.ts';
import { replicationFor as replicationForOf } from '../../src/outbox/upstream-port.ts';
import type { Replication } from '../../src/outbox/replication.ts';

// The gateway as src/entries/ assembles it: the static registry handed in. Tests that inject a
// dialect of their own pass `registry` (or `dialects`) themselves. The same for the upstream
// side: adding an upstream, the outbox's replication (test/support/book-deps.ts: the migration commands').

export * from '../../src/http/app.ts';
export * from '../../src/gateway/tenants.ts';

export { createApp, createTenant } from '../../src/entries/registered.ts';

/** The static registry's dialects, in registration order. */
export const registeredDialects = dialectList(registry);

export function addUpstream(
  store: Store,
  keyring: Keyring,
  tenantId: string,
  input: UpstreamInput,
  now?: Date,
): ReturnType<typeof addUpstreamOf> {
  return addUpstreamOf(store, { keyring, dialects: registeredDialects }, tenantId, input, now);
}

export function replicationFor(
  store: Store,
  config: GatewayConfig,
  options: Omit<Parameters<typeof replicationForOf>[2], 'dialects'> & { readonly dialects?: readonly AnyDialect[] } = {},
): Replication {
  return replicationForOf(store, config, { ...options, dialects: options.dialects ?? registeredDialects });
}
