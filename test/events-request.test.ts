import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestGateway, testGateway } from './support/gateway.ts';

// A Stripe event's `request` names the API request that made the change and its Idempotency-Key
// (https://docs.stripe.com/api/events/object#event_object-request): what a receiver pulling
// GET /v1/events matches against its own calls. It was kept only with the event's webhook
// deliveries, so a tenant without an endpoint (a test suite that pulls events) read `null` for
// every write, and the same event read differently once an endpoint was added.

let g: TestGateway;
beforeAll(async () => {
  g = await testGateway();
});
afterAll(async () => {
  await g?.store.executor.close();
});

interface StripeEvent {
  id: string;
  type: string;
  data: { object: { id: string } };
  request: { id: string | null; idempotency_key: string | null };
}

const auth = () => ({ authorization: `Bearer ${g.tenant.credentials.wooshpay?.secret_key}` });

async function write(path: string, body: Record<string, string>, idempotencyKey?: string) {
  const res = await g.request(path, {
    method: 'POST',
    headers: { ...auth(), ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body: new URLSearchParams(body),
  });
  expect(res.status).toBe(200);
  const requestId = res.headers.get('request-id');
  expect(requestId).toMatch(/^req_/);
  return { id: ((await res.json()) as { id: string }).id, requestId };
}

describe('GET /v1/events on a tenant with no webhook endpoint', () => {
  it("carries each write's request id and Idempotency-Key, in the list and by id", async () => {
    const created = await write('/v1/customers', { name: 'Jenny' }, 'order-42');
    const updated = await write(`/v1/customers/${created.id}`, { 'metadata[plan]': 'pro' });

    const list = await g.request('/v1/events?limit=10', { headers: auth() });
    expect(list.status).toBe(200);
    const events = ((await list.json()) as { data: StripeEvent[] }).data;
    expect(events.map((e) => [e.type, e.data.object.id, e.request])).toEqual([
      ['customer.updated', created.id, { id: updated.requestId, idempotency_key: null }],
      ['customer.created', created.id, { id: created.requestId, idempotency_key: 'order-42' }],
    ]);
    const one = await g.request(`/v1/events/${events[1]?.id}`, { headers: auth() });
    expect(((await one.json()) as StripeEvent).request).toEqual({ id: created.requestId, idempotency_key: 'order-42' });

    // A replay of the create (same key) is no new write and no new event.
    const replayed = await g.request('/v1/customers', {
      method: 'POST',
      headers: { ...auth(), 'idempotency-key': 'order-42' },
      body: new URLSearchParams({ name: 'Jenny' }),
    });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const again = (await (await g.request('/v1/events?limit=10', { headers: auth() })).json()) as { data: StripeEvent[] };
    expect(again.data.map((e) => e.id)).toEqual(events.map((e) => e.id));
  });
});
