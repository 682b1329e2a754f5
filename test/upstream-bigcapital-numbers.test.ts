import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { processHolder } from '../src/upstream/process-holder.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit } from './support/gateway.ts';
import { addUpstream, createApp, createTenant, type GatewayApp } from './support/registered.ts';
import { providerRig } from './support/upstream.ts';

// A Bigcapital client names its customers by number. A service moving off Bigcapital points that
// client at the gateway, whose tenant proxies to its Bigcapital account: the provider's number 3
// must name the provider's customer 3 there too. Each local copy took a number of its own (the
// tenant's next), so the provider's 3, fetched on first reference, was answered as the local 1,
// and a later write of "1" renamed the provider's customer 3. A second custgate plays Bigcapital,
// with a gap in its numbers (a customer deleted there) as any book in use has.

const rig = providerRig();
let app: GatewayApp;
const auth = fixturesOf(dialects.bigcapital).auth;
type Shown = { id: number; displayName: string };

const atProvider = (path: string, init: RequestInit = {}) =>
  fetch(`${rig.provider.baseUrl('bigcapital')}/api/customers${path}`, {
    ...init,
    headers: { ...auth(rig.provider.credentials.bigcapital), 'content-type': 'application/json' },
  });

async function tenantProxyingToBigcapital(name: string, localFirst = 0) {
  const config = loadConfig(rig.env);
  const created = await createTenant(rig.store, config, name);
  const headers = auth(created.credentials.bigcapital!);
  // Customers of the tenant from before the upstream: they hold the numbers 1..localFirst.
  for (let i = 1; i <= localFirst; i++) {
    const res = await app.request(
      '/bigcapital/api/customers',
      jsonInit('POST', { customerType: 'business', displayName: `Local ${i}` }, headers),
    );
    expect(res.status, await res.clone().text()).toBe(dialects.bigcapital.wire.createdStatus);
  }
  const upstream = await addUpstream(rig.store, keyringFor(config, rig.store.upstreams), created.tenant.id, {
    dialect: 'bigcapital',
    baseUrl: rig.provider.baseUrl('bigcapital'),
    mode: 'proxy',
    credentials: rig.provider.credentials.bigcapital,
  });
  const read = async (n: number) => {
    const res = await app.request(`/bigcapital/api/customers/${n}`, { headers });
    return { status: res.status, body: (await res.json()) as Shown };
  };
  return { headers, upstream, read };
}

beforeAll(async () => {
  app = createApp({ store: rig.store, config: loadConfig(rig.env), logger: { error: () => undefined }, importHolder: processHolder() });
  // The provider's book: customers 1, 3 and 4 (2 was deleted there; its number is never given again).
  for (let i = 1; i <= 4; i++) {
    const res = await atProvider('', { method: 'POST', body: JSON.stringify({ customerType: 'business', displayName: `Provider ${i}` }) });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    expect(((await res.json()) as Shown).id).toBe(i);
  }
  expect((await atProvider('/2', { method: 'DELETE' })).status).toBe(200);
});

describe('a Bigcapital proxy upstream: the provider numbers are the numbers clients use', () => {
  it('a customer fetched on first reference keeps its number, and a write of that number reaches that customer', async () => {
    const { headers, read } = await tenantProxyingToBigcapital('bigcapital-first-reference');
    const three = await read(3);
    expect(three.status).toBe(200);
    expect(three.body).toMatchObject({ id: 3, displayName: 'Provider 3' });
    const one = await read(1);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 1, displayName: 'Provider 1' });

    const put = await app.request(
      '/bigcapital/api/customers/1',
      jsonInit('PUT', { customerType: 'business', displayName: 'Renamed 1' }, headers),
    );
    expect(put.status, await put.clone().text()).toBe(200);
    expect(((await (await atProvider('/1')).json()) as Shown).displayName).toBe('Renamed 1');
    expect(((await (await atProvider('/3')).json()) as Shown).displayName).toBe('Provider 3');
    // Put back for the tests after this one.
    await atProvider('/1', { method: 'PUT', body: JSON.stringify({ customerType: 'business', displayName: 'Provider 1' }) });
  });

  it('an imported book keeps the provider numbers, gaps and all', async () => {
    const { headers, upstream, read } = await tenantProxyingToBigcapital('bigcapital-import');
    const path = `/gateway/v1/upstreams/${upstream.id}/import`;
    expect((await app.request(path, jsonInit('POST', {}, headers))).status).toBe(202);
    let state = '';
    while (state !== 'done') {
      const job = (await (await app.request(path, { headers })).json()) as { state: string; imported: number; error?: string };
      expect(job.state, job.error).not.toBe('failed');
      state = job.state;
      if (state !== 'done') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const n of [1, 3, 4]) expect((await read(n)).body).toMatchObject({ id: n, displayName: `Provider ${n}` });
    // 2 is no customer here either (not one of the provider's, fetched again on first reference: it has none).
    expect((await read(2)).status).toBe(404);
  });

  it('a number a local customer holds already is not taken: the provider customer gets one of its own, and creates go on', async () => {
    // The tenant's own customers 1..6 from before the upstream (a book moved here from elsewhere).
    const { headers, read } = await tenantProxyingToBigcapital('bigcapital-held', 6);
    const created = await app.request(
      '/bigcapital/api/customers',
      jsonInit('POST', { customerType: 'business', displayName: 'New one' }, headers),
    );
    expect(created.status, await created.clone().text()).toBe(dialects.bigcapital.wire.createdStatus);
    const shown = (await created.json()) as Shown;
    // The provider numbered it 5 (after its 4); the local 5 is "Local 5", so the copy has a number of its own.
    expect(shown.id).toBeGreaterThan(6);
    expect((await read(shown.id)).body).toMatchObject({ displayName: 'New one' });
    expect((await read(5)).body).toMatchObject({ id: 5, displayName: 'Local 5' });
  });
});
