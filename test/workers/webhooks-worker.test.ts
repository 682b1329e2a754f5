import { env, SELF } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, fixturesOf, registry } from '../../dialects/index.ts';
import { loadConfig } from '../../src/config.ts';
import worker from '../../src/entries/worker.ts';
import { type EdgeReceiver, edgeReceiver, until } from '../support/edge-receiver.ts';
import { createTenant } from '../support/registered.ts';
import type { Received } from '../support/webhook-receiver.ts';
import { testStore } from '../support/store.ts';

// Webhooks from src/entries/worker.ts as deployed, on D1: a create and an update through each of the
// five dialects' own routes, each sent by the Worker itself (in waitUntil) to two endpoints made
// over its HTTP API: one in Stripe's format, one in Standard Webhooks' with Zenskar's customer. Each
// write makes exactly one event per endpoint, verified by `stripe` (its Web Crypto verifier, as
// a Workers receiver runs it) and by `standardwebhooks`.

const stripe = new Stripe('sk_test_unused', { httpClient: Stripe.createFetchHttpClient() });

/** The Stripe event a delivery carries, verified as a Workers receiver does (`stripe` with Web Crypto); throws if forged. */
const verifiedStripeEvent = (r: Received, secret: string) =>
  stripe.webhooks.constructEventAsync(r.body, r.headers['stripe-signature'] ?? '', secret, undefined, Stripe.createSubtleCryptoProvider());
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
    const r = edgeReceiver('https://dialects.hooks.test');
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
        const event = await verifiedStripeEvent(s, toStripe.secret);
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
        await expect(verifiedStripeEvent({ ...s, body: s.body.replace(expectedName, 'Mallory') }, toStripe.secret)).rejects.toThrow();
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

/**
 * Waits for the try in flight to end (no pending delivery of the endpoint leased), then until the
 * next delivery that may go is due: the backoff its last try set has passed. A later version of
 * a customer waits behind an earlier pending one, so only each customer's earliest counts.
 */
async function untilDue(endpointId: string): Promise<void> {
  const pending = env.DB.prepare(
    `select count(lease_owner) as leased, min(case when not exists (select 1 from webhook_deliveries e
       where e.endpoint_id = d.endpoint_id and e.customer_id = d.customer_id and e.version < d.version and e.state = 'pending')
     then next_attempt_at end) as at
     from webhook_deliveries d where endpoint_id = ? and state = 'pending'`,
  ).bind(endpointId);
  let row = await pending.first<{ leased: number; at: string | null }>();
  for (let i = 0; i < 400 && Number(row?.leased) > 0; i++) {
    await new Promise((r) => setTimeout(r, 25));
    row = await pending.first<{ leased: number; at: string | null }>();
  }
  if (row?.at) await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(row.at!) - Date.now()) + 20));
}

describe('a Worker sending to an endpoint that is down for a while', () => {
  it('sends it every event in order, with the same ids, once it answers again, from the cron trigger', async () => {
    const store = await testStore();
    const tenant = await createTenant(store, loadConfig({ NODE_ENV: 'test' }), 'edge-down-and-back');
    const r = edgeReceiver('https://down.hooks.test');
    receiver = r;
    const key = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    const made = await SELF.fetch('https://custgate.test/gateway/v1/webhook_endpoints', json('POST', { url: `${r.url}/down` }, key));
    const endpoint = (await made.json()) as { id: string; secret: string };

    r.status = 503;
    const created = await SELF.fetch('https://custgate.test/v1/customers', json('POST', { name: 'Name 0' }, key));
    const { id } = (await created.json()) as { id: string };
    for (let i = 1; i <= 4; i++) {
      const res = await SELF.fetch(`https://custgate.test/v1/customers/${id}`, json('POST', { name: `Name ${i}` }, key));
      expect(res.status).toBe(200);
    }
    // The Worker's own try after the writes fails; so does the cron's, once the backoff has passed.
    await until(() => r.tried >= 1);
    const failing = r.tried;
    await untilDue(endpoint.id);
    await worker.scheduled({ scheduledTime: Date.now() }, env);
    expect(r.tried).toBeGreaterThan(failing);
    expect(r.received).toEqual([]);

    r.status = 200;
    for (let round = 0; round < 10 && r.received.length < 5; round++) {
      await untilDue(endpoint.id);
      await worker.scheduled({ scheduledTime: Date.now() }, env);
    }
    const events = await Promise.all(r.received.map((x) => verifiedStripeEvent(x, endpoint.secret)));
    expect(events.map((e) => (e.data.object as { name: string }).name)).toEqual(['Name 0', 'Name 1', 'Name 2', 'Name 3', 'Name 4']);
    expect(events.map((e) => e.type)).toEqual(['customer.created', ...Array(4).fill('customer.updated')]);
    expect(new Set(events.map((e) => e.id)).size).toBe(5);

    // While it was down only the customer's earliest event was tried; every event then went once.
    const log = await SELF.fetch(`https://custgate.test/gateway/v1/webhook_endpoints/${endpoint.id}/attempts`, { headers: key });
    const attempts = ((await log.json()) as { data: { event: string; status: number | null }[] }).data;
    const failed = attempts.filter((a) => a.status === 503);
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(new Set(failed.map((a) => a.event))).toEqual(new Set([events[0]!.id]));
    expect(
      attempts
        .filter((a) => a.status === 200)
        .map((a) => a.event)
        .sort(),
    ).toEqual(events.map((e) => e.id).sort());
  });
});

describe('the Stripe SDK against a Worker', () => {
  it('creates an endpoint, gets the event it asked for, and lists and retrieves events', async () => {
    const store = await testStore();
    const tenant = await createTenant(store, loadConfig({ NODE_ENV: 'test' }), 'edge-stripe-sdk');
    const r = edgeReceiver('https://sdk.hooks.test');
    receiver = r;
    // The SDK unchanged, its requests carried to the Worker by a fetch-based HTTP client.
    const sdk = new Stripe(tenant.credentials.wooshpay!.secret_key!, {
      httpClient: Stripe.createFetchHttpClient((url, init) => SELF.fetch(url instanceof URL ? url.href : url, init)),
      host: 'custgate.test',
      protocol: 'https',
      maxNetworkRetries: 0,
    });
    const endpoint = await sdk.webhookEndpoints.create({ url: `${r.url}/sdk`, enabled_events: ['customer.updated'] });
    expect(endpoint).toMatchObject({
      object: 'webhook_endpoint',
      livemode: false,
      status: 'enabled',
      enabled_events: ['customer.updated'],
    });
    expect(endpoint.secret).toMatch(/^whsec_/);

    const customer = await sdk.customers.create({ name: 'Edge SDK' });
    await sdk.customers.update(customer.id, { name: 'Edge SDK 2', metadata: { plan: 'gold' } });
    await until(() => r.received.length >= 1);
    const got = r.received[0]!;
    const event = await verifiedStripeEvent(got, endpoint.secret!);
    expect(event).toMatchObject({ type: 'customer.updated', data: { object: { id: customer.id, name: 'Edge SDK 2' } } });
    expect(event.data.previous_attributes).toEqual({ name: 'Edge SDK', metadata: {} });

    // Only the event it subscribed to was sent; both are listed, newest first.
    await worker.scheduled({ scheduledTime: Date.now() }, env);
    expect(r.received).toHaveLength(1);
    const all = await sdk.events.list({ limit: 10 });
    expect(all.data.map((e) => e.type)).toEqual(['customer.updated', 'customer.created']);
    expect(all.data[0]!.id).toBe(event.id);
    const updates = await sdk.events.list({ type: 'customer.updated' });
    expect(updates.data.map((e) => e.id)).toEqual([event.id]);
    const one = await sdk.events.retrieve(event.id);
    expect(one).toMatchObject({ id: event.id, type: 'customer.updated', data: { object: { id: customer.id } } });

    expect((await sdk.webhookEndpoints.list()).data.map((e) => e.id)).toEqual([endpoint.id]);
    expect(await sdk.webhookEndpoints.del(endpoint.id)).toMatchObject({ id: endpoint.id, deleted: true });
    expect((await sdk.webhookEndpoints.list()).data).toEqual([]);
  });

  it('keeps every key of concurrent metadata merges on D1', async () => {
    const store = await testStore();
    const tenant = await createTenant(store, loadConfig({ NODE_ENV: 'test' }), 'edge-merge');
    const key = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    const endpoints = 'https://custgate.test/v1/webhook_endpoints';
    const made = (await (
      await SELF.fetch(endpoints, json('POST', { url: 'https://merge.hooks.test/', metadata: { base: '0' } }, key))
    ).json()) as {
      id: string;
    };
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const answers = await Promise.all(keys.map((k) => SELF.fetch(`${endpoints}/${made.id}`, json('POST', { metadata: { [k]: k } }, key))));
    expect(answers.map((a) => a.status)).toEqual(keys.map(() => 200));
    const stored = (await (await SELF.fetch(`${endpoints}/${made.id}`, { headers: key })).json()) as { metadata: unknown };
    expect(stored.metadata).toEqual({ base: '0', ...Object.fromEntries(keys.map((k) => [k, k])) });
  });
});

describe('a delivery a stopped isolate left', () => {
  it('is sent by the cron trigger once its lease ends, once, with the event id /v1/events shows', async () => {
    const store = await testStore();
    const tenant = await createTenant(store, loadConfig({ NODE_ENV: 'test' }), 'edge-stopped-isolate');
    const r = edgeReceiver('https://stopped.hooks.test');
    receiver = r;
    const key = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    const created = await SELF.fetch('https://custgate.test/v1/customers', json('POST', { name: 'Left Behind' }, key));
    const customer = (await created.json()) as { id: string };
    const made = await SELF.fetch('https://custgate.test/gateway/v1/webhook_endpoints', json('POST', { url: `${r.url}/left` }, key));
    const endpoint = (await made.json()) as { id: string; secret: string };
    const canonical = await SELF.fetch(`https://custgate.test/gateway/v1/customers/${customer.id}`, { headers: key });
    const { ids } = (await canonical.json()) as { ids: { uuid: string } };

    // An isolate evicted mid-send (workerd has no kill -9) leaves its delivery row claimed: one
    // attempt counted, its lease running, nothing settled. That row, as the drain would have left it:
    // The lease is long enough that a loaded machine still runs the first cron inside it.
    const leaseMs = 3000;
    const now = Date.now();
    await env.DB.prepare(
      `insert into webhook_deliveries (endpoint_id, customer_id, version, tenant_id, type, request_id, idempotency_key, state,
         attempts, next_attempt_at, lease_owner, lease_until, last_error, created_at, updated_at)
       values (?, ?, 1, ?, 'customer.created', null, null, 'pending', 1, ?, 'stopped-isolate', ?, null, ?, ?)`,
    )
      .bind(
        endpoint.id,
        ids.uuid,
        tenant.tenant.id,
        new Date(now).toISOString(),
        new Date(now + leaseMs).toISOString(),
        new Date(now).toISOString(),
        new Date(now).toISOString(),
      )
      .run();

    // While the lease runs, no one else sends it.
    await worker.scheduled({ scheduledTime: Date.now() }, env);
    expect(r.tried).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, now + leaseMs - Date.now()) + 20));
    await worker.scheduled({ scheduledTime: Date.now() }, env);
    await worker.scheduled({ scheduledTime: Date.now() }, env);
    expect(r.received).toHaveLength(1);
    const got = r.received[0]!;
    const event = await verifiedStripeEvent(got, endpoint.secret);
    const listed = await SELF.fetch('https://custgate.test/v1/events', { headers: key });
    const events = ((await listed.json()) as { data: { id: string }[] }).data;
    expect([event.type, event.id]).toEqual(['customer.created', events[0]?.id]);
    expect((event.data.object as { name: string }).name).toBe('Left Behind');
  });
});
