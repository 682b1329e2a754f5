import { env, SELF } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, fixturesOf, registry } from '../../dialects/index.ts';
import { loadConfig } from '../../src/config.ts';
import worker from '../../src/entries/worker.ts';
import { type EdgeReceiver, edgeReceiver, until } from '../support/edge-receiver.ts';
import { createTenant } from '../support/registered.ts';
import { testStore } from '../support/store.ts';

// Webhooks from src/entries/worker.ts as deployed, on D1: a create and an update through each of the
// five dialects' own routes, each sent by the Worker itself (in waitUntil) to two endpoints made
// over its HTTP API: one in Stripe's format, one in Standard Webhooks' with Zenskar's customer. Each
// write makes exactly one event per endpoint, verified by `stripe` (its Web Crypto verifier, as
// a Workers receiver runs it) and by `standardwebhooks`.

const stripe = new Stripe('sk_test_unused', { httpClient: Stripe.createFetchHttpClient() });
const json = (method: string, body: unknown, headers: Record<string, string>): RequestInit => ({
  method,
  headers: { ...headers, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

let receiver: EdgeReceiver | undefined;
afterEach(() => receiver?.restore());

describe('webhooks from a Worker, for a write through every dialect', () => {
  it('each create and update makes exactly one event per endpoint, in its format and dialect, verified', async () => {
    const store = await testStore();
    const config = loadConfig({ NODE_ENV: 'test' });
    const tenant = await createTenant(store, config, 'edge-every-dialect');
    const r = edgeReceiver();
    receiver = r;
    const key = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    const add = async (body: Record<string, unknown>) => {
      const res = await SELF.fetch('https://custgate.test/gateway/v1/webhook_endpoints', json('POST', body, key));
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; secret: string };
    };
    const toStripe = await add({ url: `${r.url}/stripe` });
    const toStandard = await add({ url: `${r.url}/standard`, format: 'standard', dialect: 'zenskar' });

    let writes = 0;
    for (const [name, entry] of Object.entries(registry)) {
      const d = entry.dialect;
      const f = fixturesOf(d);
      const auth = f.auth(tenant.credentials[name]!);
      const collection = `https://custgate.test${d.routes.prefix}${d.routes.collection}`;
      const created = await SELF.fetch(collection, json('POST', f.create, auth));
      expect(created.status, name).toBe(d.wire.createdStatus);
      const shown = await created.json();
      const updated = await SELF.fetch(
        `${collection}/${encodeURIComponent(f.idOf(shown))}`,
        json(d.routes.update, f.setName(`Via ${name}`), auth),
      );
      expect(updated.status, name).toBe(200);
      await updated.body?.cancel();

      for (const [type, expectedName] of [
        ['customer.created', String(f.name(shown))],
        ['customer.updated', `Via ${name}`],
      ] as const) {
        writes++;
        // The Worker sends each write's deliveries in its waitUntil: nothing else drives them here.
        await until(() => r.received.length >= 2 * writes);
        const mine = r.received.slice(2 * (writes - 1), 2 * writes);
        expect(mine.map((x) => x.path).sort(), `${name} ${type}`).toEqual(['/hooks/standard', '/hooks/stripe']);
        const s = mine.find((x) => x.path === '/hooks/stripe')!;
        const event = await stripe.webhooks.constructEventAsync(
          s.body,
          s.headers['stripe-signature'] ?? '',
          toStripe.secret,
          undefined,
          Stripe.createSubtleCryptoProvider(),
        );
        expect([event.type, event.livemode], name).toEqual([type, false]);
        expect(fixturesOf(dialects.wooshpay).name(event.data.object), `${name} -> wooshpay`).toBe(expectedName);
        const w = mine.find((x) => x.path === '/hooks/standard')!;
        const payload = new Webhook(toStandard.secret).verify(w.body, w.headers) as { type: string; data: Record<string, unknown> };
        expect(payload.type, name).toBe(type);
        expect(fixturesOf(dialects.zenskar).name(payload.data), `${name} -> zenskar`).toBe(expectedName);
        // One event, two renderings: the same id in both formats, for the receivers' de-duplication.
        expect(w.headers['webhook-id']).toBe(event.id);
        // A body changed on the way is refused by both verifiers.
        expect(w.body).toContain(expectedName);
        expect(() => new Webhook(toStandard.secret).verify(w.body.replace(expectedName, 'Mallory'), w.headers)).toThrow();
        await expect(
          stripe.webhooks.constructEventAsync(
            s.body.replace(expectedName, 'Mallory'),
            s.headers['stripe-signature'] ?? '',
            toStripe.secret,
            undefined,
            Stripe.createSubtleCryptoProvider(),
          ),
        ).rejects.toThrow();
      }
    }
    expect(r.received).toHaveLength(20);
    expect(new Set(r.received.map((x) => x.headers['webhook-id'] ?? JSON.parse(x.body).id)).size).toBe(10);

    // The cron trigger finds nothing left to send: each event went once to each endpoint.
    await worker.scheduled({ scheduledTime: Date.now() }, env);
    expect(r.received).toHaveLength(20);
    expect(r.tried).toBe(20);
  });
});
