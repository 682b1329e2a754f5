import { describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { WebhookDispatcher } from '../src/webhooks/index.ts';
import { testEnv } from './support/gateway.ts';
import { addEndpoint, createCustomer, receiver, setup, stripeEventOf, update } from './support/webhook-setup.ts';

// Delivery in rounds (src/webhooks/dispatcher.ts): each round's rows leased in one statement and
// settled in one commit, several rounds in flight, a bounded number of sends per receiver. Two
// dispatchers share one database, as two processes would: every event still arrives once, in
// order per customer, and no receiver gets more requests at once than the dispatchers allow.

describe('webhook delivery in rounds', () => {
  it('two dispatchers, small rounds, two in flight each: every event once, in order per customer, at most the connection bound at once', async () => {
    const s = await setup();
    const r = await receiver();
    r.delayMs = 40;
    const endpoint = await addEndpoint(s, { url: r.url });
    const customers: string[] = [];
    // Only a customer's earliest pending version is due, so eight customers make rounds of six.
    for (let c = 0; c < 8; c++) customers.push((await createCustomer(s, { name: `c${c} v1` })).id);
    for (let v = 2; v <= 3; v++) for (const [c, id] of customers.entries()) await update(s, id, { name: `c${c} v${v}` });
    const events = customers.length * 3;

    const config = loadConfig(testEnv);
    const dispatcher = () =>
      new WebhookDispatcher({
        ...config.webhooks,
        store: s.store,
        webhooks: s.webhooks.repo,
        keyring: keyringFor(config, s.store.upstreams),
        dialects: Object.values(dialects),
        roundSize: 6,
        roundsInFlight: 2,
        connectionsPerOrigin: 2,
      });
    const both = [dispatcher(), dispatcher()];
    const deadline = Date.now() + 20_000;
    while (r.received.length < events && Date.now() < deadline) await Promise.all(both.map((d) => d.drain()));

    const sent = r.received.map((x) => stripeEventOf(x, endpoint.secret));
    // Once each: a leased row is no other round's, in this process or the other.
    expect(sent).toHaveLength(events);
    expect(new Set(sent.map((e) => e.id)).size).toBe(events);
    for (const [c, id] of customers.entries()) {
      const names = sent.filter((e) => (e.data.object as { id: string }).id === id).map((e) => (e.data.object as { name: string }).name);
      expect(names).toEqual([1, 2, 3].map((v) => `c${c} v${v}`));
    }
    // Two dispatchers, each with at most two sends to this origin at once.
    expect(r.maxInFlight).toBeGreaterThan(1);
    expect(r.maxInFlight).toBeLessThanOrEqual(4);

    // Each event's attempt is logged and its row settled, in the rounds' single commits.
    const attempts = (await (await s.request(`/gateway/v1/webhook_endpoints/${endpoint.id}/attempts`, { headers: s.auth() })).json()) as {
      data: { event: string; status: number }[];
    };
    expect(
      attempts.data
        .filter((a) => a.status === 200)
        .map((a) => a.event)
        .sort(),
    ).toEqual(sent.map((e) => e.id).sort());
    expect(await s.webhooks.repo.pendingCount()).toBe(0);
  });
});
