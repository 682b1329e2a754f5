import { createServer } from 'node:net';
import { registry } from '../../dialects/index.ts';
import type { GatewayConfig } from '../config.ts';
import { dialectList, type Registry } from '../contract/registry.ts';
import { type CreatedTenant, type CreateTenantOptions, createTenant as createTenantOf } from '../gateway/tenants.ts';
import { createApp as createAppOf, type GatewayApp } from '../http/app.ts';
import type { GatewayDeps } from '../http/runtime.ts';
import type { Store } from '../store/index.ts';

// The gateway's parts with the static registry handed in, as the other entries hand it: for the
// programs that run a gateway in process beside the package (bench/, test/support/).

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

/** A port of 127.0.0.1 free a moment ago (for a server process about to be started on it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
