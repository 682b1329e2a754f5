import { registry } from '../../dialects/index.ts';
import { dialectList, type Registry } from '../../src/contract/registry.ts';
import { type CreatedTenant, type CreateTenantOptions, createTenant as createTenantOf } from '../../src/gateway/tenants.ts';
import { type GatewayApp, createApp as createAppOf } from '../../src/http/app.ts';
import type { GatewayDeps } from '../../src/http/runtime.ts';
import type { GatewayConfig } from '../../src/config.ts';
import type { Store } from '../../src/store/index.ts';

// The gateway as src/entries/ assembles it: the static registry handed in. Tests that inject a
// dialect of their own pass `registry` (or `dialects`) themselves.

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
