import Stripe from 'stripe';
import { type NodeGateway, startNode } from '../../src/entries/node.ts';
import type { Store } from '../../src/store/index.ts';
import { createTenant } from './registered.ts';

// A Node gateway on a free local port, silent, with a tenant `sdk`, and Stripe's own SDK pointed
// at its Wooshpay routes: what the simulate tests drive a real client with.

export interface SdkGateway {
  readonly node: NodeGateway;
  /** The SDK with the tenant's Wooshpay key, retrying as many times as asked. */
  stripe(maxNetworkRetries: number): Stripe;
}

export async function startSdkGateway(env: Readonly<Record<string, string | undefined>>, store: Store): Promise<SdkGateway> {
  const node = await startNode(
    { ...env, CUSTGATE_LOG_LEVEL: 'silent' },
    { port: 0, hostname: '127.0.0.1', store, logger: { error: () => undefined } },
  );
  const key = (await createTenant(store, node.config, 'sdk')).credentials.wooshpay?.secret_key ?? '';
  return {
    node,
    stripe: (maxNetworkRetries) => new Stripe(key, { host: '127.0.0.1', port: node.port, protocol: 'http', maxNetworkRetries }),
  };
}
