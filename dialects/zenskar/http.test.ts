import { beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, type TestGateway, testGateway } from '../../test/support/gateway.ts';
import type { CustomerZenskar } from './mapping.ts';

// Zenskar through the whole gateway (app.request): auth headers, FastAPI errors, and customers
// shared with the other dialects.

let gw: TestGateway;
let auth: Record<string, string>;
let wooshpayAuth: Record<string, string>;

const zenskar = (method: string, path: string, body?: unknown, headers = auth) =>
  gw.request(`/zenskar/customers${path}`, body === undefined ? { method, headers } : jsonInit(method, body, headers));
const patch = (ref: string, body: unknown, headers = auth) => zenskar('PATCH', `/${ref}`, body, headers);
const read = async (ref: string, headers = auth) =>
  (await zenskar('GET', `/${ref}`, undefined, headers)).json() as Promise<CustomerZenskar>;

const shown = async (res: Response) => (await res.json()) as CustomerZenskar;
const detail = async <T = { loc: (string | number)[]; msg: string; type: string }[]>(res: Response) =>
  ((await res.json()) as { detail: T }).detail;

async function create(body: unknown = { customer_name: 'Ada Lovelace' }): Promise<CustomerZenskar> {
  const res = await zenskar('POST', '', body);
  expect(res.status).toBe(200);
  return (await res.json()) as CustomerZenskar;
}

/** Runs `during` and asserts the customer was not written (same canonical state and version). */
async function unchanged(uuid: string, during: () => Promise<void>) {
  const before = await gw.canonical(uuid);
  await during();
  expect(await gw.canonical(uuid)).toEqual(before);
}

beforeAll(async () => {
  gw = await testGateway();
  const issued = gw.tenant.credentials.zenskar!;
  auth = { 'x-api-key': issued.api_key!, organisation: issued.organisation! };
  wooshpayAuth = { authorization: `Basic ${btoa(`${gw.tenant.credentials.wooshpay!.secret_key}:`)}` };
});

describe('happy', () => {
  it('issues an API key and the tenant UUID as organisation', () => {
    expect(gw.tenant.credentials.zenskar).toEqual({ api_key: expect.stringMatching(/^zsk_\w{48}$/), organisation: gw.tenant.tenant.id });
  });

  it('updates through Zenskar, by UUID, a customer created through Wooshpay, and Wooshpay reads the change', async () => {
    const created = await gw.request('/v1/customers', jsonInit('POST', { name: 'Jenny Rosen', email: 'jenny@example.com' }, wooshpayAuth));
    const { id } = (await created.json()) as { id: string };
    const uuid = (await gw.canonical(id)).ids.uuid as string;

    const res = await patch(uuid, {
      customer_name: 'Jenny Appleseed',
      phone_number: '+15555550199',
      address: { line1: '1 Infinite Loop', zipCode: '95014', country: 'United States' },
      custom_data: { plan: 'pro' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: uuid, customer_name: 'Jenny Appleseed', email: 'jenny@example.com' });

    const back = await (await gw.request(`/v1/customers/${id}`, { headers: wooshpayAuth })).json();
    expect(back).toMatchObject({
      id,
      name: 'Jenny Appleseed',
      email: 'jenny@example.com',
      phone: '+15555550199',
      address: { line1: '1 Infinite Loop', postal_code: '95014', country: 'US' },
      metadata: { plan: 'pro' },
    });
  });

  it('shows what Wooshpay stored that it has, and keeps what it cannot show', async () => {
    const created = await gw.request(
      '/v1/customers',
      jsonInit(
        'POST',
        {
          name: 'Dock Co',
          metadata: { tier: 'gold' },
          shipping: { name: 'Receiving', phone: '+4930123', address: { line1: 'Hafenstr. 1', city: 'Berlin', country: 'DE' } },
        },
        wooshpayAuth,
      ),
    );
    const { id } = (await created.json()) as { id: string };
    const uuid = (await gw.canonical(id)).ids.uuid as string;
    expect(await read(uuid)).toMatchObject({
      customer_name: 'Dock Co',
      custom_data: { tier: 'gold' },
      ship_to_address: { line1: 'Hafenstr. 1', city: 'Berlin', country: 'Germany', country_code: 'DE' },
    });

    expect((await patch(uuid, { ship_to_address: null })).status).toBe(200);
    const shipping = (await (await gw.request(`/v1/customers/${id}`, { headers: wooshpayAuth })).json()) as { shipping: unknown };
    expect(shipping.shipping).toEqual({ name: 'Receiving', phone: '+4930123', address: null });
  });

  it('leaves absent fields alone, clears with null and resets flags to their default', async () => {
    const c = await create({
      customer_name: 'Grace Hopper',
      external_id: 'crm-grace',
      email: 'grace@example.com',
      phone_number: '+15555550111',
      communications_enabled: false,
      connector: { name: 'stripe', reference_id: 'cus_123' },
      tax_info: [{ country_code: 'US', tax_code: 'EIN', tax_id: '12-3456789' }],
      business_entity_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    });
    const renamed = await shown(await patch(c.id, { customer_name: 'Rear Admiral Hopper' }));
    expect(renamed).toMatchObject({ ...c, customer_name: 'Rear Admiral Hopper' });

    const cleared = await shown(
      await patch(c.id, {
        external_id: null,
        email: null,
        phone_number: null,
        communications_enabled: null,
        tax_info: null,
        business_entity_id: null,
        connector: null,
      }),
    );
    expect(cleared).toMatchObject({
      customer_name: 'Rear Admiral Hopper',
      external_id: null,
      email: null,
      phone_number: null,
      communications_enabled: true,
      tax_info: [],
      business_entity_id: null,
    });
    expect((await gw.canonical(c.id)).connector).toBeNull();
  });

  it('takes a business_entity_id in every form a pydantic UUID takes, and shows it hyphenated, lower case', async () => {
    const c = await create({ customer_name: 'Entity Co' });
    const hyphenated = '0f8fad5b-d9cb-469f-a165-70867728950e';
    for (const form of [
      '0F8FAD5BD9CB469FA16570867728950E',
      '{0f8fad5b-d9cb-469f-a165-70867728950e}',
      'urn:uuid:0F8FAD5B-D9CB-469F-A165-70867728950E',
    ]) {
      await patch(c.id, { business_entity_id: null });
      const res = await patch(c.id, { business_entity_id: form });
      expect(res.status, form).toBe(200);
      expect(((await res.json()) as { business_entity_id: unknown }).business_entity_id).toBe(hyphenated);
    }
    for (const bad of [
      '0f8fad5b-d9cb-469f-a165-70867728950',
      '{0f8fad5bd9cb469fa16570867728950e',
      'urn:0f8fad5b-d9cb-469f-a165-70867728950e',
    ]) {
      const res = await patch(c.id, { business_entity_id: bad });
      expect(res.status, bad).toBe(422);
      expect(JSON.stringify(await res.json())).toContain('uuid_parsing');
    }
  });

  it('replaces custom_data whole', async () => {
    const c = await create({ customer_name: 'Map', custom_data: { a: 1, b: { nested: true } } });
    expect(c.custom_data).toEqual({ a: 1, b: { nested: true } });
    expect((await shown(await patch(c.id, { custom_data: { c: 'x' } }))).custom_data).toEqual({ c: 'x' });
    expect((await shown(await patch(c.id, { custom_data: null }))).custom_data).toEqual({});
  });

  it('patches the address member by member and keeps country name and code consistent', async () => {
    const c = await create({
      customer_name: 'Addr',
      address: { line1: '10 Downing St', line3: 'Whitehall', city: 'London', zipCode: 'SW1A 2AA', country_code: 'gb' },
    });
    expect(c.address).toMatchObject({ line1: '10 Downing St', line3: 'Whitehall', country: 'United Kingdom', country_code: 'GB' });
    const moved = await shown(await patch(c.id, { address: { city: 'Paris', zipCode: null, country: 'France' } }));
    expect(moved.address).toMatchObject({
      line1: '10 Downing St',
      line3: 'Whitehall',
      city: 'Paris',
      zipCode: null,
      country: 'France',
      country_code: 'FR',
    });
    expect((await shown(await patch(c.id, { address: null }))).address).toBeNull();
  });

  it('resolves an external_id in the path, and answers at the root /customers with x-api-key', async () => {
    const c = await create({ customer_name: 'Ext', external_id: 'erp/42 ü' });
    const ref = encodeURIComponent('erp/42 ü');
    expect((await read(ref)).id).toBe(c.id);
    const res = await gw.request(`/customers/${ref}`, jsonInit('PATCH', { phone_number: '+100' }, auth));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: c.id, phone_number: '+100' });
    const rootCreate = await gw.request('/customers', jsonInit('POST', { customer_name: 'Root' }, auth));
    expect(rootCreate.status).toBe(200);
  });

  it("opens the gateway's own API with the same two headers", async () => {
    const c = await create({ customer_name: 'Canonical' });
    const res = await gw.request(`/gateway/v1/customers/${c.id}`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ids: { uuid: c.id }, name: 'Canonical' });
  });

  it('accepts apiversion 20240301 and ignores unknown properties', async () => {
    const c = await create();
    const res = await patch(c.id, { customer_name: 'Versioned', not_a_field: 1 }, { ...auth, apiversion: '20240301' });
    expect(res.status).toBe(200);
    expect((await shown(res)).customer_name).toBe('Versioned');
    expect((await zenskar('GET', `/${c.id}`, undefined, { ...auth, apiversion: '20240301' })).status).toBe(200);
  });
});

describe('errors', () => {
  it('lists every invalid field in one FastAPI 422, and writes nothing', async () => {
    const c = await create();
    await unchanged(c.id, async () => {
      const res = await patch(c.id, {
        customer_name: 'Never written',
        external_id: 'x'.repeat(256),
        email: 'not-an-email',
        business_entity_id: 'nope',
        auto_charge_enabled: 'sometimes',
        address: { country: 'Atlantis', country_code: 'US', zipCode: 12345 },
        tax_info: [{ country_code: 'XX', tax_id: 'T1' }],
      });
      expect(res.status).toBe(422);
      const issues = await detail(res);
      expect(issues.map((d) => [d.loc.join('.'), d.type])).toEqual([
        ['body.external_id', 'string_too_long'],
        ['body.address.zipCode', 'string_type'],
        ['body.tax_info.0.country_code', 'value_error'],
        ['body.email', 'value_error'],
        ['body.auto_charge_enabled', 'bool_parsing'],
        ['body.business_entity_id', 'uuid_parsing'],
      ]);
      for (const d of issues) expect(d.msg).toEqual(expect.any(String));
    });
  });

  it('reads a boolean from what pydantic’s lax mode takes ("true", "off", 1, 0) and refuses the rest as pydantic does', async () => {
    const c = await create();
    for (const [sent, stored] of [
      ['false', false],
      ['TRUE', true],
      ['off', false],
      ['Y', true],
      [0, false],
      [1, true],
    ] as const) {
      const res = await patch(c.id, { communications_enabled: sent, auto_charge_enabled: sent });
      expect(res.status, JSON.stringify(sent)).toBe(200);
      expect(await shown(res)).toMatchObject({ communications_enabled: stored, auto_charge_enabled: stored });
    }
    await unchanged(c.id, async () => {
      const res = await patch(c.id, { communications_enabled: 'maybe', auto_charge_enabled: 2 });
      expect(res.status).toBe(422);
      expect((await detail(res)).map((d) => [d.loc.join('.'), d.type])).toEqual([
        ['body.communications_enabled', 'bool_parsing'],
        ['body.auto_charge_enabled', 'bool_parsing'],
      ]);
      const wrongType = await patch(c.id, { communications_enabled: {} });
      expect((await detail(wrongType)).map((d) => d.type)).toEqual(['bool_type']);
    });
  });

  it('takes an address whose country and country_code disagree (the Zenskar API reference does not tie them): the code wins, the text is kept', async () => {
    const c = await create();
    const res = await patch(c.id, { address: { country: 'Germany', country_code: 'FR' } });
    expect(res.status).toBe(200);
    expect((await res.json()).address).toMatchObject({ country: 'Germany', country_code: 'FR' });
  });

  it('answers malformed JSON and a non-object body as FastAPI does', async () => {
    const c = await create();
    await unchanged(c.id, async () => {
      const bad = await gw.request(`/zenskar/customers/${c.id}`, {
        method: 'PATCH',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"customer_name": ',
      });
      expect(bad.status).toBe(422);
      expect(await bad.json()).toEqual({ detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
      const list = await patch(c.id, ['customer_name']);
      expect(list.status).toBe(422);
      expect(await detail(list)).toEqual([
        { loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' },
      ]);
    });
  });

  it('requires customer_name on create', async () => {
    const res = await zenskar('POST', '', { email: 'a@example.com' });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ detail: [{ loc: ['body', 'customer_name'], msg: 'Field required', type: 'missing' }] });
  });

  it('answers an unknown customer or route with 404 {"detail":"Not Found"}', async () => {
    for (const res of [
      await zenskar('GET', '/00000000-0000-4000-8000-000000000000'),
      await patch('no-such-external-id', { customer_name: 'x' }),
      await zenskar('GET', '/a/b'),
    ]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ detail: 'Not Found' });
    }
  });

  it('refuses an external_id another customer of the tenant has with 409, and writes nothing', async () => {
    await create({ customer_name: 'First', external_id: 'dup-1' });
    const second = await create({ customer_name: 'Second' });
    await unchanged(second.id, async () => {
      const res = await patch(second.id, { external_id: 'dup-1', customer_name: 'Not saved' });
      expect(res.status).toBe(409);
      expect(await res.json()).toEqual({ detail: expect.stringContaining('external_id') });
    });
    const dupCreate = await zenskar('POST', '', { customer_name: 'Third', external_id: 'dup-1' });
    expect(dupCreate.status).toBe(409);
  });

  it('refuses an apiversion it does not speak with a 400 naming the supported one, on reads and writes', async () => {
    const c = await create();
    await unchanged(c.id, async () => {
      const res = await patch(c.id, { customer_name: 'x' }, { ...auth, apiversion: '20990101' });
      expect(res.status).toBe(400);
      expect(await detail<string>(res)).toMatch(/20990101.*20240301/);
    });
    expect((await zenskar('GET', `/${c.id}`, undefined, { ...auth, apiversion: 'latest' })).status).toBe(400);
  });
});

describe('security', () => {
  it('answers 401 without a key, with an unknown key, without organisation, or with another dialect’s key', async () => {
    const c = await create();
    const wooshpayKey = gw.tenant.credentials.wooshpay!.secret_key!;
    await unchanged(c.id, async () => {
      for (const headers of [
        { organisation: auth.organisation! },
        { 'x-api-key': 'zsk_unknown', organisation: auth.organisation! },
        { 'x-api-key': auth['x-api-key']! },
        { 'x-api-key': wooshpayKey, organisation: auth.organisation! },
      ]) {
        const res = await patch(c.id, { customer_name: 'hijack' }, headers);
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ message: expect.stringMatching(/^Unauthorized/) });
      }
    });
  });

  it('answers 403 with an explicit deny when organisation is not the key’s tenant', async () => {
    const c = await create();
    await unchanged(c.id, async () => {
      for (const organisation of [gw.other.tenant.id, 'not-a-uuid']) {
        for (const res of [
          await patch(c.id, { customer_name: 'hijack' }, { ...auth, organisation }),
          await zenskar('GET', `/${c.id}`, undefined, { ...auth, organisation }),
        ]) {
          expect(res.status).toBe(403);
          expect(await res.json()).toEqual({ Message: 'User is not authorized to access this resource with an explicit deny' });
        }
      }
    });
  });

  it("answers another tenant's customer exactly as a missing one", async () => {
    const c = await create({ customer_name: 'Mine', external_id: 'mine-1' });
    const issued = gw.other.credentials.zenskar!;
    const other = { 'x-api-key': issued.api_key!, organisation: issued.organisation! };
    await unchanged(c.id, async () => {
      for (const ref of [c.id, 'mine-1']) {
        const res = await patch(ref, { customer_name: 'hijack' }, other);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ detail: 'Not Found' });
        const got = await zenskar('GET', `/${ref}`, undefined, other);
        expect(got.status).toBe(404);
        expect(await got.json()).toEqual({ detail: 'Not Found' });
      }
    });
    // The other tenant may use the same external_id: uniqueness is per tenant.
    expect((await zenskar('POST', '', { customer_name: 'Theirs', external_id: 'mine-1' }, other)).status).toBe(200);
  });
});
