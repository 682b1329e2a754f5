import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createTenant, addUpstream } from '../support/registered.ts';
import { keyringFor } from '../../src/upstream/secrets.ts';
import { testStore } from '../support/store.ts';

// POST /gateway/v1/upstreams/{id}/webhook in workerd, through src/entries/worker.ts on D1: a
// provider's signed Stripe event reaches a proxy tenant's local copy; a forged one changes nothing.
// The signature is made here with Web Crypto as Stripe documents it
// (https://docs.stripe.com/webhooks#verify-manually: HMAC-SHA256 of `t.payload`), not by the
// gateway's own signing code.

const secret = 'whsec_workerd_inbound_secret_0123456789';
const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

async function stripeHeader(payload: string, key: string, t = Math.floor(Date.now() / 1000)): Promise<string> {
  const hmac = await crypto.subtle.importKey('raw', new TextEncoder().encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return `t=${t},v1=${hex(await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(`${t}.${payload}`)))}`;
}

const event = (id: string, type: string, object: Record<string, unknown>) =>
  JSON.stringify({ id, object: 'event', type, created: Math.floor(Date.now() / 1000), livemode: false, data: { object } });

describe('a provider webhook into a Worker', () => {
  it('a signed customer.updated updates the proxy tenant copy, customer.deleted deletes it; a forged one changes nothing', async () => {
    const store = await testStore();
    // Config as the worker sees it (NODE_ENV=test, no CUSTGATE_SECRETS_KEY: the key is kept in D1).
    const config = loadConfig({ NODE_ENV: 'test' });
    const tenant = await createTenant(store, config, 'edge-inbound');
    const provider = await createTenant(store, config, 'edge-provider-account');
    const upstream = await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
      dialect: 'wooshpay',
      // Never called: an event in is not sent back, and reads are served from the local copy.
      baseUrl: 'https://provider.invalid',
      mode: 'proxy',
      credentials: provider.credentials.wooshpay,
      webhookSecret: secret,
    });
    const post = async (payload: string, header: string) =>
      SELF.fetch(`https://custgate.test/gateway/v1/upstreams/${upstream.id}/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': header },
        body: payload,
      });
    const read = async (id: string) =>
      SELF.fetch(`https://custgate.test/v1/customers/${id}`, {
        headers: { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` },
      });

    const customer = { id: 'cus_EdgeInbound0001', object: 'customer', name: 'Edge Before', email: 'edge@example.com', metadata: {} };
    const created = event('evt_edge_created', 'customer.created', customer);
    const first = await post(created, await stripeHeader(created, secret));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ received: true, outcome: 'applied' });

    const updated = event('evt_edge_updated', 'customer.updated', { ...customer, name: 'Edge After' });
    const res = await post(updated, await stripeHeader(updated, secret));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'applied' });
    const after = await read(customer.id);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ id: customer.id, name: 'Edge After', email: 'edge@example.com' });

    // Forged: signed by another secret, tampered after signing, or signed an hour ago.
    const forged = event('evt_edge_forged', 'customer.updated', { ...customer, name: 'Mallory' });
    for (const header of [
      await stripeHeader(forged, 'whsec_someone_else'),
      await stripeHeader(updated, secret),
      await stripeHeader(forged, secret, Math.floor(Date.now() / 1000) - 3600),
    ]) {
      const refused = await post(forged, header);
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    // A replay of the taken event is acknowledged and changes nothing either.
    expect(await (await post(updated, await stripeHeader(updated, secret))).json()).toMatchObject({ outcome: 'duplicate' });
    expect(await (await read(customer.id)).json()).toMatchObject({ name: 'Edge After' });

    const deleted = event('evt_edge_deleted', 'customer.deleted', { ...customer, name: 'Edge After' });
    expect(await (await post(deleted, await stripeHeader(deleted, secret))).json()).toMatchObject({ outcome: 'applied' });
    expect(await (await read(customer.id)).json()).toEqual({ id: customer.id, object: 'customer', deleted: true });
  });
});
