import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import Stripe from 'stripe';
import { dialects } from '../../dialects/index.ts';
import { type GatewayConfig, loadConfig } from '../../src/config.ts';
import type { Store } from '../../src/store/index.ts';
import { type Webhooks, webhooksFor } from '../../src/webhooks/index.ts';
import { testEnv } from './gateway.ts';
import { type CreatedTenant, createApp, createTenant } from './registered.ts';
import { testStore } from './store.ts';

// A gateway on a real local port with webhooks sent only when a test drains them, a tenant `acme`,
// and Stripe's own SDK pointed at it: what the tests of the webhook API through the SDK share.

export interface WebhookSdkServer {
  readonly store: Store;
  readonly config: GatewayConfig;
  readonly webhooks: Webhooks;
  readonly tenant: CreatedTenant;
  /** The SDK with `key` (the tenant's test-mode Wooshpay key unless told), no retries. */
  client(key?: string): Stripe;
  close(): Promise<void>;
}

/**
 * `storeEnv` is given to the store (testStore): a DATABASE_URL there puts it in a file. `now` is
 * the webhooks' clock (an endpoint's `created`), for a test that orders endpoints by it.
 */
export async function startWebhookSdkServer(
  storeEnv: Readonly<Record<string, string>> = {},
  options: { now?: () => Date } = {},
): Promise<WebhookSdkServer> {
  const store = await testStore(storeEnv);
  const config = loadConfig(testEnv);
  const webhooks = webhooksFor(store, config, Object.values(dialects), { kickAfterWrite: false, ...options });
  const app = createApp({ store, config, webhooks, logger: { error: () => undefined } });
  const tenant = await createTenant(store, config, 'acme');
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    store,
    config,
    webhooks,
    tenant,
    client: (key = tenant.credentials.wooshpay?.secret_key ?? '') =>
      new Stripe(key, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
