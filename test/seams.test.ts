import { beforeAll, describe, expect, it } from 'vitest';
import { type Json, dialectCalls } from './support/dialect-calls.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// The cases issue #14 lists, each through the real HTTP surface (docs/seams.md). The properties in
// test/properties-read-echo.test.ts check the same rules over arbitrary customers.

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});

const { auth, create, read, write, written } = dialectCalls(() => gw);

const bigcapitalEcho = (shown: Json): Json => {
  const out: Json = { ...shown };
  for (const p of ['billingAddress', 'shippingAddress']) {
    if (`${p}Postcode` in out) out[`${p}Zipcode`] = out[`${p}Postcode`];
    delete out[`${p}Postcode`];
  }
  return out;
};

describe('no invented values', () => {
  it('a customer made without a currency or type reads the canonical defaults everywhere, and writing them back changes nothing', async () => {
    const c = await create('wooshpay', { name: 'Plain' });
    expect((await read('meteroid', c)).currency).toBe('USD');
    expect((await read('bigcapital', c)).currencyCode).toBe('USD');
    expect((await read('wooshpay', c)).currency).toBe('usd');
    const shown = await read('bigcapital', c);
    expect(shown.customerType).toBe('business');
    // Bigcapital's customer answer requires note (dialects/bigcapital/seed-response.ts): none is shown as "", and written back is none.
    expect(shown.note).toBe('');
    const m = await read('meteroid', c);
    const after = await written('meteroid', c, { currency: m.currency, name: m.name });
    expect(after.version).toBe(c.version);
    const b = await written('bigcapital', c, bigcapitalEcho(shown));
    expect(b.version).toBe(c.version);
  });

  it('an unnamed customer read through Bigcapital can be written back (displayName "")', async () => {
    const c = await create('wooshpay', { email: 'nobody@example.com' });
    const shown = await read('bigcapital', c);
    expect(shown.displayName).toBe('');
    const after = await written('bigcapital', c, bigcapitalEcho(shown));
    expect(after.version).toBe(c.version);
    expect(after.name).toBeNull();
  });
});

describe('members a dialect cannot show are kept', () => {
  it('Meteroid billing_address keeps Zenskar line3; Wooshpay shipping keeps Bigcapital contact and Zenskar line3', async () => {
    const c = await create('zenskar', {
      customer_name: 'Lines',
      address: { line1: '1 Main', line3: 'Floor 3', city: 'Paris', country_code: 'FR' },
      ship_to_address: { line1: '9 Dock', line3: 'Gate 2', city: 'Lyon', country_code: 'FR' },
    });
    await written('bigcapital', c, {
      customerType: 'business',
      displayName: 'Lines',
      shippingAddressEmail: 'dock@example.com',
      shippingAddressPhone: '+3312345',
    });
    const billing = (await read('meteroid', c)).billing_address;
    const a = await written('meteroid', c, { billing_address: { ...billing, city: 'Nice' } });
    expect(a.address).toMatchObject({ line3: 'Floor 3', city: 'Nice' });
    const shipping = (await read('wooshpay', c)).shipping;
    const b = await written('wooshpay', c, {
      shipping: { name: 'Dock', address: Object.fromEntries(Object.entries(shipping.address).filter(([, x]) => x !== null)) },
    });
    expect(b.shipping).toMatchObject({
      name: 'Dock',
      address: { line3: 'Gate 2', email: 'dock@example.com', phone: '+3312345', city: 'Lyon' },
    });
  });

  it('a member edit on a same-as-billing shipping address starts from the billing address; an echo keeps the flag', async () => {
    const c = await create('meteroid', {
      name: 'Same',
      currency: 'EUR',
      billing_address: { line1: '1 Main', city: 'Paris', zip_code: '75001', country: 'FR' },
      shipping_address: { same_as_billing: true },
    });
    // Meteroid's own echo: the shown address is not copied into shipping.
    const m = await read('meteroid', c);
    expect((await written('meteroid', c, m)).version).toBe(c.version);
    // Bigcapital's echo keeps same_as_billing.
    expect((await written('bigcapital', c, bigcapitalEcho(await read('bigcapital', c)))).shipping.same_as_billing).toBe(true);
    const z = await written('zenskar', c, { ship_to_address: { city: 'Lyon' } });
    expect(z.shipping).toMatchObject({
      same_as_billing: false,
      address: { line1: '1 Main', city: 'Lyon', postal_code: '75001', country: 'FR' },
    });
  });

  it('Zenskar custom_data numbers, booleans and objects survive a Wooshpay echo of their text', async () => {
    const c = await create('zenskar', { customer_name: 'Data', custom_data: { n: 12, b: true, o: { a: [1] }, s: 'x' } });
    const shown = await read('wooshpay', c);
    expect(shown.metadata).toEqual({ n: '12', b: 'true', o: '{"a":[1]}', s: 'x' });
    const after = await written('wooshpay', c, { metadata: shown.metadata });
    expect(after.version).toBe(c.version);
    expect(after.metadata).toEqual({ n: 12, b: true, o: { a: [1] }, s: 'x' });
  });

  it('a reverse charge written back through Meteroid (true) stays a reverse charge', async () => {
    const c = await create('connhex', { name: 'Rev', tax_exempt: 'reverse' });
    const m = await read('meteroid', c);
    expect(m.is_tax_exempt).toBe(true);
    const after = await written('meteroid', c, { is_tax_exempt: m.is_tax_exempt });
    expect(after.tax_exempt).toBe('reverse');
    expect(after.version).toBe(c.version);
  });
});

describe('never refuse what the provider accepts: countries as free text', () => {
  it('Bigcapital and Zenskar take aliases and unknown names, keep them as given and show them back', async () => {
    for (const [name, code] of [
      ['UK', 'GB'],
      ['Viet Nam', 'VN'],
      ['Deutschland', 'DE'],
      ['Holland', 'NL'],
      ['Turkey', 'TR'],
      ['Atlantis', null],
    ] as const) {
      const c = await create('bigcapital', { customerType: 'individual', displayName: name, billingAddressCountry: name });
      expect(c.address, name).toMatchObject({ country: code });
      expect((await read('bigcapital', c)).billingAddressCountry).toBe(name);
      expect((await read('zenskar', c)).address).toMatchObject({ country: name, country_code: code });
      expect((await read('wooshpay', c)).address.country).toBe(code);
      const z = await create('zenskar', { customer_name: name, address: { country: name } });
      expect((await read('zenskar', z)).address.country).toBe(name);
    }
  });

  it('Bigcapital takes *Postcode (as it reads) in a PUT', async () => {
    const c = await create('bigcapital', { customerType: 'business', displayName: 'Post' });
    const after = await written('bigcapital', c, { customerType: 'business', displayName: 'Post', billingAddressPostcode: '10001' });
    expect(after.address).toMatchObject({ postal_code: '10001' });
  });
});

describe('canonical limits are the union of the dialects', () => {
  it('refuses what the provider itself refuses, and nothing else (test/seed-accept.test.ts has the rest)', async () => {
    const c = await create('wooshpay', { name: 'Limits' });
    expect((await write('meteroid', c, { billing_email: 'nope' })).status).toBe(400);
    // Connhex is Stripe underneath: Stripe's 20-character phone.
    expect((await write('connhex', c, { phone: '+1 (555) 111-2222 ext 1234' })).status).toBe(400);
    expect((await gw.canonical(c.ids.uuid)).version).toBe(c.version);
  });
});

describe('translate is honest', () => {
  const translate = async (query: string, body: unknown) => {
    const res = await gw.request(`/gateway/v1/translate?${query}`, jsonInit('POST', body, auth('wooshpay')));
    expect(res.status).toBe(200);
    return (await res.json()) as { body: Json; losses: { field: string; kind: string }[] };
  };

  it('does not call an exact round trip lossy: US <-> United States', async () => {
    const t = await translate('from=wooshpay&to=bigcapital', { address: { country: 'US' } });
    expect(t.body.billingAddressCountry).toBe('United States');
    expect(t.losses.filter((l) => l.field.startsWith('address'))).toEqual([]);
    const back = await translate('from=zenskar&to=wooshpay', { address: { country: 'United States' } });
    expect(back.body.address).toEqual({ country: 'US' });
    expect(back.losses).toEqual([]);
  });

  it('leaves out what Wooshpay refuses, with a loss for each', async () => {
    const t = await translate('from=zenskar&to=wooshpay', { custom_data: { ['k'.repeat(41)]: 'v', ok: 'x'.repeat(600), fine: 'y' } });
    expect(t.body.metadata).toEqual({ fine: 'y' });
    expect(t.losses.map((l) => `${l.field}:${l.kind}`)).toEqual(
      expect.arrayContaining([`metadata.${'k'.repeat(41)}:inexpressible`, 'metadata.ok:inexpressible']),
    );
  });

  it('reports what a Wooshpay shipping write keeps rather than sets (line3, contact email and phone)', async () => {
    const t = await translate('from=zenskar&to=wooshpay', { ship_to_address: { line1: '1 Dock', line3: 'Gate 2', country_code: 'FR' } });
    expect(t.losses.map((l) => l.field)).toEqual(expect.arrayContaining(['shipping']));
    const m = await translate('from=wooshpay&to=meteroid', { shipping: { name: 'Dock', address: { line1: '1 Dock' } } });
    expect(m.losses.map((l) => l.field)).toEqual(expect.arrayContaining(['shipping.name']));
  });
});
