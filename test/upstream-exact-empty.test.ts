import { describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { jsonInit } from './support/gateway.ts';
import { proxyRig } from './support/upstream-exact.ts';

// "A 200 means it is so" for a "" (phone, address member, VAT number): one a provider holds as
// given is read back and written back as "", and one it would read as none is refused before
// anything is sent, in the client's envelope, neither side changing. The values no upstream can
// hold as given: test/upstream-exact.test.ts. A second custgate process plays the provider.

const { rig, call, created, bothSides, refusedUpdate } = proxyRig();

describe('proxy: a Meteroid phone "" is answered as the local store answers it, or refused', () => {
  /** The local store's answer to a Meteroid PATCH of phone "" (no upstream): the string as given. */
  async function localAnswer() {
    const meteroid = dialects.meteroid;
    const auth = fixturesOf(meteroid).auth(rig.gw.tenant.credentials.meteroid!);
    const path = `${meteroid.routes.prefix}${meteroid.routes.collection}`;
    const made = await rig.gw.request(path, jsonInit('POST', { name: 'Phone Co', currency: 'EUR', phone: '+33 1 23' }, auth));
    const id = fixturesOf(meteroid).idOf((await made.json()) as Record<string, unknown>);
    const res = await rig.gw.request(`${path}/${id}`, jsonInit('PATCH', { phone: '' }, auth));
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
      `${rig.provider.baseUrl('meteroid')}${meteroid.routes.collection}/${remoteUuid}`,
      jsonInit('PATCH', { phone: '' }, fixturesOf(meteroid).auth(rig.provider.credentials.meteroid)),
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
    const key = rig.gw.tenant.credentials.wooshpay!.secret_key!;
    const res = await rig.gw.request(
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
      `${rig.provider.baseUrl('meteroid')}${meteroid.routes.collection}/${remoteUuid}`,
      jsonInit(
        'PATCH',
        { billing_address: { line1: '1 Main St', city: '', country: 'NO' } },
        fixturesOf(meteroid).auth(rig.provider.credentials.meteroid),
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
