import { describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit } from './support/gateway.ts';
import { deliveriesOf, heldAtProvider, mirroredClient, mirrorTenant } from './support/mirror-rig.ts';
import { addUpstream, createTenant } from './support/registered.ts';
import { providerAndGateway } from './support/upstream.ts';

// A field whose canonical default is a value, not none (customer_type "business", currency "USD",
// tax_exempt "none"), changed back to that value through a proxy: what the gateway sends the
// provider is the absolute value the write leaves, and the default was sent as a clear. Bigcapital's
// customerType and Meteroid's currency have no clear, so the proxy refused the change with a 400
// ("the bigcapital API would keep \"individual\" instead") though the provider's own API makes it.
// Found moving a Bigcapital book whose individual customers were written as businesses. A second
// custgate plays the provider.

const rig = providerAndGateway();
const app = { request: (path: string, init?: RequestInit) => rig.gw.request(path, init) };

async function proxiedCustomer(dialect: DialectName, name: string, body: Record<string, unknown>) {
  const { store, config } = rig.gw;
  const created = await createTenant(store, config, name);
  await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
    dialect,
    baseUrl: rig.provider.baseUrl(dialect),
    mode: 'proxy',
    credentials: rig.provider.credentials[dialect],
  });
  const d = dialects[dialect];
  const headers = fixturesOf(d).auth(created.credentials[dialect]!);
  const collection = `${d.routes.prefix}${d.routes.collection}`;
  const res = await app.request(collection, jsonInit('POST', body, headers));
  expect(res.status, await res.clone().text()).toBe(d.wire.createdStatus);
  const id = String(fixturesOf(d).idOf(await res.json()));
  const links = (await (await app.request(`/gateway/v1/customers/${id}/links`, { headers })).json()) as { data: { remote_id: string }[] };
  const providerHeaders = fixturesOf(d).auth(rig.provider.credentials[dialect]);
  return {
    update: (patch: Record<string, unknown>) => app.request(`${collection}/${id}`, jsonInit(d.routes.update, patch, headers)),
    atProvider: async () =>
      (await (
        await fetch(`${rig.provider.baseUrl(dialect)}${d.routes.collection}/${links.data[0]!.remote_id}`, { headers: providerHeaders })
      ).json()) as Record<string, unknown>,
  };
}

describe('a proxied change back to a field default that is a value', () => {
  it('Bigcapital: an individual customer made a business is one at the provider', async () => {
    const customer = await proxiedCustomer('bigcapital', 'default-customer-type', { customerType: 'individual', displayName: 'John Doe' });
    const res = await customer.update({ customerType: 'business', displayName: 'John Doe' });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ customerType: 'business' });
    expect(await customer.atProvider()).toMatchObject({ customerType: 'business', displayName: 'John Doe' });
  });

  it('Meteroid: a customer billed in EUR moved to USD is billed in USD at the provider', async () => {
    const customer = await proxiedCustomer('meteroid', 'default-currency', { name: 'Acme', currency: 'EUR' });
    const res = await customer.update({ currency: 'USD' });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ currency: 'USD' });
    expect(await customer.atProvider()).toMatchObject({ name: 'Acme', currency: 'USD' });
  });

  it('a Meteroid mirror: the move to USD is delivered, nothing named as not carried', async () => {
    const { tenant, upstream } = await mirrorTenant(rig, 'default-currency-mirror', 'meteroid');
    const { id, write } = await mirroredClient(rig, tenant, dialects.meteroid, { name: 'Acme', currency: 'EUR' });
    await write({ currency: 'USD' });
    const rows = await deliveriesOf(rig, tenant, id);
    expect(rows.map((d) => `${d.version} ${d.state} ${d.last_error}`)).toEqual(['1 delivered null', '2 delivered null']);
    expect(await heldAtProvider(rig, tenant, upstream.id, id)).toMatchObject({ name: 'Acme', currency: 'USD' });
  });
});
