import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { applyPatch } from '../../src/core/apply-patch.ts';
import { type CustomerPatch, clear, fieldDefaults, merge, set } from '../../schemas/index.ts';
import { jsonInit, testGateway } from '../../test/support/gateway.ts';
import { toPatch } from './mapping.ts';
import { UpdateRequestZenskar } from './request.ts';
import { fromPatch } from './from-patch.ts';
import { clientZenskar } from './client.ts';
import { asCustomer } from '../../src/upstream/fidelity.ts';

const start = applyPatch(fieldDefaults, {
  name: set('Start'),
  metadata: set({ keep: 1 }),
  address: set({
    line1: 'a',
    line2: null,
    line3: null,
    city: 'Oslo',
    state: null,
    postal_code: '0150',
    country: 'NO',
    email: null,
    phone: null,
  }),
});

/** The patch, through Zenskar's wire form and back, changes the customer exactly as the patch itself. */
function roundTrip(patch: CustomerPatch) {
  const { body } = fromPatch(patch);
  const back = toPatch(v.parse(UpdateRequestZenskar, body));
  expect(applyPatch(start, back)).toEqual(applyPatch(start, patch));
}

describe('zenskar fromPatch', () => {
  it('round-trips sets and clears of the fields it carries', () => {
    roundTrip({ name: set('N'), email: set('n@example.com'), phone: clear, external_id: set('crm-1') });
    roundTrip({ metadata: set({ a: [1, 2] }), tax_ids: set([{ type: 'VAT', value: 'NO123', country: 'NO' }]) });
    roundTrip({
      connector: set({ name: 'stripe', reference_id: 'cus_1' }),
      communications_enabled: set(false),
      auto_charge_enabled: clear,
    });
    roundTrip({ address: merge({ city: set('Bergen'), line1: clear, country: set('SE') }) });
    roundTrip({ address: clear, metadata: clear, tax_ids: clear });
  });

  it('leaves out what would destroy data, and says so', () => {
    const { body, losses } = fromPatch({ metadata: merge({ k: set('v') }), address: merge({ email: set('x@y.z') }) });
    expect(body).not.toHaveProperty('custom_data');
    expect(losses).toContainEqual(expect.objectContaining({ field: 'address.email', kind: 'unsupported' }));
  });

  it('does not claim to carry a value set to "": Zenskar reads it as a clear', () => {
    const { body, losses } = fromPatch({ phone: set('') });
    expect(body).toEqual({ phone_number: '' });
    expect(losses).toEqual([{ field: 'phone', kind: 'lossy', message: expect.any(String) }]);
  });
});

describe('zenskar translate over HTTP', () => {
  it('a Wooshpay update translated to Zenskar is accepted by Zenskar and does the same', async () => {
    const gw = await testGateway();
    const sk = gw.tenant.credentials.wooshpay!.secret_key!;
    const zk = gw.tenant.credentials.zenskar!;
    const created = (await (
      await gw.request('/v1/customers', jsonInit('POST', { name: 'T' }, { authorization: `Bearer ${sk}` }))
    ).json()) as { id: string };
    const uuid = (await gw.canonical(created.id)).ids.uuid as string;

    const wooshpayBody = { name: 'Translated', phone: '', metadata: { plan: 'pro' }, address: { city: 'Oslo', country: 'NO' } };
    const res = await gw.request(
      '/gateway/v1/translate?from=wooshpay&to=zenskar',
      jsonInit('POST', wooshpayBody, { authorization: `Bearer ${sk}` }),
    );
    const translated = (await res.json()) as { body: Record<string, unknown>; losses: { field: string; kind: string }[] };
    expect(translated.body).toMatchObject({
      customer_name: 'Translated',
      // A clear that came in as "" goes as "": Zenskar reads it as Wooshpay does (a stored "" stays).
      phone_number: '',
      address: { city: 'Oslo', country_code: 'NO' },
    });
    expect(translated.losses).toContainEqual(expect.objectContaining({ field: 'metadata', kind: 'inexpressible' }));

    const patched = await gw.request(
      `/zenskar/customers/${uuid}`,
      jsonInit('PATCH', translated.body, { 'x-api-key': zk.api_key!, organisation: zk.organisation! }),
    );
    expect(patched.status).toBe(200);
    expect(await gw.canonical(uuid)).toMatchObject({ name: 'Translated', phone: null, address: { city: 'Oslo', country: 'NO' } });

    const strict = await gw.request(
      '/gateway/v1/translate?from=wooshpay&to=zenskar&strict=true',
      jsonInit('POST', wooshpayBody, { authorization: `Bearer ${sk}` }),
    );
    expect(strict.status).toBe(422);
    expect(await strict.json()).toMatchObject({ error: { code: 'lossy_translation', losses: expect.any(Array) } });
  });
});

describe('zenskar client half: custom_data and tax_info are replaced whole', () => {
  const current = asCustomer(
    '00000000-0000-4000-8000-000000000001',
    {
      ...start,
      metadata: { keep: 1, drop: 'x' },
      tax_ids: [
        { type: 'VAT', value: 'NO123456789', country: 'NO' },
        { type: 'GST', value: 'GST-1', country: null },
      ],
    },
    undefined,
  );
  const credentials = { api_key: 'k', organisation: 'o' };
  const patch: CustomerPatch = {
    metadata: merge({ drop: clear, add: set('y') }),
    tax_ids: merge({ VAT: set({ type: 'VAT', value: 'NO987654321', country: 'NO' }) }),
  };

  it('a key-by-key change is sent as the whole object it leaves on the customer, never left out', () => {
    const request = clientZenskar.update('remote-1', { patch, current }, credentials);
    const body = JSON.parse(String(request.body)) as { custom_data: unknown; tax_info: unknown };
    expect(body.custom_data).toEqual({ keep: 1, add: 'y' });
    expect(body.tax_info).toEqual([
      { country_code: 'NO', tax_code: 'VAT', tax_id: 'NO987654321' },
      { country_code: null, tax_code: 'GST', tax_id: 'GST-1' },
    ]);
    expect(clientZenskar.cannotCarry({ patch, current })).toEqual([]);
  });

  it('without the customer to resolve it against, the change is declared as one it cannot carry', () => {
    expect(clientZenskar.cannotCarry({ patch })).toEqual(['metadata', 'tax_ids']);
  });
});
