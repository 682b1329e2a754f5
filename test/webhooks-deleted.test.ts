import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { dialects, fixturesOf, registry } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { loadConfig } from '../src/config.ts';
import { mintToken, reissueCredentials } from '../src/gateway/tenants.ts';
import { drainUntil } from './support/drain-until.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { addEndpoint, createCustomer, receiver, setup, stripeEventOf } from './support/webhook-setup.ts';

// #28: a delete is an event like any other change (`customer.deleted`, Stripe's type, carrying the
// customer as it was: https://docs.stripe.com/api/events/types#event_types-customer.deleted), sent
// only to the endpoints that asked for it; a reset tenant's events are no longer sent; and the
// event list keeps test and live mode apart, as Stripe does (https://docs.stripe.com/keys#test-live-modes).

type Named = keyof typeof dialects;
const nameIn = (dialect: string, object: Record<string, unknown>) => fixturesOf(dialects[dialect as Named]).name(object);

describe('customer.deleted', () => {
  it('a delete through each dialect that has one: exactly one signed customer.deleted per subscribed endpoint, in its format and dialect', async () => {
    const s = await setup();
    const r = await receiver();
    const deleted = ['customer.deleted'];
    const targets = [
      { ...(await addEndpoint(s, { url: `${r.url}/wooshpay`, enabled_events: deleted })), path: '/hooks/wooshpay' },
      { ...(await addEndpoint(s, { url: `${r.url}/connhex`, dialect: 'connhex', enabled_events: deleted })), path: '/hooks/connhex' },
      { ...(await addEndpoint(s, { url: `${r.url}/meteroid`, format: 'standard', enabled_events: deleted })), path: '/hooks/meteroid' },
      {
        ...(await addEndpoint(s, { url: `${r.url}/zenskar`, format: 'standard', dialect: 'zenskar', enabled_events: deleted })),
        path: '/hooks/zenskar',
      },
    ];
    // Subscribed to the other types only: it hears the creates, never a delete.
    await addEndpoint(s, { url: `${r.url}/changes`, enabled_events: ['customer.created', 'customer.updated'] });
    const connhexDeleter = await mintToken(s.store, loadConfig(testEnv), s.tenant.tenant, dialects.connhex, {
      permissions: ['pay:customers:get', 'pay:customers:delete'],
    });
    const entries: Readonly<Record<string, { readonly dialect: AnyDialect }>> = registry;
    const withDelete = Object.entries(entries).filter(([, entry]) => entry.dialect.wire.delete);
    expect(withDelete.map(([name]) => name).sort()).toEqual(['bigcapital', 'connhex', 'meteroid', 'wooshpay']);
    const ids: string[] = [];
    for (const [name, entry] of withDelete) {
      const { id } = await createCustomer(s, { name: `Gone via ${name}`, email: `${name}@example.com` });
      ids.push(id);
      const canonical = (await (await s.request(`/gateway/v1/customers/${id}`, { headers: s.auth() })).json()) as {
        ids: { uuid: string; public_id: string; number: number };
      };
      await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 1);
      expect(r.received.map((x) => x.path)).toEqual(['/hooks/changes']);
      r.received.length = 0;

      const f = fixturesOf(entry.dialect);
      const auth = name === 'connhex' ? { authorization: `Bearer ${connhexDeleter}` } : f.auth(s.tenant.credentials[name]!);
      const res = await s.request(`${entry.dialect.routes.prefix}${entry.dialect.routes.collection}/${f.ref(canonical.ids)}`, {
        method: 'DELETE',
        headers: auth,
      });
      expect(res.status, name).toBeLessThan(300);
      await drainUntil(s.webhooks.dispatcher, () => r.received.length >= targets.length);
      expect(r.received.map((x) => x.path).sort(), name).toEqual(targets.map((t) => t.path).sort());
      for (const got of r.received) {
        const target = targets.find((t) => t.path === got.path)!;
        if (target.format === 'stripe') {
          const event = stripeEventOf(got, target.secret);
          expect(event.type).toBe('customer.deleted');
          // The whole customer as it was, in the endpoint's dialect; nothing "previous" to list.
          const object = event.data.object as unknown as Record<string, unknown>;
          expect(object.id).toBe(id);
          expect(nameIn(target.dialect, object), `${name} -> ${target.dialect}`).toBe(`Gone via ${name}`);
          expect(event.data.previous_attributes).toBeUndefined();
        } else {
          const payload = new Webhook(target.secret).verify(got.body, got.headers) as { type: string; data: Record<string, unknown> };
          expect(payload.type).toBe('customer.deleted');
          expect(nameIn(target.dialect, payload.data), `${name} -> ${target.dialect}`).toBe(`Gone via ${name}`);
        }
      }
      // A second delete (answered as the provider answers it) writes nothing and sends nothing.
      r.received.length = 0;
      await s.request(`${entry.dialect.routes.prefix}${entry.dialect.routes.collection}/${f.ref(canonical.ids)}`, {
        method: 'DELETE',
        headers: auth,
      });
      await s.webhooks.dispatcher.drain();
      expect(r.received, name).toEqual([]);
    }

    // Listed among the events to pull, by type, and read one by one.
    const listed = (await (await s.request('/v1/events?type=customer.deleted&limit=10', { headers: s.auth() })).json()) as {
      data: { id: string; type: string; data: { object: { id: string } } }[];
    };
    expect(listed.data.map((e) => e.type)).toEqual(Array(ids.length).fill('customer.deleted'));
    expect(listed.data.map((e) => e.data.object.id).sort()).toEqual([...ids].sort());
    const one = await s.request(`/v1/events/${listed.data[0]!.id}`, { headers: s.auth() });
    expect(await one.json()).toMatchObject({ id: listed.data[0]!.id, type: 'customer.deleted' });
    const all = (await (await s.request('/v1/events?limit=100', { headers: s.auth() })).json()) as { data: { type: string }[] };
    expect(all.data.filter((e) => e.type === 'customer.deleted')).toHaveLength(ids.length);
    expect(all.data.filter((e) => e.type === 'customer.created')).toHaveLength(ids.length);
  });

  it('an endpoint can subscribe to customer.deleted through the Stripe shape; an unknown type is still refused', async () => {
    const s = await setup();
    const r = await receiver();
    const made = await s.request('/v1/webhook_endpoints', jsonInit('POST', { url: r.url, enabled_events: ['customer.deleted'] }, s.auth()));
    expect(made.status).toBe(200);
    expect(await made.json()).toMatchObject({ enabled_events: ['customer.deleted'] });
    const refused = await s.request(
      '/v1/webhook_endpoints',
      jsonInit('POST', { url: r.url, enabled_events: ['customer.exploded'] }, s.auth()),
    );
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});

describe('a reset tenant', () => {
  it('has its undelivered events dropped, not sent; its endpoints stay; another tenant is untouched', async () => {
    const s = await setup();
    const r = await receiver();
    const ours = await addEndpoint(s, { url: `${r.url}/ours` });
    const theirs = await addEndpoint(s, { url: `${r.url}/theirs` }, s.other);
    r.status = 503;
    await createCustomer(s, { name: 'Before reset' });
    const otherRes = await s.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Theirs' }, s.auth(s.other)));
    expect(otherRes.status).toBe(200);
    expect(await s.webhooks.dispatcher.drain()).toMatchObject({ delivered: 0 });

    const reset = await s.request('/gateway/v1/reset', { method: 'POST', headers: s.auth() });
    expect(reset.status).toBe(200);
    r.status = 200;
    r.received.length = 0;
    // Drained until nothing waits (the failed deliveries wait a backoff of a few ms first).
    const deadline = Date.now() + 10_000;
    while ((await s.webhooks.repo.pendingCount()) > 0 && Date.now() < deadline) {
      await s.webhooks.dispatcher.drain();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(r.received.map((x) => x.path)).toEqual(['/hooks/theirs']);
    expect((stripeEventOf(r.received[0]!, theirs.secret).data.object as { name: string }).name).toBe('Theirs');
    const attempts = (await (await s.request(`/gateway/v1/webhook_endpoints/${ours.id}/attempts`, { headers: s.auth() })).json()) as {
      data: unknown[];
    };
    expect(attempts.data).toEqual([]);

    // The endpoint stays and hears what comes after the reset.
    r.received.length = 0;
    await createCustomer(s, { name: 'After reset' });
    await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 1);
    expect(r.received.map((x) => (stripeEventOf(x, ours.secret).data.object as { name: string }).name)).toEqual(['After reset']);
  });
});

describe('GET /v1/events by key mode', () => {
  it('a test key lists and reads only test-mode events, a live key only live-mode ones', async () => {
    const s = await setup();
    const live = await reissueCredentials(s.store, loadConfig(testEnv), s.tenant.tenant, dialects.wooshpay, { livemode: true });
    const liveAuth = { authorization: `Bearer ${live.secret_key}` };
    const testCustomer = await createCustomer(s, { name: 'Test mode' });
    const made = await s.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Live mode' }, liveAuth));
    expect(made.status).toBe(200);
    const liveCustomer = (await made.json()) as { id: string };

    type Listed = { data: { id: string; livemode: boolean; data: { object: { id: string } } }[] };
    const asTest = (await (await s.request('/v1/events', { headers: s.auth() })).json()) as Listed;
    const asLive = (await (await s.request('/v1/events', { headers: liveAuth })).json()) as Listed;
    expect(asTest.data.map((e) => [e.data.object.id, e.livemode])).toEqual([[testCustomer.id, false]]);
    expect(asLive.data.map((e) => [e.data.object.id, e.livemode])).toEqual([[liveCustomer.id, true]]);

    const liveEvent = asLive.data[0]!.id;
    const crossed = await s.request(`/v1/events/${liveEvent}`, { headers: s.auth() });
    expect(crossed.status).toBe(404);
    expect(await crossed.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect((await s.request(`/v1/events/${asTest.data[0]!.id}`, { headers: liveAuth })).status).toBe(404);
    expect((await s.request(`/v1/events/${liveEvent}`, { headers: liveAuth })).status).toBe(200);
    // A cursor from the other mode does not open its events either: it is no cursor, as a made-up id
    // is not (the same 400), so it does not tell that the event exists (test/stripe-list-cursor-missing).
    const paged = await s.request(`/v1/events?starting_after=${liveEvent}`, { headers: s.auth() });
    expect(paged.status).toBe(400);
    expect(await paged.json()).toMatchObject({ error: { code: 'resource_missing', param: 'starting_after' } });
  });
});
