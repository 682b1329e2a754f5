import { afterAll, beforeAll, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { addUpstream, type CreatedTenant, createTenant } from './support/registered.ts';
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
