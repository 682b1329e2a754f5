import { afterEach, describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { type NodeGateway, openStore, startNode } from '../src/entries/node.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { Webhooks } from '../src/webhooks/index.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { createApp, createTenant } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Receiver, startReceiver } from './support/webhook-receiver.ts';

// One bound on a Node gateway's webhook sends to one receiver (src/webhooks/dispatcher.ts): over
// Node's own transport its agent's CUSTGATE_UPSTREAM_SOCKETS, and no second one
// (CUSTGATE_WEBHOOK_CONNECTIONS does not apply); over `fetch`, which has none, the dispatcher's
// gate (CUSTGATE_WEBHOOK_CONNECTIONS). Twelve events for one slow receiver, all due in the first
// round of a real server: the receiver counts its connections and its requests in flight.

const events = 12;
let gateway: NodeGateway | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await gateway?.close();
  await receiver?.close();
  gateway = undefined;
  receiver = undefined;
});

/** A gateway serving `settings`, started once twelve events for one slow receiver are due. */
async function roundForOneReceiver(settings: Record<string, string>): Promise<Receiver> {
  const env = { ...testDatabaseEnv(), ...testEnv, CUSTGATE_LOG_LEVEL: 'silent', CUSTGATE_OUTBOX_POLL_MS: '100', ...settings };
  const store = await openStore(env);
  const config = loadConfig(env);
  // The events are recorded through an app that sends nothing, so the server's first round has them all.
  const webhooks = new Webhooks(store, keyringFor(config, store.upstreams), Object.values(dialects), {
    ...config.webhooks,
    kickAfterWrite: false,
  });
  const app = createApp({ store, config, webhooks });
  const tenant = await createTenant(store, config, 'bound');
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` };
  receiver = await startReceiver();
  receiver.delayMs = 300;
  const added = await app.request('/gateway/v1/webhook_endpoints', jsonInit('POST', { url: receiver.url }, auth));
  expect(added.status).toBe(201);
  for (let i = 0; i < events; i++) {
    const res = await app.request('/wooshpay/v1/customers', jsonInit('POST', { name: `Bound ${i}` }, auth));
    expect(res.status).toBe(200);
  }
  gateway = await startNode(env, { port: 0, hostname: '127.0.0.1', store, logger: { error: () => undefined } });
  const deadline = Date.now() + 30_000;
  while (receiver.received.length < events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(receiver.received).toHaveLength(events);
  return receiver;
}

describe('webhook sends to one receiver', () => {
  it('over the Node transport, are bounded by CUSTGATE_UPSTREAM_SOCKETS alone', async () => {
    const r = await roundForOneReceiver({ CUSTGATE_UPSTREAM_SOCKETS: '3', CUSTGATE_WEBHOOK_CONNECTIONS: '1' });
    // Past the gate's 1 (it no longer applies), never past the agent's 3, on connections kept alive.
    expect(r.maxInFlight).toBeGreaterThan(1);
    expect(r.maxInFlight).toBeLessThanOrEqual(3);
    expect(r.connections).toBeLessThanOrEqual(3);
  }, 60_000);

  it('over fetch, are bounded by CUSTGATE_WEBHOOK_CONNECTIONS', async () => {
    const r = await roundForOneReceiver({ CUSTGATE_UPSTREAM_TRANSPORT: 'fetch', CUSTGATE_WEBHOOK_CONNECTIONS: '2' });
    expect(r.maxInFlight).toBeGreaterThan(1);
    // In flight only: fetch closes a connection whose answer is discarded, so it opens one per send.
    expect(r.maxInFlight).toBeLessThanOrEqual(2);
  }, 60_000);
});
