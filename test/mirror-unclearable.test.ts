import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { set } from '../schemas/index.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Dispatcher } from '../src/outbox/dispatcher.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { drainTenant } from './support/drain-until.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { addUpstream, type CreatedTenant, createApp, createTenant, replicationFor } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// A clear the mirror's provider has no form for is named on the delivery, even where no dialect's
// request asks it: Connhex's next_invoice_sequence cannot be unset (its reference; Stripe's
// parameter_invalid_empty), yet a proxy upstream's own state can clear it locally — Wooshpay shows
// `next_invoice_sequence: null` for a customer without one, and its event (or a proxied answer) is
// taken in as the local state. A second custgate process plays both providers.

const stripe = new Stripe('sk_test_unused');
const secret = 'whsec_unclearable_test_secret_0123456789';

describe('a clear a mirror cannot make, reached through a proxy upstream', () => {
  let provider: Provider;
  let store: Store;
  let tenant: CreatedTenant;
  let dispatcher: Dispatcher;
  let request: (path: string, init?: RequestInit) => Promise<Response>;

  beforeAll(async () => {
    provider = await startProvider();
    const env = { ...testDatabaseEnv(), ...testEnv };
    store = await openStore(env);
    const config = loadConfig(env);
    tenant = await createTenant(store, config, 'unclearable');
    const replication = replicationFor(store, config, { logger: { error: () => undefined } });
    dispatcher = replication.dispatcher;
    const app = createApp({ store, config, logger: { error: () => undefined }, replication: { ...replication, drainAfterWrite: false } });
    request = async (path, init) => app.request(path, init);
  }, 120_000);
  afterAll(async () => {
    await store?.executor.close();
    await provider?.process.stop();
  });

  const auth = () => ({ authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` });
  const providerAuth = () => ({ authorization: `Bearer ${provider.credentials.wooshpay.secret_key}` });
  const linkOf = async (id: string, upstreamId: string) => {
    const res = await request(`/gateway/v1/customers/${id}/links`, { headers: auth() });
    return ((await res.json()) as { data: { upstream_id: string; remote_id: string }[] }).data.find((l) => l.upstream_id === upstreamId)
      ?.remote_id;
  };
  const sequenceAtProvider = async (remoteId: string) => {
    const res = await fetch(`${provider.base}/gateway/v1/customers/${remoteId}`, { headers: providerAuth() });
    expect(res.status).toBe(200);
    return ((await res.json()) as { next_invoice_sequence: number | null }).next_invoice_sequence;
  };
  const event = async (upstreamId: string, id: string, object: Record<string, unknown>, created: number) => {
    const payload = JSON.stringify({ id, object: 'event', type: 'customer.updated', created, livemode: false, data: { object } });
    const res = await request(`/gateway/v1/upstreams/${upstreamId}/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret }) },
      body: payload,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'applied' });
  };
  const lastDelivery = async (id: string) => {
    const res = await request(`/gateway/v1/customers/${id}/deliveries`, { headers: auth() });
    const rows = ((await res.json()) as { data: { version: number; state: string; last_error: string | null }[] }).data;
    return rows.reduce((a, b) => (b.version > a.version ? b : a));
  };

  it('a Connhex mirror: a next_invoice_sequence the proxy upstream cleared is named not carried, not delivered in silence', {
    timeout: 60_000,
  }, async () => {
    const keyring = keyringFor(loadConfig({ ...testDatabaseEnv(), ...testEnv }), store.upstreams);
    const proxy = await addUpstream(store, keyring, tenant.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: provider.baseUrl('wooshpay'),
      mode: 'proxy',
      credentials: provider.credentials.wooshpay,
      webhookSecret: secret,
    });
    const mirror = await addUpstream(store, keyring, tenant.tenant.id, {
      dialect: 'connhex',
      baseUrl: provider.baseUrl('connhex'),
      mode: 'mirror',
      credentials: provider.credentials.connhex,
    });
    const created = await request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Sequenced' }, auth()));
    expect(created.status).toBe(200);
    const id = ((await created.json()) as { id: string }).id;
    const remote = (await linkOf(id, proxy.id))!;

    // Set at the provider (its Connhex API), then its event: the local copy and the mirror take 7.
    const connhex = dialects.connhex.client;
    const setAt = connhex.update(remote, { patch: { next_invoice_sequence: set(7) } }, provider.credentials.connhex);
    expect((await fetch(`${provider.baseUrl('connhex')}${setAt.path}`, setAt)).status).toBe(200);
    const read = dialects.wooshpay.client.retrieve(remote, provider.credentials.wooshpay);
    const shown = (await (await fetch(`${provider.baseUrl('wooshpay')}${read.path}`, read)).json()) as Record<string, unknown>;
    expect(shown.next_invoice_sequence).toBe(7);
    const now = Math.floor(Date.now() / 1000);
    await event(proxy.id, 'evt_sequence_set', shown, now + 1);
    await drainTenant(dispatcher, store.outbox, tenant.tenant.id);
    const mirrored = (await linkOf(id, mirror.id))!;
    expect(await sequenceAtProvider(mirrored)).toBe(7);

    // The proxy upstream's customer shows none: the local copy takes the clear.
    await event(proxy.id, 'evt_sequence_cleared', { ...shown, next_invoice_sequence: null }, now + 2);
    const local = await request(`/gateway/v1/customers/${id}`, { headers: auth() });
    expect(((await local.json()) as { next_invoice_sequence: number | null }).next_invoice_sequence).toBeNull();
    await drainTenant(dispatcher, store.outbox, tenant.tenant.id);

    // Connhex cannot unset it: it keeps 7, and the delivery says so.
    expect(await sequenceAtProvider(mirrored)).toBe(7);
    expect(await lastDelivery(id)).toMatchObject({
      state: 'delivered',
      last_error: expect.stringMatching(/not carried: next_invoice_sequence .*connhex/),
    });
  });
});
