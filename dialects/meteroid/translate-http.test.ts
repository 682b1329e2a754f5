import { beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, type TestGateway, testGateway } from '../../test/support/gateway.ts';
import { fixturesWooshpay } from '../wooshpay/fixtures.ts';
import { fixturesMeteroid } from './fixtures.ts';
import type { CustomerMeteroid } from './mapping.ts';

// Translation into and out of Meteroid over HTTP, and the translated bodies sent to the real
// update endpoints: a translation is only useful if the target dialect takes what it produces.

let gw: TestGateway;
let gatewayAuth: Record<string, string>;
let meteroidAuth: Record<string, string>;
let wooshpayAuth: Record<string, string>;

beforeAll(async () => {
  gw = await testGateway();
  gatewayAuth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` };
  meteroidAuth = fixturesMeteroid.auth(gw.tenant.credentials.meteroid!);
  wooshpayAuth = fixturesWooshpay.auth(gw.tenant.credentials.wooshpay!);
});

interface Translated {
  body: Record<string, unknown>;
  losses: { field: string; kind: string; message: string }[];
}

async function translate(query: string, body: unknown): Promise<Translated> {
  const res = await gw.request(`/gateway/v1/translate?${query}`, jsonInit('POST', body, gatewayAuth));
  expect(res.status).toBe(200);
  return (await res.json()) as Translated;
}

const kinds = (t: Translated) => t.losses.map((l) => `${l.field}:${l.kind}`);

async function send(method: string, path: string, body: unknown, headers: Record<string, string>, status = 200) {
  const res = await gw.request(path, jsonInit(method, body, headers));
  const json = await res.json();
  expect(res.status, JSON.stringify(json)).toBe(status);
  return json as Record<string, unknown>;
}

const createMeteroid = async () =>
  (await send('POST', '/api/v1/customers', { name: 'Acme', currency: 'EUR' }, meteroidAuth, 201)) as unknown as CustomerMeteroid;

describe('translate into Meteroid over HTTP', () => {
  it('turns the Wooshpay example update into a Meteroid body, reporting what Meteroid cannot carry', async () => {
    const result = await translate('from=wooshpay&to=meteroid', fixturesWooshpay.update);
    expect(result.body).toEqual({
      name: 'Jenny Rosen',
      billing_email: 'jenny@example.com',
      phone: '+15555550123',
      billing_address: { line1: '510 Townsend St', city: 'San Francisco', state: 'CA', zip_code: '94103', country: 'US' },
    });
    expect(kinds(result).sort()).toEqual(['address:inexpressible', 'description:unsupported', 'metadata:unsupported']);
  });

  it('reports a clear Meteroid cannot express, and refuses it when strict', async () => {
    const result = await translate('from=wooshpay&to=meteroid', { name: 'A', phone: '' });
    expect(result.body).toEqual({ name: 'A' });
    expect(kinds(result)).toEqual(['phone:inexpressible']);
    const strict = await gw.request(
      '/gateway/v1/translate?from=wooshpay&to=meteroid&strict=true',
      jsonInit('POST', { phone: '' }, gatewayAuth),
    );
    expect(strict.status).toBe(422);
    expect(await strict.json()).toMatchObject({
      error: { code: 'lossy_translation', losses: [{ field: 'phone', kind: 'inexpressible' }] },
    });
  });

  it('gives a body Meteroid accepts, with the same effect as the Wooshpay update on the fields both carry', async () => {
    const viaMeteroid = await createMeteroid();
    const viaWooshpay = await createMeteroid();
    const { body } = await translate('from=wooshpay&to=meteroid', fixturesWooshpay.update);
    const shown = await send('PATCH', `/api/v1/customers/${viaMeteroid.id}`, body, meteroidAuth);
    expect(shown).toMatchObject({
      name: 'Jenny Rosen',
      billing_email: 'jenny@example.com',
      phone: '+15555550123',
      billing_address: { line1: '510 Townsend St', line2: null, city: 'San Francisco', state: 'CA', zip_code: '94103', country: 'US' },
    });
    await send('POST', `/v1/customers/${viaWooshpay.id}`, fixturesWooshpay.update, wooshpayAuth);
    const [a, b] = [await gw.canonical(viaMeteroid.id), await gw.canonical(viaWooshpay.id)];
    for (const field of ['name', 'email', 'phone', 'address', 'currency']) expect(a[field], field).toEqual(b[field]);
  });

  it('clears a whole address and sends a shipping address that Meteroid accepts', async () => {
    const customer = await createMeteroid();
    await send('PATCH', `/api/v1/customers/${customer.id}`, { billing_address: { city: 'Paris', country: 'FR' } }, meteroidAuth);
    const result = await translate('from=wooshpay&to=meteroid', {
      address: '',
      shipping: { name: 'Dock 4', address: { line1: '1 Quai', city: 'Lyon', country: 'FR' } },
    });
    expect(result.body).toEqual({
      billing_address: {},
      shipping_address: { same_as_billing: false, address: { line1: '1 Quai', city: 'Lyon', country: 'FR' } },
    });
    // Wooshpay's shipping keeps what it cannot show, so it is a member-by-member change, and an
    // emptied address keeps what Meteroid cannot clear: each is reported.
    expect(kinds(result)).toEqual(
      expect.arrayContaining(['shipping.name:unsupported', 'address.line3:inexpressible', 'address.country_name:inexpressible']),
    );
    const shown = await send('PATCH', `/api/v1/customers/${customer.id}`, result.body, meteroidAuth);
    expect(shown).toMatchObject({
      billing_address: null,
      shipping_address: { same_as_billing: false, address: { line1: '1 Quai', city: 'Lyon', country: 'FR', zip_code: null } },
    });
  });
});

describe('translate out of Meteroid over HTTP', () => {
  it('turns the Meteroid example update into a Wooshpay body that Wooshpay accepts', async () => {
    const result = await translate('from=meteroid&to=wooshpay', fixturesMeteroid.update);
    expect(result.body).toMatchObject({
      name: 'Acme Corporation',
      email: 'accounts@acme.example',
      phone: '+33 1 23 45 67 89',
      address: { line1: '10 Rue de Rivoli', city: 'Paris', postal_code: '75004', country: 'FR' },
    });
    expect(kinds(result)).toEqual(expect.arrayContaining(['invoicing_emails:unsupported', 'currency:unsupported', 'tax_ids:unsupported']));
    const created = await send('POST', '/v1/customers', fixturesWooshpay.create, wooshpayAuth);
    const shown = await send('POST', `/v1/customers/${String(created.id)}`, result.body, wooshpayAuth);
    expect(shown).toMatchObject({
      name: 'Acme Corporation',
      email: 'accounts@acme.example',
      phone: '+33 1 23 45 67 89',
      address: { line1: '10 Rue de Rivoli', line2: null, city: 'Paris', state: null, postal_code: '75004', country: 'FR' },
    });
  });

  it('translates the Meteroid example into Meteroid unchanged, and Meteroid accepts it', async () => {
    const result = await translate('from=meteroid&to=meteroid', fixturesMeteroid.update);
    expect(result.body).toEqual(fixturesMeteroid.update);
    const customer = await createMeteroid();
    expect(await send('PATCH', `/api/v1/customers/${customer.id}`, result.body, meteroidAuth)).toMatchObject(fixturesMeteroid.update);
  });
});
