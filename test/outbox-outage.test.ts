import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreatedTenant, createTenant, addUpstream } from './support/registered.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit } from './support/gateway.ts';
import { type Provider, type ReplicatingGateway, replicatingGateway, startProvider, switchableProxy } from './support/upstream.ts';

// A mirror whose provider is down (its host refuses connections) while a backlog waits: the
// dispatcher holds that upstream after one failed round and defers its deliveries instead of
// leasing and failing them a round at a time, so it sends a handful of requests, not one per
// delivery; another tenant's mirror to a healthy provider keeps delivering, and a third tenant's
// reads and writes are served meanwhile. When the provider is back, every delivery goes, in order,
// and each counted attempt is a request that was really sent.

interface Delivery {
  version: number;
  state: string;
  attempts: number;
}

const customers = Number(process.env.CUSTGATE_OUTAGE_CUSTOMERS ?? 40);
// Long enough for a few holds to run out and be probed again (250–500 ms, then doubling).
const outageMs = Number(process.env.CUSTGATE_OUTAGE_MS ?? 2_000);

describe('a mirror whose provider is down, with a backlog', () => {
  let provider: Provider;
  let proxy: Awaited<ReturnType<typeof switchableProxy>>;
  let local: ReplicatingGateway;
  let down: CreatedTenant;
  let healthy: CreatedTenant;
  let reader: CreatedTenant;
  const auth = (t: CreatedTenant) => ({ authorization: `Bearer ${t.credentials.wooshpay!.secret_key}` });
  const providerAuth = () => ({ authorization: `Bearer ${provider.credentials.wooshpay.secret_key}` });

  beforeAll(async () => {
    provider = await startProvider();
    proxy = await switchableProxy(provider.base);
    local = await replicatingGateway();
    const keyring = keyringFor(local.config, local.store.upstreams);
    down = await createTenant(local.store, local.config, 'mirror-down');
    healthy = await createTenant(local.store, local.config, 'mirror-healthy');
    reader = await createTenant(local.store, local.config, 'reader');
    for (const [tenant, baseUrl] of [
      [down, `${proxy.url}/wooshpay`],
      [healthy, provider.baseUrl('wooshpay')],
    ] as const) {
      await addUpstream(local.store, keyring, tenant.tenant.id, {
        dialect: 'wooshpay',
        baseUrl,
        mode: 'mirror',
        credentials: provider.credentials.wooshpay,
      });
    }
  }, 60_000);
  afterAll(async () => {
    await local?.store.executor.close();
    await proxy?.close();
    await provider?.process.stop();
  });

  const write = async (t: CreatedTenant, path: string, body: Record<string, unknown>) => {
    const res = await local.request(`/wooshpay/v1/customers${path}`, jsonInit('POST', body, auth(t)));
    expect(res.status).toBe(200);
    return (await res.json()) as { id: string; name: string };
  };
  const deliveries = async (t: CreatedTenant, id: string) => {
    const res = await local.request(`/gateway/v1/customers/${id}/deliveries`, { headers: auth(t) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: Delivery[] }).data;
  };
  const sentTo = (base: string) => local.sent.filter((s) => s.url.startsWith(base)).length;

  it('holds the down upstream (a few requests, not one per delivery), serves other tenants, and delivers all in order once it is back', {
    timeout: 120_000,
  }, async () => {
    proxy.down();
    const ids: string[] = [];
    for (let i = 0; i < customers; i++) {
      const { id } = await write(down, '', { name: `Backlog ${i}`, email: `backlog${i}@example.com` });
      await write(down, `/${id}`, { name: `Backlog ${i} v2` });
      ids.push(id);
    }
    const pending = customers * 2;
    const healthyIds: string[] = [];
    for (let i = 0; i < 5; i++) healthyIds.push((await write(healthy, '', { name: `Healthy ${i}` })).id);
    const mine = await write(reader, '', { name: 'Reader' });

    // Drains back to back for the outage (as the poll and each write's kick would), while the
    // third tenant reads and writes.
    const until = Date.now() + outageMs;
    let served = 0;
    const drains = (async () => {
      while (Date.now() < until) {
        await local.dispatcher.drain({ deadline: until });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    while (Date.now() < until) {
      const read = await local.request(`/wooshpay/v1/customers/${mine.id}`, { headers: auth(reader) });
      expect(read.status).toBe(200);
      await write(reader, `/${mine.id}`, { metadata: { served: String(served) } });
      served++;
    }
    await drains;
    expect(served).toBeGreaterThan(0);

    // Without the hold every pending delivery is leased and sent at least once (a round of 8 after
    // another); with it, one round (at most the dispatcher's 8) per hold that ran out: holds of at
    // least 250, 500 and 1,000 ms, so in 2 s the first round and three more at most.
    const probes = sentTo(proxy.url);
    expect(probes).toBeGreaterThan(0);
    expect(probes).toBeLessThanOrEqual(8 * (1 + Math.floor(Math.log2(outageMs / 250 + 1))));
    expect(probes).toBeLessThan(pending / 2);
    // The healthy upstream delivers everything while the other is still down (a loaded machine may
    // need more drains than the window held).
    const healthyBy = Date.now() + 30_000;
    const undelivered = async () => {
      let n = 0;
      for (const id of healthyIds) n += (await deliveries(healthy, id)).filter((d) => d.state !== 'delivered').length;
      return n;
    };
    while ((await undelivered()) > 0 && Date.now() < healthyBy) await local.dispatcher.drain();
    expect(await undelivered()).toBe(0);

    proxy.up();
    const deadline = Date.now() + 60_000;
    let left = pending;
    while (left > 0 && Date.now() < deadline) {
      await local.dispatcher.drain();
      left = 0;
      for (const id of ids) left += (await deliveries(down, id)).filter((d) => d.state !== 'delivered').length;
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(left).toBe(0);

    // Every attempt counted is a request sent: deferred or put-back deliveries counted none.
    let attempts = 0;
    for (const id of ids) attempts += (await deliveries(down, id)).reduce((n, d) => n + d.attempts, 0);
    expect(attempts).toBe(sentTo(proxy.url));
    // In order: each customer's last version is what the provider holds.
    const list = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers?limit=100`, { headers: providerAuth() });
    expect(list.status).toBe(200);
    const names = ((await list.json()) as { data: { name: string }[] }).data.map((c) => c.name);
    for (let i = 0; i < customers; i++) expect(names).toContain(`Backlog ${i} v2`);
    expect(names.filter((n) => n.startsWith('Backlog ')).length).toBe(customers);
  });
});
