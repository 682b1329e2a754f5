import { describe, expect, it } from 'vitest';
import { jsonInit } from './support/gateway.ts';
import { addEndpoint, createCustomer, receiver, setup, stripeEventOf } from './support/webhook-setup.ts';

// An endpoint whose round failed is held for the backoff, up to an hour, and its deliveries wait
// unsent (docs/operations.md, "When a provider is down"). A developer who fixed their receiver and
// says so, by enabling the endpoint, changing its URL or resending an event to it, had the events
// of new writes and the resent one wait for the rest of that hold all the same. Each of those
// releases the hold now; the backoff is ten minutes here, so a delivery drained at once is one the
// hold let through.

const held = async () => {
  const s = await setup({ CUSTGATE_WEBHOOK_BASE_DELAY_MS: '600000' });
  const hooks = await receiver();
  hooks.status = 503;
  const endpoint = await addEndpoint(s, { url: hooks.url });
  const first = await createCustomer(s, { name: 'While down' });
  await s.webhooks.dispatcher.drain();
  expect(s.logged.map((l) => l.event)).toContain('webhook_endpoint_held');
  // The receiver is back; a new write's event is held with the rest, as documented.
  hooks.status = 200;
  const second = await createCustomer(s, { name: 'Once back' });
  await s.webhooks.dispatcher.drain();
  expect(hooks.received).toHaveLength(0);
  const names = () => hooks.received.map((r) => (stripeEventOf(r, endpoint.secret).data.object as { name: string }).name);
  return { s, hooks, endpoint, first, second, names };
};

describe('a held webhook endpoint', () => {
  it('is released by enable: what waited is sent at once', async () => {
    const { s, endpoint, names } = await held();
    const res = await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}/enable`, { method: 'POST', headers: s.auth() });
    expect(res.status).toBe(200);
    await s.webhooks.dispatcher.drain();
    // Two customers: the order between them is not promised (docs/webhooks.md promises it per
    // customer), and PostgreSQL sent 'Once back' first (due since its write, where the released
    // delivery is due from the release).
    expect(names().sort()).toEqual(['Once back', 'While down']);
  });

  it('is released by a new URL (Stripe update)', async () => {
    const { s, endpoint } = await held();
    const moved = await receiver();
    const res = await s.request(`/v1/webhook_endpoints/${endpoint.id}`, jsonInit('POST', { url: moved.url }, s.auth()));
    expect(res.status).toBe(200);
    await s.webhooks.dispatcher.drain();
    expect(moved.received).toHaveLength(2);
  });

  // A suite that resets between tests: the reset empties the endpoint's deliveries, and its hold,
  // which was about them, goes with them (docs/dev-server.md, Reset).
  it('is released by a reset of its tenant through the server: the next write is sent at once', async () => {
    const { s, names } = await held();
    expect((await s.request('/gateway/v1/reset', { method: 'POST', headers: s.auth() })).status).toBe(200);
    await createCustomer(s, { name: 'After the reset' });
    await s.webhooks.dispatcher.drain();
    expect(names()).toEqual(['After the reset']);
  });

  it('is released by a resend to it: the resent event is sent at once', async () => {
    const { s, endpoint, second, names } = await held();
    const events = (await (await s.request('/v1/events', { headers: s.auth() })).json()) as {
      data: { id: string; data: { object: { id: string } } }[];
    };
    const event = events.data.find((e) => e.data.object.id === second.id)!;
    const res = await s.request(`/gateway/v1/events/${event.id}/resend`, jsonInit('POST', { endpoint: endpoint.id }, s.auth()));
    expect(res.status).toBe(200);
    await s.webhooks.dispatcher.drain();
    expect(names()).toContain('Once back');
  });
});
