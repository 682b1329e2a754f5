import { registry } from '../../dialects/index.ts';
import { dialectList, type Registry } from '../../src/contract/registry.ts';
import { type CreatedTenant, type CreateTenantOptions, createTenant as createTenantOf } from '../../src/gateway/tenants.ts';
import { type GatewayApp, createApp as createAppOf } from '../../src/http/app.ts';
import type { GatewayDeps } from '../../src/http/runtime.ts';
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

export function createApp(deps: Omit<GatewayDeps, 'registry'> & { readonly registry?: Registry }): GatewayApp {
  return createAppOf({ ...deps, registry: deps.registry ?? registry });
}

export function createTenant(
  store: Store,
  config: GatewayConfig,
  name: string,
  options: CreateTenantOptions & { readonly dialects?: Parameters<typeof createTenantOf>[3]['dialects'] } = {},
): Promise<CreatedTenant> {
  return createTenantOf(store, config, name, { ...options, dialects: options.dialects ?? dialectList(registry) });
}

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
