import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreatedTenant, createTenant, addUpstream } from './support/registered.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit } from './support/gateway.ts';
import { type Provider, type ReplicatingGateway, replicatingGateway, startProvider } from './support/upstream.ts';

// The drain shares the main thread with the requests (src/outbox/drain-pace.ts): while another
// tenant's reads are being served it pauses after each round, yet still delivers every version of
// every customer, in order; with no request for a while it does not pause at all.

interface Delivery {
  version: number;
  state: string;
}

const customers = 12;

describe('the outbox drain while requests are served', () => {
  let provider: Provider;
  let local: ReplicatingGateway;
  let mirrored: CreatedTenant;
  let reader: CreatedTenant;
  const auth = (t: CreatedTenant) => ({ authorization: `Bearer ${t.credentials.wooshpay!.secret_key}` });

  beforeAll(async () => {
    provider = await startProvider();
    local = await replicatingGateway();
    const keyring = keyringFor(local.config, local.store.upstreams);
    mirrored = await createTenant(local.store, local.config, 'paced-mirror');
    reader = await createTenant(local.store, local.config, 'paced-reader');
    await addUpstream(local.store, keyring, mirrored.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: provider.baseUrl('wooshpay'),
      mode: 'mirror',
      credentials: provider.credentials.wooshpay,
    });
  }, 60_000);
  afterAll(async () => {
    await local?.store.executor.close();
    await provider?.process.stop();
  });

  const write = async (t: CreatedTenant, path: string, body: Record<string, unknown>) => {
    const res = await local.request(`/wooshpay/v1/customers${path}`, jsonInit('POST', body, auth(t)));
    expect(res.status).toBe(200);
    return (await res.json()) as { id: string };
  };
  const undelivered = async (ids: readonly string[]) => {
    let n = 0;
    for (const id of ids) {
      const res = await local.request(`/gateway/v1/customers/${id}/deliveries`, { headers: auth(mirrored) });
      n += ((await res.json()) as { data: Delivery[] }).data.filter((d) => d.state !== 'delivered').length;
    }
    return n;
  };
  const providerNames = async () => {
    const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers?limit=100`, {
      headers: { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}` },
    });
    return new Set(((await res.json()) as { data: { name: string }[] }).data.map((c) => c.name));
  };

  it('pauses between rounds while another tenant is read, and still delivers every version in order', { timeout: 120_000 }, async () => {
    const ids: string[] = [];
    for (let i = 0; i < customers; i++) {
      const { id } = await write(mirrored, '', { name: `Paced ${i}` });
      await write(mirrored, `/${id}`, { name: `Paced ${i} v2` });
      await write(mirrored, `/${id}`, { name: `Paced ${i} v3` });
      ids.push(id);
    }
    const mine = await write(reader, '', { name: 'Reader' });

    let reading = true;
    let reads = 0;
    const readsDone = (async () => {
      while (reading) {
        const res = await local.request(`/wooshpay/v1/customers/${mine.id}`, { headers: auth(reader) });
        expect(res.status).toBe(200);
        reads++;
        // A read from the read cache does no I/O: without a turn of the loop this one would never yield.
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    let paused = 0;
    let delivered = 0;
    const deadline = Date.now() + 90_000;
    try {
      let left = customers * 3;
      while (left > 0 && Date.now() < deadline) {
        const report = await local.dispatcher.drain();
        paused += report.paused;
        delivered += report.delivered;
        left = await undelivered(ids);
      }
      expect(left).toBe(0);
    } finally {
      reading = false;
      await readsDone;
    }
    expect(reads).toBeGreaterThan(0);
    expect(delivered).toBe(customers * 3);
    expect(paused).toBeGreaterThan(0);
    // In order: the provider holds each customer's last version, and none of the earlier ones.
    const names = await providerNames();
    for (let i = 0; i < customers; i++) {
      expect(names.has(`Paced ${i} v3`)).toBe(true);
      expect(names.has(`Paced ${i} v2`) || names.has(`Paced ${i}`)).toBe(false);
    }
  });

  it('does not pause when no request has been served for a while', { timeout: 60_000 }, async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await write(mirrored, '', { name: `Idle ${i}` })).id);
    // Past the pacing's quiet time (1 s) since the last request: the gateway is idle.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const report = await local.dispatcher.drain();
    expect(report.paused).toBe(0);
    expect(report.delivered + report.retried).toBeGreaterThan(0);
    const deadline = Date.now() + 30_000;
    while ((await undelivered(ids)) > 0 && Date.now() < deadline) await local.dispatcher.drain();
    expect(await undelivered(ids)).toBe(0);
  });
});
