import { expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { drainSettled } from './support/drain-until.ts';
import { jsonInit } from './support/gateway.ts';
import { deliveriesOf, heldAtProvider, mirrorTenant } from './support/mirror-rig.ts';
import { providerAndGateway } from './support/upstream.ts';

// Zenskar's PATCH replaces custom_data whole (UpdateCustomerSchema in the Zenskar API reference);
// a mirror delivery sends metadata key by key, every key the local customer holds
// (src/core/absolute-patch.ts), which the Zenskar client half resolves into the whole map against
// the customer the request is built with. The mirror asked whether it could carry the change with
// no customer, so the Zenskar client declared every metadata change one it cannot make: each
// update's custom_data was left out ("not carried: metadata (… has no way to make this change; the
// provider keeps its value)"), and the provider kept the map it was created with.

const rig = providerAndGateway();

it('a Zenskar mirror is given each metadata change, a key set and a key deleted', { timeout: 60_000 }, async () => {
  const { tenant, upstream } = await mirrorTenant(rig, 'custom-data', 'zenskar');
  const auth = fixturesOf(dialects.wooshpay).auth(tenant.credentials.wooshpay!);
  const created = await rig.gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Mapped', metadata: { a: '1' } }, auth));
  expect(created.status).toBe(200);
  const { id } = (await created.json()) as { id: string };
  expect(await drainSettled(rig.gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
  for (const metadata of [{ b: '2' }, { a: '' }]) {
    expect((await rig.gw.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { metadata }, auth))).status).toBe(200);
    expect(await drainSettled(rig.gw.dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
  }
  const rows = await deliveriesOf(rig, tenant, id);
  expect(rows.map((d) => [d.version, d.last_error])).toEqual([
    [1, null],
    [2, null],
    [3, null],
  ]);
  expect((await heldAtProvider(rig, tenant, upstream.id, id)).metadata).toEqual({ b: '2' });
});
