import { describe, expect, it } from 'vitest';
import { drainUntil } from './support/drain-until.ts';
import { jsonInit } from './support/gateway.ts';
import { addEndpoint, createCustomer, receiver, setup } from './support/webhook-setup.ts';

// A parameter the call does not take is a 400 naming it, never read as absent: a typo in a
// webhook call (`enabled_event`, `endpointt`) did what the caller had not asked for (an endpoint
// sent every event, an event resent to every endpoint) and answered 2xx (docs/webhooks.md).

type GatewayError = { error: { code: string; message: string; issues?: { path: string[]; kind: string }[] } };

describe("the gateway's webhook API refuses a parameter it does not take", () => {
  it('a create with a misspelt enabled_events is a 400 naming it, and no endpoint is made', async () => {
    const s = await setup();
    const res = await s.request(
      '/gateway/v1/webhook_endpoints',
      jsonInit('POST', { url: 'https://example.com/hooks', enabled_event: ['customer.updated'] }, s.auth()),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as GatewayError;
    expect(body.error).toMatchObject({ code: 'invalid_request', issues: [{ path: ['enabled_event'], kind: 'unknown' }] });
    expect(body.error.message).toMatch(/enabled_event.*takes url, format, dialect, enabled_events/);
    expect(await s.webhooks.repo.endpoints(s.tenant.tenant.id)).toEqual([]);
  });

  it("Stripe's resource: a create with a parameter Stripe's create does not take is Stripe's 400, and no endpoint is made", async () => {
    const s = await setup();
    const form = new URLSearchParams({ url: 'https://example.com/hooks', 'enabled_event[]': 'customer.updated' });
    const res = await s.request('/v1/webhook_endpoints', { method: 'POST', headers: s.auth(), body: form });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { type: 'invalid_request_error', message: 'Received unknown parameter: enabled_event', param: 'enabled_event' },
    });
    expect(await s.webhooks.repo.endpoints(s.tenant.tenant.id)).toEqual([]);
  });

  it('a roll with a misspelt expires_in_seconds is a 400, and the secret stays', async () => {
    const s = await setup();
    const made = await addEndpoint(s, { url: 'https://example.com/hooks' });
    const res = await s.request(`/gateway/v1/webhook_endpoints/${made.id}/roll_secret`, jsonInit('POST', { expires: 60 }, s.auth()));
    expect(res.status).toBe(400);
    expect(((await res.json()) as GatewayError).error.issues?.[0]?.path).toEqual(['expires']);
    const [row] = await s.webhooks.repo.endpoints(s.tenant.tenant.id);
    expect(row?.previous_until ?? null).toBeNull();
  });

  it('a resend with a misspelt endpoint is a 400, and nothing is queued again for any endpoint', async () => {
    const s = await setup();
    const [a, b] = [await receiver(), await receiver()];
    const first = await addEndpoint(s, { url: a.url });
    await addEndpoint(s, { url: b.url });
    await createCustomer(s);
    await drainUntil(s.webhooks.dispatcher, () => a.received.length >= 1 && b.received.length >= 1);
    const events = (await (await s.request('/v1/events', { headers: s.auth() })).json()) as { data: { id: string }[] };
    const event = events.data[0]!.id;

    const res = await s.request(`/gateway/v1/events/${event}/resend`, jsonInit('POST', { endpointt: first.id }, s.auth()));
    expect(res.status).toBe(400);
    expect(((await res.json()) as GatewayError).error.issues?.[0]).toMatchObject({ path: ['endpointt'], kind: 'unknown' });
    await s.webhooks.dispatcher.drain();
    expect([a.received.length, b.received.length]).toEqual([1, 1]);

    // Spelt right, it goes to that endpoint only.
    const resent = await s.request(`/gateway/v1/events/${event}/resend`, jsonInit('POST', { endpoint: first.id }, s.auth()));
    expect(await resent.json()).toMatchObject({ resent: 1 });
  });
});
