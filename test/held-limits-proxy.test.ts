import { afterAll, beforeAll, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import type { CreatedTenant } from './support/registered.ts';
import { type Provider, startProvider, tenantsPerUpstream } from './support/upstream.ts';

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
