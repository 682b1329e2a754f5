import { SignJWT, UnsecuredJWT } from 'jose';
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, type TestGateway, tenantSigningKey, testGateway } from '../../test/support/gateway.ts';
import { CustomerResponseBigcapital } from './seed-response.ts';

// Through the whole app (app.request): routing, both auth forms, validation, the store, and the
// other dialects reading what Bigcapital wrote.

let gw: TestGateway;
let keyAuth: Record<string, string>;
let jwtAuth: Record<string, string>;
let wooshpayAuth: Record<string, string>;

// The provider's message, then what was expected (a hint told from the request's shape alone).
const unauthorized = { statusCode: 401, message: expect.stringMatching(/^Unauthorized/) };
const notFound = { statusCode: 404, message: 'NotFoundError' };
const base = { customerType: 'business', displayName: 'Acme Corporation' } as const;

const put = (path: string, body: unknown, headers = keyAuth) => gw.request(path, jsonInit('PUT', body, headers));
const get = (path: string, headers = keyAuth) => gw.request(path, { headers });

/** A customer created through Wooshpay: its cus_ id and its Bigcapital number. */
async function wooshpayCustomer(body: Record<string, string>) {
  const res = await gw.request('/v1/customers', jsonInit('POST', body, wooshpayAuth));
  expect(res.status).toBe(200);
  const { id } = (await res.json()) as { id: string };
  const canonical = await gw.canonical(id);
  return { id, number: canonical.ids.number as number };
}

/** A token as the gateway signs them for Bigcapital, with the given changes. */
async function token(options: { organizations?: unknown; secret?: string; audience?: string; expiresAt?: number; kid?: string } = {}) {
  const kid = options.kid ?? gw.tenant.tenant.id;
  const key = options.secret === undefined ? await tenantSigningKey(gw.store, kid) : new TextEncoder().encode(options.secret);
  return new SignJWT({ organizations: options.organizations ?? [gw.tenant.tenant.id] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })
    .setIssuer('custgate')
    .setAudience(options.audience ?? 'custgate:bigcapital')
    .setSubject('user_test')
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 600)
    .sign(key);
}

beforeAll(async () => {
  gw = await testGateway();
  const issued = gw.tenant.credentials.bigcapital!;
  keyAuth = { authorization: `Bearer ${issued.api_key}` };
  jwtAuth = { authorization: `Bearer ${issued.jwt}`, 'organization-id': issued.organization_id! };
  wooshpayAuth = { authorization: `Basic ${btoa(`${gw.tenant.credentials.wooshpay!.secret_key}:`)}` };
});

describe('happy', () => {
  it('issues a bc_ key, a JWT and the organization id at tenant creation', () => {
    const issued = gw.tenant.credentials.bigcapital!;
    expect(issued.api_key).toMatch(/^bc_[0-9a-f]{96}$/);
    expect(issued.organization_id).toBe(gw.tenant.tenant.id);
    const claims = JSON.parse(atob(issued.jwt!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    expect(claims.organizations).toEqual([gw.tenant.tenant.id]);
    expect(claims.exp as number).toBe((claims.iat as number) + 30 * 24 * 3600);
  });

  it('updates a Wooshpay customer by number with both auth forms; Wooshpay and the gateway read the change', async () => {
    const { id, number } = await wooshpayCustomer({ name: 'Jenny Rosen', email: 'jenny@example.com', phone: '+15555550100' });
    expect(number).toBeGreaterThan(0);

    const byKey = await put(`/api/customers/${number}`, {
      ...base,
      displayName: 'Jenny Rosen Ltd',
      billingAddress1: '123 Business Ave',
      billingAddressCity: 'New York',
      billingAddressZipcode: '10001',
      billingAddressCountry: 'United States',
    });
    expect(byKey.status).toBe(200);
    const shown = (await byKey.json()) as Record<string, unknown>;
    expect(v.safeParse(CustomerResponseBigcapital, shown).issues).toBeUndefined();
    expect(shown).toMatchObject({
      id: number,
      displayName: 'Jenny Rosen Ltd',
      billingAddressPostcode: '10001',
      email: 'jenny@example.com',
    });

    const byJwt = await put(
      `/bigcapital/api/customers/${number}`,
      { ...base, displayName: 'Jenny Rosen Ltd', workPhone: '+1 555 0199' },
      jwtAuth,
    );
    expect(byJwt.status).toBe(200);
    expect(await byJwt.json()).toMatchObject({ workPhone: '+1 555 0199', billingAddressCountry: 'United States' });

    const woosh = (await (await gw.request(`/v1/customers/${id}`, { headers: wooshpayAuth })).json()) as Record<string, unknown>;
    expect(woosh).toMatchObject({
      name: 'Jenny Rosen Ltd',
      phone: '+1 555 0199',
      email: 'jenny@example.com',
      address: { line1: '123 Business Ave', city: 'New York', postal_code: '10001', country: 'US' },
    });
    const canonical = await gw.canonical(String(number));
    expect(canonical).toMatchObject({ customer_type: 'business', name: 'Jenny Rosen Ltd', phone: '+1 555 0199' });
  });

  it('shows a name set through Wooshpay as the displayName, and reads under both mounts', async () => {
    const { id, number } = await wooshpayCustomer({ name: 'Set Elsewhere' });
    await gw.request(`/v1/customers/${id}`, jsonInit('POST', { description: 'from wooshpay' }, wooshpayAuth));
    for (const path of [`/api/customers/${number}`, `/bigcapital/api/customers/${number}`]) {
      const res = await get(path, jwtAuth);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ id: number, displayName: 'Set Elsewhere', note: 'from wooshpay' });
    }
  });

  it('leaves absent fields, clears null ones, ignores unknown and read-only ones', async () => {
    const { number } = await wooshpayCustomer({ name: 'Keep Me', phone: '+15555550100', email: 'keep@example.com' });
    const res = await put(`/api/customers/${number}`, {
      ...base,
      email: null,
      balance: 999,
      currencyCode: 'EUR',
      createdAt: '2000-01-01T00:00:00Z',
      favouriteColour: 'blue',
    });
    expect(res.status).toBe(200);
    const shown = (await res.json()) as Record<string, unknown>;
    expect(shown).toMatchObject({ workPhone: '+15555550100', balance: 0, currencyCode: 'USD' });
    expect(shown).not.toHaveProperty('email');
    expect(shown.createdAt).not.toBe('2000-01-01T00:00:00Z');
    const canonical = await gw.canonical(String(number));
    // No currency given: the canonical default (docs/seams.md), which every dialect shows.
    expect(canonical).toMatchObject({ email: null, phone: '+15555550100', currency: 'USD', balance: 0, metadata: {} });
  });

  it('creates with POST /api/customers (201) and reads it back by its number', async () => {
    const res = await gw.request(
      '/api/customers',
      jsonInit('POST', { ...base, companyName: 'Acme', currencyCode: 'EUR', shippingAddressCountry: 'Germany' }, jwtAuth),
    );
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: number };
    const read = await get(`/api/customers/${created.id}`);
    expect(await read.json()).toMatchObject({
      id: created.id,
      currencyCode: 'EUR',
      companyName: 'Acme',
      shippingAddressCountry: 'Germany',
    });
  });
});

describe('errors', () => {
  let number: number;
  beforeAll(async () => {
    number = (await wooshpayCustomer({ name: 'Error Target' })).number;
  });

  it('lists every invalid property in the 400 envelope and writes nothing', async () => {
    const before = await gw.canonical(String(number));
    const res = await put(`/api/customers/${number}`, {
      customerType: '',
      email: '',
      billingAddressEmail: '',
      shippingAddressEmail: '',
      active: 'yes',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: [
        { property: 'customerType', value: '', constraints: { isNotEmpty: 'customerType should not be empty' } },
        { property: 'displayName', constraints: { isNotEmpty: 'displayName should not be empty' } },
        { property: 'email', value: '', constraints: { isEmail: 'email must be an email' } },
        { property: 'active', value: 'yes', constraints: { isBoolean: 'active must be a boolean value' } },
        { property: 'billingAddressEmail', value: '', constraints: { isEmail: 'billingAddressEmail must be an email' } },
        { property: 'shippingAddressEmail', value: '', constraints: { isEmail: 'shippingAddressEmail must be an email' } },
      ],
    });
    expect(await gw.canonical(String(number))).toEqual(before);
  });

  it('refuses a wrong type with isString', async () => {
    const res = await put(`/api/customers/${number}`, { ...base, workPhone: 5551234 });
    expect(await res.json()).toMatchObject({
      message: [{ property: 'workPhone', value: 5551234, constraints: { isString: 'workPhone must be a string' } }],
    });
  });

  it('answers a non-numeric, zero or unknown id with 404 NotFoundError, never 500', async () => {
    for (const id of ['abc', '0', '-1', '1.5', '1e3', '99999999999999999999', 'cus_x', '999999']) {
      const read = await get(`/api/customers/${id}`);
      expect([read.status, await read.json()]).toEqual([404, notFound]);
      const write = await put(`/api/customers/${id}`, base);
      expect([write.status, await write.json()]).toEqual([404, notFound]);
    }
  });

  it('answers a malformed body, a too large one and a stale If-Match in the NestJS envelope', async () => {
    const malformed = await gw.request(`/api/customers/${number}`, {
      method: 'PUT',
      headers: { ...keyAuth, 'content-type': 'application/json' },
      body: '{"displayName": ',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.any(String) });

    const large = await put(`/api/customers/${number}`, { ...base, note: 'x'.repeat(gw.config.bodyLimitBytes) });
    expect([large.status, await large.json()]).toEqual([413, { statusCode: 413, error: 'Payload Too Large', message: expect.any(String) }]);

    const stale = await put(`/api/customers/${number}`, base, { ...keyAuth, 'if-match': '"v0"' });
    expect([stale.status, await stale.json()]).toEqual([
      412,
      { statusCode: 412, error: 'Precondition Failed', message: expect.any(String) },
    ]);
  });

  it('refuses a body that is not an object, a prototype key and a non-JSON content type in its envelopes', async () => {
    const list = await put(`/api/customers/${number}`, 'just text');
    expect([list.status, await list.json()]).toEqual([
      400,
      {
        statusCode: 400,
        error: 'Bad Request',
        message: [{ property: 'body', value: 'just text', constraints: { isObject: 'body must be an object' } }],
      },
    ]);
    const proto = await gw.request(`/api/customers/${number}`, {
      method: 'PUT',
      headers: { ...keyAuth, 'content-type': 'application/json' },
      body: '{"customerType":"business","displayName":"x","__proto__":{"active":false}}',
    });
    expect(await proto.json()).toMatchObject({
      statusCode: 400,
      message: [{ property: '__proto__', constraints: { whitelistValidation: 'property __proto__ should not exist' } }],
    });
    const text = await gw.request(`/api/customers/${number}`, {
      method: 'PUT',
      headers: { ...keyAuth, 'content-type': 'text/plain' },
      body: JSON.stringify(base),
    });
    expect([text.status, await text.json()]).toEqual([
      415,
      { statusCode: 415, error: 'Unsupported Media Type', message: expect.any(String) },
    ]);
    expect((await gw.canonical(String(number))).name).toBe('Error Target');
  });

  it('answers a method the path does not take with 404 in its envelope', async () => {
    // Bigcapital's customers controller takes GET, PUT and DELETE on a customer, not PATCH.
    const res = await gw.request(`/bigcapital/api/customers/${number}`, { method: 'PATCH', headers: keyAuth });
    expect([res.status, await res.json()]).toEqual([404, notFound]);
  });
});

describe('security', () => {
  let number: number;
  beforeAll(async () => {
    number = (await wooshpayCustomer({ name: 'Guarded' })).number;
  });

  /** The request is refused with exactly this body, and the customer is not changed. */
  async function refused(headers: Record<string, string>, body: unknown = unauthorized) {
    const before = await gw.canonical(String(number));
    const write = await put(`/api/customers/${number}`, { ...base, displayName: 'hijacked' }, headers);
    expect([write.status, await write.json()]).toEqual([401, body]);
    const read = await get(`/api/customers/${number}`, headers);
    expect([read.status, await read.json()]).toEqual([401, body]);
    expect(await gw.canonical(String(number))).toEqual(before);
  }

  it('refuses a missing, malformed or unknown API key', async () => {
    await refused({});
    await refused({ authorization: 'Bearer' });
    await refused({ authorization: `Basic ${btoa(`${gw.tenant.credentials.bigcapital!.api_key}:`)}` });
    await refused({ authorization: 'Bearer bc_1234567890abcdef' });
    await refused({ authorization: `Bearer bc_${'a'.repeat(96)}` });
    await refused({ authorization: 'Bearer not-a-token' });
  });

  it('asks for the organization when a valid JWT comes without it', async () => {
    const organizationRequired = {
      statusCode: 401,
      message: expect.stringMatching(/^Organization ID is required\. /),
      error: 'Unauthorized',
    };
    await refused({ authorization: jwtAuth.authorization! }, organizationRequired);
  });

  it('refuses a JWT with alg none, an expired one and one signed with another key', async () => {
    const org = { 'organization-id': gw.tenant.tenant.id };
    const none = new UnsecuredJWT({ organizations: [gw.tenant.tenant.id] })
      .setIssuer('custgate')
      .setAudience('custgate:bigcapital')
      .setSubject('user_test')
      .setExpirationTime('10m')
      .encode();
    await refused({ authorization: `Bearer ${none}`, ...org });
    await refused({ authorization: `Bearer ${await token({ expiresAt: Math.floor(Date.now() / 1000) - 60 })}`, ...org });
    await refused({ authorization: `Bearer ${await token({ secret: 'another-secret-that-is-at-least-32-bytes' })}`, ...org });
    await refused({ authorization: `Bearer ${await token({ audience: 'custgate:connhex' })}`, ...org });
    // The well-signed control: the same token builder is accepted when nothing is wrong.
    expect((await get(`/api/customers/${number}`, { authorization: `Bearer ${await token()}`, ...org })).status).toBe(200);
  });

  it("refuses a JWT for an organization its subject does not belong to, even the other tenant's real id", async () => {
    await refused({ ...jwtAuth, 'organization-id': gw.other.tenant.id });
    await refused({ ...jwtAuth, 'organization-id': '00000000-0000-4000-8000-000000000000' });
    await refused({ authorization: `Bearer ${await token({ organizations: 'not-a-list' })}`, 'organization-id': gw.tenant.tenant.id });
  });

  it("never reaches another tenant's customer by number, with either credential", async () => {
    const other = gw.other.credentials.bigcapital!;
    const otherKey = { authorization: `Bearer ${other.api_key}` };
    const otherJwt = { authorization: `Bearer ${other.jwt}`, 'organization-id': other.organization_id! };
    for (const headers of [otherKey, otherJwt]) {
      const res = await put(`/api/customers/${number}`, { ...base, displayName: 'hijacked' }, headers);
      expect([res.status, await res.json()]).toEqual([404, notFound]);
    }
    expect((await gw.canonical(String(number))).name).toBe('Guarded');
  });

  it('ignores an organization-id header beside an API key: the key decides the tenant', async () => {
    const res = await get(`/api/customers/${number}`, { ...keyAuth, 'organization-id': gw.other.tenant.id });
    expect(res.status).toBe(200);
  });
});
