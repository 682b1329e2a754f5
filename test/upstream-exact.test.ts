import { describe, expect, it } from 'vitest';
import { proxyRig } from './support/upstream-exact.ts';

// "A 200 means it is so" for values the upstream's dialect cannot hold as the client gave them: a
// field the provider shows but its API takes no value for (Wooshpay's tax_exempt, preferred_locales
// and currency; Bigcapital's currencyCode), a number or an object in Wooshpay's string metadata, a
// reverse charge as Meteroid's boolean. The provider would answer with its own value, which the
// local copy takes: the client's value would be acknowledged and gone. (A create that Bigcapital
// can take, its currencyCode, is sent: a Meteroid create in EUR is EUR there.) Each is refused before
// anything is sent, in the client's envelope, and neither side changes. A second custgate process
// plays the provider. The "" a provider holds as given: test/upstream-exact-empty.test.ts.

const { call, created, bothSides, refusedUpdate } = proxyRig();

describe('proxy: a value the upstream cannot hold as given is refused, not acknowledged changed', () => {
  it('Connhex tax_exempt and preferred_locales into a Wooshpay upstream (its API shows them, takes neither)', async () => {
    const id = await created('connhex', 'wooshpay', { name: 'Locale Co' });
    const body = await refusedUpdate('connhex', 'wooshpay', id, { tax_exempt: 'exempt' }, 400);
    expect(body).toMatchObject({ error: { param: 'tax_exempt' } });
    await refusedUpdate('connhex', 'wooshpay', id, { preferred_locales: ['fr-FR'] }, 400);
    await refusedUpdate('connhex', 'wooshpay', id, { invoice_prefix: 'ABC123' }, 400);
    // What the provider takes still goes through.
    const ok = await call('connhex', 'wooshpay', 'POST', `/${id}`, { email: 'locale@example.com' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await bothSides('wooshpay', id)).remote.email).toBe('locale@example.com');
  });

  it('a Meteroid currency into Wooshpay and Bigcapital upstreams (shown there, never taken by an update)', async () => {
    const refused = await call('meteroid', 'wooshpay', 'POST', '', { name: 'Euro Co', currency: 'EUR' });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('currency') });
    // Bigcapital takes a currency on create (currencyCode), never in an edit.
    const euro = await created('meteroid', 'bigcapital', { name: 'Euro Co', currency: 'EUR' });
    expect(await bothSides('bigcapital', euro)).toMatchObject({ local: { currency: 'EUR' }, remote: { currency: 'EUR' } });
    // The provider's own currency is no change.
    const id = await created('meteroid', 'bigcapital', { name: 'Dollar Co', currency: 'USD' });
    await refusedUpdate('meteroid', 'bigcapital', id, { currency: 'GBP' }, 400);
    const same = await call('meteroid', 'bigcapital', 'PATCH', `/${id}`, { currency: 'USD', name: 'Dollar Co Ltd' });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect(same.body).toMatchObject({ currency: 'USD', name: 'Dollar Co Ltd' });
  });

  it('Zenskar custom_data numbers and objects into a Wooshpay upstream (string values only)', async () => {
    const refused = await call('zenskar', 'wooshpay', 'POST', '', { customer_name: 'Data Co', custom_data: { seats: 5 } });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body).toMatchObject({ detail: [{ loc: ['body', 'custom_data'] }] });
    const id = await created('zenskar', 'wooshpay', { customer_name: 'Data Co', custom_data: { seats: '5' } });
    await refusedUpdate('zenskar', 'wooshpay', id, { custom_data: { seats: '5', limits: { api: 100 } } }, 422);
    const ok = await call('zenskar', 'wooshpay', 'PATCH', `/${id}`, { custom_data: { seats: '6' } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ custom_data: { seats: '6' } });
  });

  it('a Zenskar custom_data key with an empty value into a Wooshpay upstream (metadata[k]="" deletes k there)', async () => {
    const refused = await call('zenskar', 'wooshpay', 'POST', '', { customer_name: 'Blank Co', custom_data: { notes: '' } });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body).toMatchObject({ detail: [{ loc: ['body', 'custom_data'], msg: expect.stringContaining('notes') }] });
    const id = await created('zenskar', 'wooshpay', { customer_name: 'Blank Co', custom_data: { plan: 'gold' } });
    await refusedUpdate('zenskar', 'wooshpay', id, { custom_data: { plan: 'gold', notes: '' } }, 422);
    // A Wooshpay client's own metadata[k]="" is its delete, and still carried as one.
    const wooshpay = await created('wooshpay', 'wooshpay', { name: 'Stripe Co', metadata: { plan: 'gold', seats: '5' } });
    const deleted = await call('wooshpay', 'wooshpay', 'POST', `/${wooshpay}`, { metadata: { seats: '' } });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect((await bothSides('wooshpay', wooshpay)).remote.metadata).toEqual({ plan: 'gold' });
  });

  it('a Connhex reverse charge into a Meteroid upstream (is_tax_exempt is a boolean)', async () => {
    const id = await created('connhex', 'meteroid', { name: 'Reverse Co' });
    const body = await refusedUpdate('connhex', 'meteroid', id, { tax_exempt: 'reverse' }, 400);
    expect(body).toMatchObject({ error: { param: 'tax_exempt' } });
    const ok = await call('connhex', 'meteroid', 'POST', `/${id}`, { tax_exempt: 'exempt' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await bothSides('meteroid', id)).local.tax_exempt).toBe('exempt');
  });
});

describe('proxy: what the provider holds in its own form is not refused', () => {
  it.each(['bigcapital', 'zenskar'] as const)(
    'a Meteroid same_as_billing on a customer with no billing address into a %s upstream',
    async (upstream) => {
      const id = await created('meteroid', upstream, { name: 'No Address Co', currency: 'USD' });
      const res = await call('meteroid', upstream, 'PATCH', `/${id}`, { shipping_address: { same_as_billing: true } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ shipping_address: { same_as_billing: true } });
    },
  );
});

describe('proxy: an address member the upstream cannot show is kept, as a write elsewhere keeps it', () => {
  it.each(['wooshpay', 'meteroid', 'connhex'] as const)(
    'a Zenskar country naming no country (and line3), alone, into a %s upstream',
    async (upstream) => {
      const id = await created('zenskar', upstream, { customer_name: 'Atlantis Co' });
      const res = await call('zenskar', upstream, 'PATCH', `/${id}`, { address: { country: 'Atlantis', line3: 'Harbour Gate' } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ address: { country: 'Atlantis', line3: 'Harbour Gate', country_code: null } });
      const again = await call('zenskar', upstream, 'GET', `/${id}`, undefined);
      expect(again.body).toMatchObject({ address: { country: 'Atlantis', line3: 'Harbour Gate' } });
    },
  );
});

describe('proxy: a Zenskar tax_info into a Meteroid upstream (one VAT number)', () => {
  it('a list naming a VAT number is carried; taking the VAT number away is refused', async () => {
    const id = await created('zenskar', 'meteroid', { customer_name: 'Tax Co' });
    const res = await call('zenskar', 'meteroid', 'PATCH', `/${id}`, {
      tax_info: [{ country_code: 'GB', tax_code: 'VAT', tax_id: 'GB123456789' }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ tax_info: [{ country_code: 'GB', tax_code: 'VAT', tax_id: 'GB123456789' }] });
    expect((await bothSides('meteroid', id)).remote.tax_ids).toEqual([{ type: 'VAT', value: 'GB123456789', country: 'GB' }]);
    await refusedUpdate('zenskar', 'meteroid', id, { tax_info: [] }, 422);
    // Null clears the list in Zenskar: the same taking away, refused the same way.
    await refusedUpdate('zenskar', 'meteroid', id, { tax_info: null }, 422);
    expect((await bothSides('meteroid', id)).remote.tax_ids).toEqual([{ type: 'VAT', value: 'GB123456789', country: 'GB' }]);
  });
  it('clearing tax ids where there is no VAT number is carried', async () => {
    const id = await created('zenskar', 'meteroid', { customer_name: 'No Tax Co' });
    const res = await call('zenskar', 'meteroid', 'PATCH', `/${id}`, { tax_info: null });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

describe('proxy: a refusal reaches a Bigcapital client with its reason', () => {
  it('a displayName longer than Connhex takes is named as too long, not as empty', async () => {
    const id = await created('bigcapital', 'connhex', { displayName: 'Short Name', customerType: 'business' });
    const body = (await refusedUpdate('bigcapital', 'connhex', id, { displayName: 'x'.repeat(300), customerType: 'business' }, 400)) as {
      message: { property: string; constraints: Record<string, string> }[];
    };
    const [entry] = body.message;
    expect(entry?.property).toBe('displayName');
    expect(Object.values(entry?.constraints ?? {}).join(' ')).toContain('The connhex upstream cannot carry this change');
    expect(entry?.constraints).not.toHaveProperty('isNotEmpty');
  });

  it('a Bigcapital clear of the whole billing address into Meteroid is named by all its parameters', async () => {
    // Meteroid has no form for this clear, member by member either: its line3 has no Bigcapital
    // parameter, and naming billingAddress1 for it read as a refusal of that line alone.
    const billing = { billingAddress1: '1 Main St', billingAddressCity: 'Paris', billingAddressCountry: 'FR' };
    const id = await created('bigcapital', 'meteroid', { displayName: 'Address Co', customerType: 'business', ...billing });
    const cleared = { billingAddress1: null, billingAddressCity: null, billingAddressCountry: null };
    const body = (await refusedUpdate(
      'bigcapital',
      'meteroid',
      id,
      { displayName: 'Address Co', customerType: 'business', ...cleared },
      400,
    )) as {
      message: { property: string }[];
    };
    const named = body.message.map((m) => m.property);
    expect(named).toContain('billingAddress1/2/City/State/Country/Zipcode/Email/Phone');
    expect(named).not.toContain('billingAddress1');
  });
});

// A metadata key "" (Zenskar's custom_data takes it) has no form in Stripe's metadata, whose keys
// are names: sent to a Wooshpay upstream it was held there under "" over JSON, and in a form body
// (`metadata[]=x`) refused by the provider. The client half leaves it out, so the write is refused
// here, before anything is sent.
describe('proxy: a Zenskar custom_data key "" into a Wooshpay upstream', () => {
  it("is refused in Zenskar's envelope, naming custom_data, and neither side changes", async () => {
    const id = await created('zenskar', 'wooshpay', { customer_name: 'Empty Key' });
    const body = await refusedUpdate('zenskar', 'wooshpay', id, { custom_data: { '': 'x', plan: 'gold' } }, 422);
    expect(body).toMatchObject({ detail: [{ loc: ['body', 'custom_data'] }] });
    const plain = await call('zenskar', 'wooshpay', 'PATCH', `/${id}`, { custom_data: { plan: 'gold' } });
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    expect((await bothSides('wooshpay', id)).remote.metadata).toEqual({ plan: 'gold' });
  });
});
