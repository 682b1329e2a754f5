import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { type Webhooks, webhooksFor } from '../src/webhooks/index.ts';
import type { Dispatcher } from '../src/outbox/dispatcher.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { addUpstream, type CreatedTenant, createApp, createTenant, replicationFor } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';
import { type Receiver, startReceiver } from './support/webhook-receiver.ts';

// The webhook queue keeps the gateway's one pace, as the outbox does (src/outbox/drain-pace.ts,
// CUSTGATE_OUTBOX_SHARE): while another tenant is being read it pauses after its rounds and still
// sends every event, in order per customer; after a quiet second it does not pause. The events
// of writes made meanwhile are the steady flow, never held back (ArrivalCredit): only a backlog is. With both
// queues draining at once, each report counts its own drain's pauses, not the other's.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the webhook queue while requests are served', () => {
  let store: Store;
  let request: (path: string, init?: RequestInit) => Promise<Response>;
  let webhooks: Webhooks;
  let outbox: Dispatcher;
  let receiver: Receiver;
  let provider: Provider;
  let hooked: CreatedTenant;
  let mirrored: CreatedTenant;
  let reader: CreatedTenant;
  let readerCustomer: string;
  const auth = (t: CreatedTenant) => ({ authorization: `Bearer ${t.credentials.wooshpay!.secret_key}` });

  beforeAll(async () => {
    [provider, receiver] = await Promise.all([startProvider(), startReceiver()]);
    const env = { ...testDatabaseEnv(), ...testEnv };
    store = await openStore(env);
    const config = loadConfig(env);
    const logger = { error: () => undefined };
    const replication = replicationFor(store, config, { logger });
    // Built as node.ts builds them: both queues keep the outbox dispatcher's pace.
    webhooks = webhooksFor(store, config, Object.values(dialects), { logger, kickAfterWrite: false, pace: replication.dispatcher.pace });
    outbox = replication.dispatcher;
    const app = createApp({ store, config, logger, webhooks, replication: { ...replication, drainAfterWrite: false } });
    request = async (path, init) => app.request(path, init);
    hooked = await createTenant(store, config, 'paced-hooks');
    mirrored = await createTenant(store, config, 'paced-mirror');
    reader = await createTenant(store, config, 'paced-reader');
    await addUpstream(store, keyringFor(config, store.upstreams), mirrored.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: provider.baseUrl('wooshpay'),
      mode: 'mirror',
      credentials: provider.credentials.wooshpay,
    });
    const endpoint = await request('/gateway/v1/webhook_endpoints', jsonInit('POST', { url: receiver.url }, auth(hooked)));
    expect(endpoint.status).toBe(201);
    readerCustomer = (await write(reader, '', { name: 'Reader' })).id;
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await store?.executor.close();
    await provider?.process.stop();
  });

  async function write(t: CreatedTenant, path: string, body: Record<string, unknown>): Promise<{ id: string }> {
    const res = await request(`/wooshpay/v1/customers${path}`, jsonInit('POST', body, auth(t)));
    expect(res.status).toBe(200);
    return (await res.json()) as { id: string };
  }

  /** `versions` versions of `customers` new customers of `t`, named `<prefix> <c> v<v>`; their ids. */
  async function history(t: CreatedTenant, prefix: string, customers: number, versions: number): Promise<string[]> {
    const ids: string[] = [];
    for (let c = 0; c < customers; c++) ids.push((await write(t, '', { name: `${prefix} ${c} v1` })).id);
    for (let v = 2; v <= versions; v++) for (const [c, id] of ids.entries()) await write(t, `/${id}`, { name: `${prefix} ${c} v${v}` });
    return ids;
  }

  /** The names the receiver got for each customer of `ids`, in the order they arrived. */
  const namesReceived = (ids: readonly string[]) => {
    const events = receiver.received.map((r) => (JSON.parse(r.body) as { data: { object: { id: string; name: string } } }).data.object);
    return ids.map((id) => events.filter((e) => e.id === id).map((e) => e.name));
  };
  const expectInOrder = (prefix: string, ids: readonly string[], versions: number) =>
    expect(namesReceived(ids)).toEqual(ids.map((_, c) => Array.from({ length: versions }, (_, v) => `${prefix} ${c} v${v + 1}`)));

  /** Reads another tenant's customer back to back until `work` ends; the reads made. */
  async function whileReading<T>(work: () => Promise<T>): Promise<{ result: T; reads: number }> {
    let reading = true;
    let reads = 0;
    const readsDone = (async () => {
      while (reading) {
        const res = await request(`/wooshpay/v1/customers/${readerCustomer}`, { headers: auth(reader) });
        expect(res.status).toBe(200);
        reads++;
        // A read from the read cache does no I/O: without a turn of the loop this one would never yield.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      return { result: await work(), reads };
    } finally {
      reading = false;
      await readsDone;
    }
  }

  it('pauses between rounds while another tenant is read, and still sends every event in order', { timeout: 120_000 }, async () => {
    const customers = 4;
    const versions = 6;
    const ids = await history(hooked, 'Hooked', customers, versions);
    // A backlog: queued more than a second before its drain, so none of it is the steady flow.
    await sleep(1_200);
    const { result, reads } = await whileReading(async () => {
      let paused = 0;
      const deadline = Date.now() + 90_000;
      while (receiver.received.length < customers * versions && Date.now() < deadline) paused += (await webhooks.dispatcher.drain()).paused;
      return paused;
    });
    expect(reads).toBeGreaterThan(0);
    expect(result).toBeGreaterThan(0);
    expectInOrder('Hooked', ids, versions);
    expect(await webhooks.repo.pendingCount()).toBe(0);
  });

  it('keeps up with the events of writes made while requests are served: the flow is not paused', { timeout: 60_000 }, async () => {
    receiver.received.length = 0;
    const [id] = await history(hooked, 'Flow', 1, 1);
    await webhooks.dispatcher.drain();
    const { result } = await whileReading(async () => {
      let paused = 0;
      // Each write's event drained after it, as a write's kick does on the server.
      for (let v = 2; v <= 12; v++) {
        await write(hooked, `/${id}`, { name: `Flow 0 v${v}` });
        paused += (await webhooks.dispatcher.drain()).paused;
      }
      return paused;
    });
    expect(result).toBe(0);
    const deadline = Date.now() + 30_000;
    while (receiver.received.length < 12 && Date.now() < deadline) await webhooks.dispatcher.drain();
    expectInOrder('Flow', [id!], 12);
  });

  it('does not pause when no request has been served for a while', { timeout: 60_000 }, async () => {
    receiver.received.length = 0;
    const ids = await history(hooked, 'Idle', 3, 2);
    // Past the pace's quiet time (1 s) since the last request: the gateway is idle.
    await sleep(1_200);
    const report = await webhooks.dispatcher.drain();
    expect(report.paused).toBe(0);
    const deadline = Date.now() + 30_000;
    while (receiver.received.length < 6 && Date.now() < deadline) await webhooks.dispatcher.drain();
    expectInOrder('Idle', ids, 2);
  });

  it('counts in each report only its own drain’s pauses when both queues drain at once', { timeout: 120_000 }, async () => {
    receiver.received.length = 0;
    const hooks = await history(hooked, 'Both', 4, 8);
    // One customer's versions: the outbox sends them one per round, so its rounds are its rows.
    await history(mirrored, 'Mirrored', 1, 4);
    const { result } = await whileReading(() => Promise.all([outbox.drain(), webhooks.dispatcher.drain()]));
    const [mirror, hooksReport] = result;
    // Every round the outbox ran sent at least one of its rows, and a round pauses at most once.
    expect(mirror.paused).toBeLessThanOrEqual(mirror.delivered + mirror.retried + mirror.held + mirror.dead);
    expect(mirror.paused + hooksReport.paused).toBeGreaterThan(0);
    const deadline = Date.now() + 60_000;
    while (receiver.received.length < hooks.length * 8 && Date.now() < deadline) await webhooks.dispatcher.drain();
    expectInOrder('Both', hooks, 8);
  });
});
