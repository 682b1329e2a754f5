import Stripe from 'stripe';
import { afterEach, expect } from 'vitest';
import { dialects } from '../../dialects/index.ts';
import { loadConfig } from '../../src/config.ts';
import { type CreatedTenant, createApp, createTenant } from './registered.ts';
import type { Store } from '../../src/store/index.ts';
import { keyringFor } from '../../src/upstream/secrets.ts';
import { Webhooks, type WebhooksOptions } from '../../src/webhooks/index.ts';
import { jsonInit, testEnv } from './gateway.ts';
import { testStore } from './store.ts';
import { type Receiver, startReceiver } from './webhook-receiver.ts';

// A gateway with webhooks sent only when a test drains them, two tenants, and a real local
// receiver per test (closed after it): what the webhook tests share.

export const stripe = new Stripe('sk_test_unused', { maxNetworkRetries: 0 });
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

export interface Setup {
  store: Store;
  webhooks: Webhooks;
  tenant: CreatedTenant;
  other: CreatedTenant;
  logged: { event: string; fields: Readonly<Record<string, unknown>> }[];
  request(path: string, init?: RequestInit): Promise<Response>;
  auth(t?: CreatedTenant): Record<string, string>;
}

export async function setup(
  env: Record<string, string> = {},
  options: Partial<Pick<WebhooksOptions, 'noEndpointsTtlMs' | 'now' | 'fetch' | 'roundsInFlight'>> & { store?: Store } = {},
): Promise<Setup> {
  const { store = await testStore(), ...rest } = options;
  const config = loadConfig({ ...testEnv, CUSTGATE_WEBHOOK_BASE_DELAY_MS: '5', ...env });
  const logged: Setup['logged'] = [];
  const logger = { error: (event: string, fields: Readonly<Record<string, unknown>>) => logged.push({ event, fields }) };
  const webhooks = new Webhooks(store, keyringFor(config, store.upstreams), Object.values(dialects), {
    ...config.webhooks,
    logger,
    kickAfterWrite: false,
    ...rest,
  });
  const app = createApp({ store, config, logger, webhooks });
  const tenant = await createTenant(store, config, 'acme');
  const other = await createTenant(store, config, 'other');
  return {
    store,
    webhooks,
    tenant,
    other,
    logged,
    request: async (path, init) => app.request(path, init),
    auth: (t = tenant) => ({ authorization: `Bearer ${t.credentials.wooshpay!.secret_key}` }),
  };
}

export async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

export async function addEndpoint(s: Setup, body: Record<string, unknown>, t?: CreatedTenant) {
  const res = await s.request('/gateway/v1/webhook_endpoints', jsonInit('POST', body, s.auth(t)));
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string; dialect: string; format: string };
}

export async function createCustomer(s: Setup, body: Record<string, unknown> = { name: 'Jenny Rosen', email: 'jenny@example.com' }) {
  const res = await s.request('/wooshpay/v1/customers', jsonInit('POST', body, s.auth()));
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string };
}

export const update = async (s: Setup, id: string, body: Record<string, unknown>) => {
  const res = await s.request(
    `/wooshpay/v1/customers/${id}`,
    jsonInit('POST', body, { ...s.auth(), 'idempotency-key': `k-${Math.random()}` }),
  );
  expect(res.status).toBe(200);
};

export const stripeEventOf = (r: { headers: Record<string, string>; body: string }, secret: string) =>
  stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] ?? '', secret);
