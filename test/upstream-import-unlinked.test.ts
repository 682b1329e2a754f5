import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../src/contract/errors.ts';
import { importCustomers } from '../src/upstream/import.ts';
import { bookDeps } from './support/book-deps.ts';
import { jsonInit } from './support/gateway.ts';
import { lostAnswerRig } from './support/lost-answer.ts';

// `upstream import` stores every customer of the provider's list that is not linked. A mirror's
// create whose answer was lost (the provider committed it, the gateway heard a reset) is such a
// customer until the delivery's retry links it, and it is a local customer already: an import
// then stored it a second time (two local customers, both linked to the provider's one after the
// retry). The import is refused while deliveries or recorded creates to the upstream are not
// settled, and afterwards finds nothing to import. A second custgate process plays Zenskar, behind
// a forwarder that drops the answer to a create.

const rig = lostAnswerRig();

describe('an import of a mirror whose create answer was lost', () => {
  it('is refused until the delivery is settled, then stores no second customer', async () => {
    const { tenant, row, auth } = await rig.mirrorTenant('zenskar', 'import-after-lost-create');
    const made = await rig.local.request(
      '/wooshpay/v1/customers',
      jsonInit('POST', { name: 'Only Once', email: 'once@example.com' }, auth),
    );
    expect(made.status).toBe(200);
    const { id } = (await made.json()) as { id: string };
    rig.forwarder.dropNextCreate();
    expect(await rig.local.dispatcher.drain()).toMatchObject({ delivered: 0, dead: 0 });
    expect(rig.forwarder.creates()).toBe(1);

    const upstreamRow = (await rig.local.store.upstreams.find(tenant.tenant.id, row.id))!;
    const refused = await importCustomers(bookDeps(rig.local.store, rig.local.env), upstreamRow).catch((error: unknown) => error);
    expect(isGatewayError(refused) && refused.code, String(refused)).toBe('conflict');
    expect(String((refused as Error).message)).toContain('pending');
    const overHttp = await rig.local.request(`/gateway/v1/upstreams/${row.id}/import`, jsonInit('POST', {}, auth));
    expect(overHttp.status).toBe(409);

    // The retry links the customer the lost create left (by its marker); the import then has nothing to store.
    let delivered = 0;
    for (const until = Date.now() + 20_000; delivered === 0 && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      delivered = (await rig.local.dispatcher.drain()).delivered;
    }
    expect(delivered).toBe(1);
    expect(await importCustomers(bookDeps(rig.local.store, rig.local.env), upstreamRow)).toMatchObject({
      state: 'done',
      seen: 1,
      imported: 0,
    });
    const list = await rig.local.request('/wooshpay/v1/customers?limit=100', { headers: auth });
    const customers = ((await list.json()) as { data: { id: string; name: string }[] }).data;
    expect(customers.map((c) => c.id)).toEqual([id]);
  }, 60_000);
});
