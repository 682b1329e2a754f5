import { env, SELF } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { dialects } from '../../dialects/index.ts';
import { loadConfig } from '../../src/config.ts';
import { drainUntil } from '../support/drain-until.ts';
import { createTenant } from '../support/registered.ts';
import { webhooksFor } from '../../src/webhooks/index.ts';
import { testStore } from '../support/store.ts';

// Webhooks in workerd on D1: a write through the Worker records one delivery per endpoint in its
// batch; what is sent is verified by the libraries receivers run, here in the Workers runtime
// (`stripe`'s Web Crypto verifier, `standardwebhooks`). A Worker cannot listen on a port, so the
// Worker's own first try fails (nothing answers at the URL) and a dispatcher on the same D1
// database, given a fetch that records, sends the retry.

const stripe = new Stripe('sk_test_unused', { httpClient: Stripe.createFetchHttpClient() });

describe('webhooks from a Worker', () => {
  it('a create through the Worker: exactly one event per endpoint, in its format and dialect, verified', async () => {
    const store = await testStore();
    const config = loadConfig({ NODE_ENV: 'test' });
    const tenant = await createTenant(store, config, 'edge-hooks-verified');
    const sent: { url: string; headers: Record<string, string>; body: string }[] = [];
    const webhooks = webhooksFor(store, config, Object.values(dialects), {
      kickAfterWrite: false,
      fetch: async (input, init) => {
        const headers: Record<string, string> = {};
        new Headers(init?.headers).forEach((value, name) => {
          headers[name] = value;
        });
        sent.push({ url: String(input), headers, body: String(init?.body) });
        return new Response('ok');
      },
    });
    const stripeHook = await webhooks.add(tenant.tenant.id, { url: 'http://127.0.0.1:9/stripe', dialect: 'connhex' });
    const standardHook = await webhooks.add(tenant.tenant.id, {
      url: 'http://127.0.0.1:9/standard',
      format: 'standard',
      dialect: 'bigcapital',
    });

    const res = await SELF.fetch('https://custgate.test/v1/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Edge%20Hooked&email=edge%40example.com',
    });
    expect(res.status).toBe(200);
    const customer = (await res.json()) as { id: string };

    // The Worker's own try (waitUntil) fails at the unreachable URL; then its backoff must pass.
    const tried = async () => (await webhooks.repo.attempts(tenant.tenant.id, stripeHook.endpoint.id, 10)).length;
    for (let i = 0; i < 100 && (await tried()) < 1; i++) await new Promise((r) => setTimeout(r, 50));
    const due = await env.DB.prepare('select max(next_attempt_at) as at from webhook_deliveries').first<{ at: string }>();
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(due!.at) - Date.now()) + 50));
    await drainUntil(webhooks.dispatcher, () => sent.length >= 2);

    expect(sent.map((s) => s.url).sort()).toEqual(['http://127.0.0.1:9/standard', 'http://127.0.0.1:9/stripe']);
    const toStripe = sent.find((s) => s.url.endsWith('/stripe'))!;
    const event = await stripe.webhooks.constructEventAsync(
      toStripe.body,
      toStripe.headers['stripe-signature'] ?? '',
      stripeHook.secret,
      undefined,
      Stripe.createSubtleCryptoProvider(),
    );
    expect(event.type).toBe('customer.created');
    expect(event.data.object).toMatchObject({ id: customer.id, name: 'Edge Hooked' });
    await expect(
      stripe.webhooks.constructEventAsync(
        toStripe.body.replace('Edge Hooked', 'Mallory'),
        toStripe.headers['stripe-signature'] ?? '',
        stripeHook.secret,
        undefined,
        Stripe.createSubtleCryptoProvider(),
      ),
    ).rejects.toThrow();

    const toStandard = sent.find((s) => s.url.endsWith('/standard'))!;
    const payload = new Webhook(standardHook.secret).verify(toStandard.body, toStandard.headers) as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(payload.type).toBe('customer.created');
    // Bigcapital's shape: camelCase, its display name.
    expect(payload.data).toMatchObject({ displayName: 'Edge Hooked', email: 'edge@example.com' });
    expect(toStandard.headers['webhook-id']).toBe(event.id);
  });
});
