import { describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { WebhookDispatcher } from '../src/webhooks/index.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { addEndpoint, createCustomer, receiver, setup, stripeEventOf } from './support/webhook-setup.ts';

// An endpoint that answers 503 to everything while events queue up: after one failed round the
// dispatcher holds it and defers its deliveries (src/outbox/drain-loop.ts) instead of sending them
// all and failing each, so it gets a few requests, not one per event; another tenant's endpoint
// keeps receiving. Once it answers again every event arrives once, and each logged attempt is a
// request it really got.

const events = Number(process.env.CUSTGATE_OUTAGE_CUSTOMERS ?? 40);
const outageMs = Number(process.env.CUSTGATE_OUTAGE_MS ?? 1_500);

describe('a webhook endpoint that is down, with events queued', () => {
  it('holds it (a few requests, not one per event), another endpoint keeps receiving, and all arrive once it is back', {
    timeout: 60_000,
  }, async () => {
    const s = await setup();
    const down = await receiver();
    const up = await receiver();
    down.status = 503;
    const endpoint = await addEndpoint(s, { url: down.url });
    await addEndpoint(s, { url: up.url }, s.other);
    const ids: string[] = [];
    for (let i = 0; i < events; i++) ids.push((await createCustomer(s, { name: `Queued ${i}` })).id);
    for (let i = 0; i < 3; i++) {
      const res = await s.request('/wooshpay/v1/customers', jsonInit('POST', { name: `Other ${i}` }, s.auth(s.other)));
      expect(res.status).toBe(200);
    }

    const config = loadConfig(testEnv);
    // Rounds of 8, backoff from 500 ms: the hold's first three runs take at least 250, 500, 1,000 ms.
    const dispatcher = new WebhookDispatcher({
      ...config.webhooks,
      baseDelayMs: 500,
      store: s.store,
      webhooks: s.webhooks.repo,
      keyring: keyringFor(config, s.store.upstreams),
      dialects: Object.values(dialects),
      roundSize: 8,
      roundsInFlight: 1,
    });
    const until = Date.now() + outageMs;
    while (Date.now() < until) {
      await dispatcher.drain({ deadline: until });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const attempts = async () =>
      (
        (await (await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}/attempts`, { headers: s.auth() })).json()) as {
          data: { status: number | null }[];
        }
      ).data;
    const failed = (await attempts()).length;
    expect(failed).toBeGreaterThan(0);
    // Without the hold every queued event is sent and fails at least once.
    expect(failed).toBeLessThanOrEqual(8 * (1 + Math.floor(Math.log2(outageMs / 250 + 1))));
    expect(failed).toBeLessThan(events);
    // The other endpoint receives everything while this one is still down (a loaded machine may
    // need more drains than the window held).
    const upBy = Date.now() + 30_000;
    while (up.received.length < 3 && Date.now() < upBy) await dispatcher.drain();
    expect(up.received).toHaveLength(3);

    down.status = 200;
    const deadline = Date.now() + 30_000;
    while (down.received.length < events && Date.now() < deadline) {
      await dispatcher.drain();
      if (down.received.length < events) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const sent = down.received.map((x) => (stripeEventOf(x, endpoint.secret).data.object as { id: string }).id);
    expect(sent.toSorted()).toEqual(ids.toSorted());
    // Every attempt logged is a request the endpoint got: held rows were put back unsent.
    const logged = await attempts();
    const refused = logged.filter((a) => a.status === 503).length;
    expect(refused).toBeGreaterThanOrEqual(failed);
    expect(logged).toHaveLength(refused + events);
  });
});
