import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, type TestGateway, testGateway } from '../../test/support/gateway.ts';
import type { CustomerMeteroid } from './mapping.ts';
import { CustomerResponseMeteroid } from './seed-response.ts';

const base = '/api/v1/customers';
let gw: TestGateway;
let auth: Record<string, string>;
let wooshpayAuth: Record<string, string>;

beforeAll(async () => {
  gw = await testGateway();
  auth = { authorization: `Bearer ${gw.tenant.credentials.meteroid!.api_key}` };
  wooshpayAuth = { authorization: `Basic ${btoa(`${gw.tenant.credentials.wooshpay!.secret_key}:`)}` };
});

const call = (method: string, path: string, body?: unknown, headers = auth) =>
  gw.request(path, body === undefined ? { method, headers } : jsonInit(method, body, headers));
const patch = (ref: string, body: unknown, headers = auth) => call('PATCH', `${base}/${ref}`, body, headers);
const read = async (ref: string, headers = auth) =>
  (await call('GET', `${base}/${encodeURIComponent(ref)}`, undefined, headers)).json() as Promise<CustomerMeteroid>;

async function create(body: unknown = { name: 'Acme', currency: 'EUR' }): Promise<CustomerMeteroid> {
  const res = await call('POST', base, body);
  expect(res.status).toBe(201);
  return (await res.json()) as CustomerMeteroid;
}

async function ok(res: Response): Promise<CustomerMeteroid> {
  expect(res.status).toBe(200);
  const body = await res.json();
  expect(v.safeParse(CustomerResponseMeteroid, body).issues).toBeUndefined();
  return body as CustomerMeteroid;
}

describe('meteroid over HTTP: happy', () => {
  it('creates with 201 and finds the customer by cus_ id, raw UUID and alias, at the root and under /meteroid', async () => {
    const created = await create({ name: 'Acme', currency: 'USD', alias: 'acme-http' });
    expect(created).toMatchObject({ name: 'Acme', currency: 'USD', alias: 'acme-http', id: expect.stringMatching(/^cus_/) });
    const uuid = (await gw.canonical(created.id)).ids.uuid as string;
    for (const path of [`${base}/${created.id}`, `${base}/${uuid}`, `${base}/acme-http`, `/meteroid${base}/acme-http`]) {
      expect((await ok(await call('GET', path))).id).toBe(created.id);
    }
    expect((await ok(await call('PATCH', `/meteroid${base}/${uuid}`, { phone: '+1 555 0100' }))).phone).toBe('+1 555 0100');
  });

  it('finds the customer by an alias set through PATCH, and updates it by that alias', async () => {
    const { id } = await create();
    await ok(await patch(id, { alias: 'set-later' }));
    expect((await read('set-later')).id).toBe(id);
    const renamed = await ok(await patch('set-later', { name: 'Found By Alias' }));
    expect(renamed).toMatchObject({ id, name: 'Found By Alias', alias: 'set-later' });
  });

  it('leaves absent and null fields unchanged and stores ""', async () => {
    const { id } = await create({ name: 'Keep', currency: 'GBP', phone: '+44 20 7946 0000', billing_email: 'a@b.example' });
    const same = await ok(await patch(id, { name: null, phone: null, currency: null, billing_address: null }));
    expect(same).toMatchObject({ name: 'Keep', phone: '+44 20 7946 0000', currency: 'GBP', billing_email: 'a@b.example' });
    const emptied = await ok(await patch(id, { phone: '' }));
    expect(emptied).toMatchObject({ phone: '', billing_email: 'a@b.example', name: 'Keep' });
    expect(await gw.canonical(id)).toMatchObject({ phone: '', email: 'a@b.example' });
  });

  it('replaces billing_address whole and stores zip_code as the canonical postal_code', async () => {
    const { id } = await create();
    await ok(
      await patch(id, { billing_address: { line1: '1 Main St', line2: 'Floor 2', city: 'Berlin', zip_code: '10115', country: 'de' } }),
    );
    expect((await gw.canonical(id)).address).toMatchObject({ line1: '1 Main St', postal_code: '10115', country: 'DE' });
    const replaced = await ok(await patch(id, { billing_address: { city: 'Munich' } }));
    expect(replaced.billing_address).toEqual({ line1: null, line2: null, city: 'Munich', country: null, state: null, zip_code: null });
  });

  it('reads the billing address back as the shipping address when same_as_billing, through Meteroid and Wooshpay', async () => {
    const { id } = await create();
    const billing = { line1: '5 Quay St', city: 'Dublin', zip_code: 'D02', country: 'IE' };
    const res = await ok(
      await patch(id, { billing_address: billing, shipping_address: { same_as_billing: true, address: { city: 'Cork' } } }),
    );
    expect(res.shipping_address).toEqual({ same_as_billing: true, address: { line2: null, state: null, ...billing } });
    const woosh = (await (await call('GET', `/v1/customers/${id}`, undefined, wooshpayAuth)).json()) as { shipping: { address: unknown } };
    expect(woosh.shipping.address).toMatchObject({ line1: '5 Quay St', city: 'Dublin', postal_code: 'D02' });
    const own = await ok(await patch(id, { shipping_address: { same_as_billing: false, address: { city: 'Cork' } } }));
    expect(own.shipping_address).toEqual({ same_as_billing: false, address: expect.objectContaining({ city: 'Cork', line1: null }) });
  });

  it('replaces invoicing_emails and custom_taxes whole', async () => {
    const { id } = await create();
    await ok(
      await patch(id, {
        invoicing_emails: ['a@x.example', 'b@x.example'],
        custom_taxes: [{ name: 'City tax', rate: '0.05', tax_code: 'CT' }],
      }),
    );
    const res = await ok(await patch(id, { invoicing_emails: ['c@x.example'], custom_taxes: [] }));
    expect(res.invoicing_emails).toEqual(['c@x.example']);
    expect(res.custom_taxes).toEqual([]);
  });

  it('maps is_tax_exempt onto the canonical exemption and vat_number onto the VAT tax id', async () => {
    const { id } = await create();
    expect((await ok(await patch(id, { is_tax_exempt: true, vat_number: 'DE123456789' }))).is_tax_exempt).toBe(true);
    expect(await gw.canonical(id)).toMatchObject({ tax_exempt: 'exempt', tax_ids: [{ type: 'VAT', value: 'DE123456789', country: 'DE' }] });
    const res = await ok(await patch(id, { is_tax_exempt: false, vat_number: 'DE999999999' }));
    expect(res).toMatchObject({ is_tax_exempt: false, vat_number: 'DE999999999' });
    expect(await gw.canonical(id)).toMatchObject({ tax_exempt: 'none', tax_ids: [{ type: 'VAT', value: 'DE999999999' }] });
  });

  it('ignores unknown fields', async () => {
    const { id } = await create();
    const res = await ok(await patch(id, { name: 'Known', metadata: { a: 1 }, billing_address: { city: 'Oslo', planet: 'Earth' } }));
    expect(res.name).toBe('Known');
    expect(await gw.canonical(id)).toMatchObject({ metadata: {}, address: { city: 'Oslo' } });
  });

  it('updates a customer created through Wooshpay by its cus_ id; Wooshpay reads the change and keeps what Meteroid cannot show', async () => {
    const res = await gw.request('/v1/customers', {
      method: 'POST',
      headers: { ...wooshpayAuth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Jenny&email=jenny@example.com&description=VIP&metadata[plan]=gold&shipping[name]=Jenny+R&shipping[address][city]=Paris',
    });
    const { id } = (await res.json()) as { id: string };
    const shown = await read(id);
    // What Wooshpay stored shows through Meteroid; no currency given is the canonical default.
    expect(shown).toMatchObject({ id, name: 'Jenny', billing_email: 'jenny@example.com', currency: 'USD', invoicing_entity_id: '' });
    expect(v.safeParse(CustomerResponseMeteroid, shown).issues).toBeUndefined();

    await ok(await patch(id, { phone: '+33 6 00 00 00 00', shipping_address: { same_as_billing: false, address: { city: 'Lyon' } } }));
    const woosh = (await (await call('GET', `/v1/customers/${id}`, undefined, wooshpayAuth)).json()) as Record<string, unknown>;
    expect(woosh).toMatchObject({
      phone: '+33 6 00 00 00 00',
      description: 'VIP',
      metadata: { plan: 'gold' },
      shipping: { name: 'Jenny R', address: { city: 'Lyon' } },
    });
  });
});

describe('meteroid over HTTP: errors', () => {
  const expectError = async (res: Response, status: number, code: string, message?: string | RegExp) => {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { code: string; message: string };
    expect(Object.keys(body).sort()).toEqual(['code', 'message']);
    expect(body.code).toBe(code);
    if (message !== undefined) expect(body.message).toMatch(message);
    return body;
  };
  const raw = (ref: string, body: string, contentType: string) =>
    gw.request(`${base}/${ref}`, { method: 'PATCH', headers: { ...auth, 'content-type': contentType }, body });

  it('answers a body that is not JSON with 400 and writes nothing', async () => {
    const { id } = await create();
    const before = await gw.canonical(id);
    await expectError(await raw(id, '{"name": ', 'application/json'), 400, 'BAD_REQUEST', /^Invalid input: /);
    expect(await gw.canonical(id)).toEqual(before);
  });

  it('answers a wrong JSON type with 422, naming the field', async () => {
    const { id } = await create();
    await expectError(await patch(id, { name: 42 }), 422, 'BAD_REQUEST', /name/);
    await expectError(await patch(id, { shipping_address: { address: { city: 'x' } } }), 422, 'BAD_REQUEST', /same_as_billing/);
    await expectError(await raw(id, '["name"]', 'application/json'), 422, 'BAD_REQUEST', /JSON object/);
    await expectError(await patch(id, { billing_address: [] }), 422, 'BAD_REQUEST', /billing_address/);
  });

  // Meteroid's currency is an enum (the seed lists its codes): serde refuses a code outside it as
  // it refuses a wrong type, "unknown variant", a deserialisation error. It was a 400 "Invalid input".
  it('answers a currency outside its codes with 422, as a wrong type, and writes nothing', async () => {
    const { id } = await create();
    const before = await gw.canonical(id);
    for (const currency of ['eur', 'XYZ', 42]) {
      await expectError(
        await patch(id, { currency, name: 'Other' }),
        422,
        'BAD_REQUEST',
        /^Failed to deserialize the JSON body into the target type: currency: unknown variant/,
      );
    }
    await expectError(await call('POST', base, { name: 'Bad Currency', currency: 'XYZ' }), 422, 'BAD_REQUEST', /currency/);
    expect(await gw.canonical(id)).toEqual(before);
  });

  it('answers a Content-Type other than JSON with 415', async () => {
    const { id } = await create();
    await expectError(await raw(id, 'name=x', 'application/x-www-form-urlencoded'), 415, 'BAD_REQUEST', /application\/json/);
    await expectError(await raw(id, 'name', 'text/plain'), 415, 'BAD_REQUEST');
  });

  it('refuses a value outside the rules with 400 "Invalid input: …", naming the field', async () => {
    const { id } = await create();
    await expectError(await patch(id, { billing_address: { country: 'Narnia' } }), 400, 'BAD_REQUEST', /billing_address\.country/);
    await expectError(
      await patch(id, { custom_taxes: [{ name: 'T', rate: 'ten', tax_code: 'T' }] }),
      400,
      'BAD_REQUEST',
      /custom_taxes\[0\]\.rate/,
    );
    await expectError(await patch(id, { alias: '' }), 400, 'BAD_REQUEST', /alias/);
    await expectError(await patch(id, { alias: 'cus_lookslikeanid' }), 400, 'BAD_REQUEST', /^Invalid input: alias/);
  });

  it('requires name and currency on create (422)', async () => {
    await expectError(await call('POST', base, { name: 'No Currency' }), 422, 'BAD_REQUEST', /currency/);
    await expectError(await call('POST', base, { currency: 'EUR' }), 422, 'BAD_REQUEST', /name/);
  });

  it('answers an unknown id, UUID or alias with 404 "Resource not found"', async () => {
    for (const ref of ['cus_doesnotexist00', '00000000-0000-4000-8000-000000000000', 'no-such-alias']) {
      await expectError(await call('GET', `${base}/${ref}`), 404, 'NOT_FOUND', /^Resource not found$/);
      await expectError(await patch(ref, { name: 'x' }), 404, 'NOT_FOUND', /^Resource not found$/);
    }
  });

  it('refuses an alias another customer of the tenant has with 409 CONFLICT, writing nothing', async () => {
    await create({ name: 'First', currency: 'EUR', alias: 'taken' });
    const { id } = await create();
    const before = await gw.canonical(id);
    await expectError(await patch(id, { alias: 'taken', name: 'Second' }), 409, 'CONFLICT');
    expect(await gw.canonical(id)).toEqual(before);
    await expectError(await call('POST', base, { name: 'Third', currency: 'EUR', alias: 'taken' }), 409, 'CONFLICT');
  });
});

describe('meteroid over HTTP: security', () => {
  // The provider's message, then what was expected (a hint told from the request's shape alone).
  const unauthorized = { code: 'UNAUTHORIZED', message: expect.stringMatching(/^Invalid or missing Authorization header/) };

  it('answers a missing, malformed or unknown key with 401 and writes nothing', async () => {
    const { id } = await create({ name: 'Locked', currency: 'EUR' });
    const wooshpayKey = gw.tenant.credentials.wooshpay!.secret_key!;
    const attempts = [
      {},
      { authorization: 'Basic cHZfdGVzdF94Og==' },
      { authorization: 'Bearer pv_test_0000000000000000' },
      { authorization: `Bearer ${wooshpayKey}` },
    ];
    for (const headers of attempts) {
      const res = await patch(id, { name: 'Hijacked' }, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(unauthorized);
    }
    const res = await call('GET', `${base}/${id}`, undefined, {});
    expect([res.status, await res.json()]).toEqual([401, unauthorized]);
    expect((await read(id)).name).toBe('Locked');
  });

  it("never resolves another tenant's customer, by id, UUID or alias", async () => {
    const { id } = await create({ name: 'Mine', currency: 'EUR', alias: 'private-alias' });
    const uuid = (await gw.canonical(id)).ids.uuid as string;
    const other = { authorization: `Bearer ${gw.other.credentials.meteroid!.api_key}` };
    for (const ref of [id, uuid, 'private-alias']) {
      const res = await patch(ref, { name: 'Hijacked' }, other);
      expect([res.status, await res.json()]).toEqual([404, { code: 'NOT_FOUND', message: 'Resource not found' }]);
    }
    expect((await read(id)).name).toBe('Mine');
    // Aliases are unique per tenant only: the other tenant may use the same one for its own customer.
    const res = await call('POST', base, { name: 'Theirs', currency: 'EUR', alias: 'private-alias' }, other);
    expect(res.status).toBe(201);
    expect((await read('private-alias')).name).toBe('Mine');
  });
});
