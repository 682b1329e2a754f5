import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import type { CustomerFields } from '../schemas/index.ts';
import type { CreatedTenant } from './support/registered.ts';
import { fieldsOf } from './support/dialect-harness.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { canonicalOn } from './support/pairs.ts';
import { type Provider, startProvider, tenantsPerUpstream } from './support/upstream.ts';

// "A 200 means it is so" for values the upstream's dialect cannot hold as the client gave them: a
// field the provider shows but its API takes no value for (Wooshpay's tax_exempt, preferred_locales
// and currency; Bigcapital's currencyCode), a number or an object in Wooshpay's string metadata, a
// reverse charge as Meteroid's boolean. The provider would answer with its own value, which the
// local copy takes: the client's value would be acknowledged and gone. (A create that Bigcapital
// can take, its currencyCode, is sent: a Meteroid create in EUR is EUR there.) Each is refused before
// anything is sent, in the client's envelope, and neither side changes. A second custgate process
// plays the provider.

let provider: Provider;
let gw: TestGateway;
let tenants: Map<DialectName, CreatedTenant>;

beforeAll(async () => {
  provider = await startProvider();
  gw = await testGateway();
  tenants = await tenantsPerUpstream(gw, provider, 'proxy');
});
afterAll(async () => {
  await provider?.process.stop();
});

async function call(client: DialectName, upstream: DialectName, method: string, path: string, body: unknown) {
  const dialect = dialects[client];
  const auth = fixturesOf(dialect).auth(tenants.get(upstream)!.credentials[client]!);
  const url = `${dialect.routes.prefix}${dialect.routes.collection}${path}`;
  const res = await gw.request(url, body === undefined ? { method, headers: auth } : jsonInit(method, body, auth));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function created(client: DialectName, upstream: DialectName, body: unknown): Promise<string> {
  const res = await call(client, upstream, 'POST', '', body);
  expect(res.status, JSON.stringify(res.body)).toBe(dialects[client].wire.createdStatus);
  return fixturesOf(dialects[client]).idOf(res.body);
}

/** The customer on A and at the provider (B, by its link), as canonical fields. */
async function bothSides(
  upstream: DialectName,
  id: string,
): Promise<{ local: CustomerFields; remote: CustomerFields; remoteUuid: string }> {
  const key = tenants.get(upstream)!.credentials.wooshpay!.secret_key!;
  const local = await canonicalOn(gw.request, id, key);
  const links = await gw.request(`/gateway/v1/customers/${local.ids.uuid}/links`, { headers: { authorization: `Bearer ${key}` } });
  const [link] = ((await links.json()) as { data: { remote_id: string }[] }).data;
  const onB = (path: string, init?: RequestInit) => fetch(`${provider.base}${path}`, init);
  const remote = await canonicalOn(onB, link!.remote_id, provider.credentials.wooshpay.secret_key!);
  return { local: fieldsOf(local), remote: fieldsOf(remote), remoteUuid: remote.ids.uuid as string };
}

/** An update the upstream cannot carry: refused with the client's status, naming the upstream; nothing changes. */
async function refusedUpdate(client: DialectName, upstream: DialectName, id: string, body: unknown, status: number) {
  const before = await bothSides(upstream, id);
  const res = await call(client, upstream, dialects[client].routes.update, `/${encodeURIComponent(id)}`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(JSON.stringify(res.body)).toContain(`The ${upstream} upstream cannot carry`);
  expect(await bothSides(upstream, id)).toEqual(before);
  return res.body;
}

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

describe('proxy: a Meteroid phone "" is answered as the local store answers it, or refused', () => {
  /** The local store's answer to a Meteroid PATCH of phone "" (no upstream): the string as given. */
  async function localAnswer() {
    const meteroid = dialects.meteroid;
    const auth = fixturesOf(meteroid).auth(gw.tenant.credentials.meteroid!);
    const path = `${meteroid.routes.prefix}${meteroid.routes.collection}`;
    const made = await gw.request(path, jsonInit('POST', { name: 'Phone Co', currency: 'EUR', phone: '+33 1 23' }, auth));
    const id = fixturesOf(meteroid).idOf((await made.json()) as Record<string, unknown>);
    const res = await gw.request(`${path}/${id}`, jsonInit('PATCH', { phone: '' }, auth));
    expect(res.status).toBe(200);
    return ((await res.json()) as { phone: unknown }).phone;
  }

  it('into a Meteroid upstream: sent, held there as "", and answered "" as locally', async () => {
    expect(await localAnswer()).toBe('');
    const id = await created('meteroid', 'meteroid', { name: 'Phone Co', currency: 'EUR', phone: '+33 1 23' });
    const res = await call('meteroid', 'meteroid', 'PATCH', `/${encodeURIComponent(id)}`, { phone: '' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.phone).toBe('');
    const { local, remote } = await bothSides('meteroid', id);
    expect([local.phone, remote.phone]).toEqual(['', '']);
  });

  it.each(['wooshpay', 'connhex', 'bigcapital', 'zenskar'] as const)(
    'into a %s upstream, where "" is no phone: refused, and neither side changes',
    async (upstream) => {
      const id = await created('meteroid', upstream, {
        name: 'Phone Co',
        currency: upstream === 'wooshpay' ? 'USD' : 'EUR',
        phone: '+33 1 23',
      });
      const body = await refusedUpdate('meteroid', upstream, id, { phone: '' }, 400);
      expect(JSON.stringify(body)).toContain('phone');
    },
  );
});

// A "" that Zenskar or Bigcapital holds (their references type phone_number and workPhone as
// strings, "" among them) is the customer's "", not none: read back from the provider as "", and
// sent back as "" by a write that leaves it, where null would clear it there while the local
// customer keeps it. The provider's own Meteroid API (which keeps the "" it is given) empties the
// phone behind the gateway's back.
describe.each(['zenskar', 'bigcapital'] as const)('proxy into a %s upstream holding a phone ""', (upstream) => {
  it('reads it back as "", and a Wooshpay client writing back what it read keeps it there', async () => {
    const id = await created('wooshpay', upstream, { name: 'Blank Co', phone: '+1 555 0100' });
    const meteroid = dialects.meteroid;
    const { remoteUuid } = await bothSides(upstream, id);
    const emptied = await fetch(
      `${provider.baseUrl('meteroid')}${meteroid.routes.collection}/${remoteUuid}`,
      jsonInit('PATCH', { phone: '' }, fixturesOf(meteroid).auth(provider.credentials.meteroid)),
    );
    expect(emptied.status, await emptied.text()).toBe(200);
    const phones = async () => {
      const { local, remote } = await bothSides(upstream, id);
      return { local: [local.name, local.phone], remote: [remote.name, remote.phone] };
    };

    // Any write takes the provider's answer in: its "" is the customer's "".
    const renamed = await call('wooshpay', upstream, 'POST', `/${id}`, { name: 'Renamed Co' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(await phones()).toEqual({ local: ['Renamed Co', ''], remote: ['Renamed Co', ''] });

    // What the client read, written back with a new name: the phone "" goes as "", and stays.
    const shown = await call('wooshpay', upstream, 'GET', `/${id}`, undefined);
    expect(shown.body.phone).toBe('');
    const echoed = await call('wooshpay', upstream, 'POST', `/${id}`, { name: 'Again Co', phone: shown.body.phone });
    expect(echoed.status, JSON.stringify(echoed.body)).toBe(200);
    expect(echoed.body.phone).toBe('');
    expect(await phones()).toEqual({ local: ['Again Co', ''], remote: ['Again Co', ''] });
  });
});

describe('translate: a clear that came in as "" goes as "" to a dialect that takes null', () => {
  it.each([
    ['zenskar', 'phone_number'],
    ['bigcapital', 'workPhone'],
  ] as const)('wooshpay phone "" -> %s %s ""', async (to, property) => {
    const key = gw.tenant.credentials.wooshpay!.secret_key!;
    const res = await gw.request(
      `/gateway/v1/translate?from=wooshpay&to=${to}`,
      jsonInit('POST', { phone: '' }, { authorization: `Bearer ${key}` }),
    );
    const translated = (await res.json()) as { body: Record<string, unknown> };
    expect(res.status, JSON.stringify(translated)).toBe(200);
    expect(translated.body[property]).toBe('');
  });
});

// The same for an address's text members: Zenskar types each a string (`anyOf: string, null`),
// Bigcapital each billingAddress*/shippingAddress* property, Meteroid each billing_address member
// (a string it keeps as given). A "" the provider holds there is read back as "" and written back
// as "", and a Meteroid client's city "" goes only where the provider will hold it.
describe.each(['zenskar', 'bigcapital'] as const)('proxy into a %s upstream holding an address city ""', (upstream) => {
  it('reads it back as "", and a Wooshpay client writing back what it read keeps it there', async () => {
    const id = await created('wooshpay', upstream, { name: 'Blank Co', address: { line1: '1 Main St', city: 'Oslo', country: 'NO' } });
    const meteroid = dialects.meteroid;
    const { remoteUuid } = await bothSides(upstream, id);
    const emptied = await fetch(
      `${provider.baseUrl('meteroid')}${meteroid.routes.collection}/${remoteUuid}`,
      jsonInit(
        'PATCH',
        { billing_address: { line1: '1 Main St', city: '', country: 'NO' } },
        fixturesOf(meteroid).auth(provider.credentials.meteroid),
      ),
    );
    expect(emptied.status, await emptied.text()).toBe(200);
    const cities = async () => {
      const { local, remote } = await bothSides(upstream, id);
      return { local: [local.name, local.address?.city], remote: [remote.name, remote.address?.city] };
    };

    const renamed = await call('wooshpay', upstream, 'POST', `/${id}`, { name: 'Renamed Co' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(await cities()).toEqual({ local: ['Renamed Co', ''], remote: ['Renamed Co', ''] });

    const shown = await call('wooshpay', upstream, 'GET', `/${id}`, undefined);
    expect(shown.body.address).toMatchObject({ line1: '1 Main St', city: '' });
    const echoed = await call('wooshpay', upstream, 'POST', `/${id}`, { name: 'Again Co', address: shown.body.address });
    expect(echoed.status, JSON.stringify(echoed.body)).toBe(200);
    expect(echoed.body.address).toMatchObject({ city: '' });
    expect(await cities()).toEqual({ local: ['Again Co', ''], remote: ['Again Co', ''] });
  });
});

describe('proxy: a Meteroid address city "" is held where the provider holds "", else refused', () => {
  const oslo = { line1: '1 Main St', city: 'Oslo', country: 'NO' };
  const cityCo = (upstream: DialectName) => created('meteroid', upstream, { name: 'City Co', currency: 'USD', billing_address: oslo });

  it('into a Meteroid upstream: sent, held there as "", and answered "" as locally', async () => {
    const id = await cityCo('meteroid');
    const res = await call('meteroid', 'meteroid', 'PATCH', `/${encodeURIComponent(id)}`, { billing_address: { ...oslo, city: '' } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.billing_address).toMatchObject({ line1: '1 Main St', city: '' });
    const { local, remote } = await bothSides('meteroid', id);
    expect([local.address?.city, remote.address?.city]).toEqual(['', '']);
  });

  // Stripe's address[city]="" unsets it; Zenskar and Bigcapital read "" sent onto a city they hold as none.
  it.each(['wooshpay', 'connhex', 'zenskar', 'bigcapital'] as const)(
    'into a %s upstream holding a city: refused, naming billing_address.city, and neither side changes',
    async (upstream) => {
      const id = await cityCo(upstream);
      const body = await refusedUpdate('meteroid', upstream, id, { billing_address: { ...oslo, city: '' } }, 400);
      expect(JSON.stringify(body)).toContain('billing_address.city');
    },
  );
});

// Meteroid keeps a vat_number "" as given (a string; only null leaves it unchanged) and shows it
// back as "". The client half read that "" as no VAT number: the create was refused ("would keep []
// instead") and a provider's "" came back here as null, so the "" a client read did not stay.
describe('proxy: a Meteroid vat_number "" into a Meteroid upstream', () => {
  it('is created as "", held there as "", and written back as read changes nothing', async () => {
    const id = await created('meteroid', 'meteroid', { name: 'Blank VAT', currency: 'EUR', vat_number: '' });
    const blank = [{ type: 'VAT', value: '', country: null }];
    const { local, remote } = await bothSides('meteroid', id);
    expect([local.tax_ids, remote.tax_ids]).toEqual([blank, blank]);

    const shown = await call('meteroid', 'meteroid', 'GET', `/${id}`, undefined);
    expect(shown.body.vat_number).toBe('');
    const echoed = await call('meteroid', 'meteroid', 'PATCH', `/${id}`, { vat_number: shown.body.vat_number });
    expect(echoed.status, JSON.stringify(echoed.body)).toBe(200);
    expect(echoed.body).toEqual(shown.body);
    expect(await bothSides('meteroid', id)).toEqual({ local, remote, remoteUuid: expect.any(String) });
  });
});
