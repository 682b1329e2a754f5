import { afterAll, beforeAll, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { addUpstream, type CreatedTenant, createApp, createTenant } from './support/registered.ts';
import { type Provider, startProvider, switchableProxy, tenantsPerUpstream } from './support/upstream.ts';

// A dialect's limits bind what a write changes (docs/seams.md) in proxy mode too: the check is made
// against the customer the proxy resolved, before anything is sent. Gateway A's tenant proxies to
// gateway B (a second custgate process) in Zenskar's dialect, whose custom_data has no limit.

let provider: Provider;
let gw: TestGateway;
let tenant: CreatedTenant;

beforeAll(async () => {
  provider = await startProvider();
  gw = await testGateway();
  tenant = (await tenantsPerUpstream(gw, provider, 'proxy')).get('zenskar')!;
});
afterAll(async () => {
  await provider?.process.stop();
});

const long = 'l'.repeat(600);
/** Past Connhex's 256 characters for a name; Zenskar takes it. */
const wideName = 'n'.repeat(300);

/** The customer's custom_data as B holds it. */
async function onB(uuid: string): Promise<Record<string, unknown>> {
  const aKey = tenant.credentials.wooshpay!.secret_key!;
  const links = (await (
    await gw.request(`/gateway/v1/customers/${uuid}/links`, { headers: { authorization: `Bearer ${aKey}` } })
  ).json()) as { data: { remote_id: string }[] };
  const auth = fixturesOf(dialects.zenskar).auth(provider.credentials.zenskar);
  const res = await fetch(`${provider.baseUrl('zenskar')}/customers/${links.data[0]!.remote_id}`, { headers: auth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { custom_data: Record<string, unknown> }).custom_data;
}

it('a Wooshpay read-modify-write of a value past 500 characters the customer holds reaches the provider; a changed one is refused before it is sent', async () => {
  const zenskarAuth = fixturesOf(dialects.zenskar).auth(tenant.credentials.zenskar!);
  const created = await gw.request('/zenskar/customers', jsonInit('POST', { customer_name: 'Held', custom_data: { long } }, zenskarAuth));
  expect(created.status).toBe(dialects.zenskar.wire.createdStatus);
  const { id } = (await created.json()) as { id: string };

  const wooshpayAuth = fixturesOf(dialects.wooshpay).auth(tenant.credentials.wooshpay!);
  const path = `/wooshpay/v1/customers/${id}`;
  const read = await gw.request(path, { headers: wooshpayAuth });
  const shown = ((await read.json()) as { metadata: Record<string, string> }).metadata;
  const added = await gw.request(path, jsonInit('POST', { metadata: { ...shown, plan: 'gold' } }, wooshpayAuth));
  expect(added.status, await added.clone().text()).toBe(200);
  expect(await onB(id)).toEqual({ long, plan: 'gold' });

  const changed = await gw.request(path, jsonInit('POST', { metadata: { long: 'm'.repeat(600) } }, wooshpayAuth));
  expect(changed.status).toBe(400);
  expect(((await changed.json()) as { error: { param: string } }).error.param).toBe('metadata[long]');
  expect(await onB(id)).toEqual({ long, plan: 'gold' });
});

it("a provider that cannot be reached as the customer is read to tell a held value from a fault: the read's 503 in the client's envelope, nothing written", async () => {
  // A Connhex client of a tenant proxying to Wooshpay, through a front that can be taken down.
  const front = await switchableProxy(provider.baseUrl('wooshpay'));
  try {
    const proxied = await createTenant(gw.store, gw.config, 'held-limits-front');
    await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), proxied.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: front.url,
      mode: 'proxy',
      credentials: provider.credentials.wooshpay,
    });
    // A customer the provider has (its name past Connhex's 256, written through Zenskar) and this gateway has not seen.
    const zenskarAtB = fixturesOf(dialects.zenskar).auth(provider.credentials.zenskar);
    const made = await fetch(`${provider.baseUrl('zenskar')}/customers`, jsonInit('POST', { customer_name: wideName }, zenskarAtB));
    expect(made.status).toBe(dialects.zenskar.wire.createdStatus);
    const { id: uuid } = (await made.json()) as { id: string };
    const wooshpayAtB = fixturesOf(dialects.wooshpay).auth(provider.credentials.wooshpay);
    const canonical = await fetch(`${provider.base}/gateway/v1/customers/${uuid}`, { headers: wooshpayAtB });
    const remoteId = ((await canonical.json()) as { ids: { public_id: string } }).ids.public_id;

    const auth = fixturesOf(dialects.connhex).auth(proxied.credentials.connhex!);
    const path = `/connhex/customers/${remoteId}`;
    // The held name beside a fault: the customer is read (from the provider, on first reference) to tell them apart.
    const body = { name: wideName, address: 'nowhere' };
    front.down();
    const read = await gw.request(path, { headers: auth });
    const res = await gw.request(path, jsonInit('POST', body, auth));
    expect([503, 504]).toContain(read.status);
    expect(res.status, await res.clone().text()).toBe(read.status);
    expect(res.headers.get('retry-after')).toBe(read.headers.get('retry-after'));
    expect(await res.json()).toEqual(await read.json());
    expect(await gw.store.countCustomers(proxied.tenant.id)).toBe(0);
    const atB = await fetch(`${provider.baseUrl('zenskar')}/customers/${uuid}`, { headers: zenskarAtB });
    expect(((await atB.json()) as { customer_name: string }).customer_name).toBe(wideName);

    // Reachable again: the held name is taken back, and the refusal names only the real fault.
    front.up();
    const narrowed = await gw.request(path, jsonInit('POST', body, auth));
    expect(narrowed.status).toBe(400);
    expect(JSON.stringify(await narrowed.json())).not.toContain('"name"');
  } finally {
    await front.close();
  }
});

// Concurrent writes of one customer through the proxy each get a 200 only for a change the provider
// then holds (src/upstream/proxy.ts, UpstreamProxy.update). Zenskar's custom_data is replace-only,
// so a Wooshpay metadata merge goes to it as the whole map, computed from the local copy: before,
// ten concurrent merges each sent the map with its own key only, all ten answered 200, and the
// provider and the local copy kept one key.
async function concurrentMerges(apps: readonly { request: TestGateway['request'] }[]) {
  const wooshpayAuth = fixturesOf(dialects.wooshpay).auth(tenant.credentials.wooshpay!);
  const created = await gw.request('/v1/customers', jsonInit('POST', { name: 'Concurrent', metadata: { base: 'kept' } }, wooshpayAuth));
  expect(created.status).toBe(200);
  const { id } = (await created.json()) as { id: string };
  const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
  const answers = await Promise.all(
    keys.map((k, i) =>
      apps[i % apps.length]!.request(`/v1/customers/${id}`, jsonInit('POST', { metadata: { [k]: `v-${k}` } }, wooshpayAuth)),
    ),
  );
  const statuses = answers.map((a) => a.status);
  // A 409 (retry) is an honest answer under contention; a 200 must hold.
  expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
  const acknowledged = keys.filter((_, i) => statuses[i] === 200);
  expect(acknowledged.length).toBeGreaterThan(0);
  const local = await gw.request(`/v1/customers/${id}`, { headers: wooshpayAuth });
  const metadata = ((await local.json()) as { metadata: Record<string, string> }).metadata;
  const held = await onB(id);
  for (const k of acknowledged) {
    expect(metadata[k], `local ${k}`).toBe(`v-${k}`);
    expect(held[k], `provider ${k}`).toBe(`v-${k}`);
  }
  expect(metadata.base).toBe('kept');
  expect(held).toEqual(metadata);
}

it('ten concurrent Wooshpay metadata merges of one customer: every key acknowledged is held by the provider and the local copy', async () => {
  await concurrentMerges([gw]);
});

it('the same through two gateways on one store (two processes): a write whose copy moved meanwhile is sent again from the new one', async () => {
  // A second app on the same store has proxy writes of its own, as another process would: its
  // writes and the first app's are not queued behind each other, so what keeps the provider whole
  // is the version the send was computed from (WriteRoute.basedOn).
  const second = createApp({ store: gw.store, config: gw.config, logger: { error: () => undefined } });
  await concurrentMerges([gw, { request: async (path, init) => second.request(path, init) }]);
});
