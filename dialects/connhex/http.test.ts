import { decodeJwt, SignJWT } from 'jose';
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { audienceFor } from '../../src/auth/jwt.ts';
import { jsonInit, type TestGateway, tenantSigningKey, testGateway } from '../../test/support/gateway.ts';
import { tokenTtlSecondsConnhex } from './index.ts';
import { CustomerResponseConnhex } from './seed-response.ts';

// Connhex through the whole gateway (app.request): JWT permissions, both body forms, expand,
// and what it writes as the other dialects read it.

let gw: TestGateway;
let bearer: Record<string, string>;

const base64url = (text: string) => Buffer.from(text).toString('base64url');

interface TokenOptions {
  readonly secret?: string;
  readonly audience?: string;
  readonly exp?: number | null;
  readonly tenant?: string;
  /** The key (and `kid`) of this tenant signs; default: the `tenant` claim's. */
  readonly kid?: string;
}

/** A token as the gateway would sign it, with whatever the test changes. */
async function sign(claims: Record<string, unknown>, options: TokenOptions = {}): Promise<string> {
  const { jwt } = gw.config;
  const tenant = options.tenant ?? gw.tenant.tenant.id;
  const jwtBuilder = new SignJWT({ tenant, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: options.kid ?? tenant })
    .setIssuer(jwt.issuer)
    .setAudience(options.audience ?? audienceFor(jwt, 'connhex'))
    .setSubject('test-client')
    .setIssuedAt();
  if (options.exp !== null) jwtBuilder.setExpirationTime(options.exp ?? '1h');
  const key =
    options.secret === undefined ? await tenantSigningKey(gw.store, options.kid ?? tenant) : new TextEncoder().encode(options.secret);
  return jwtBuilder.sign(key);
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const post = (path: string, body: unknown, headers = bearer) => gw.request(path, jsonInit('POST', body, headers));
const form = (path: string, body: string, headers = bearer) =>
  gw.request(path, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body });
const get = (path: string, headers = bearer) => gw.request(path, { headers });

async function create(body: unknown = { name: 'Jenny Rosen' }): Promise<string> {
  const res = await post('/connhex/customers', body);
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

async function errorOf(res: Response) {
  return ((await res.json()) as { error: Record<string, unknown> }).error;
}

beforeAll(async () => {
  gw = await testGateway();
  bearer = auth(gw.tenant.credentials.connhex!.token!);
});

describe('connhex http: happy', () => {
  it('issues a 30-day token for the tenant with both permissions', () => {
    const claims = decodeJwt(gw.tenant.credentials.connhex!.token!);
    expect(claims).toMatchObject({
      tenant: gw.tenant.tenant.id,
      permissions: ['pay:customers:get', 'pay:customers:update'],
      aud: 'custgate:connhex',
    });
    expect(claims.exp! - claims.iat!).toBe(tokenTtlSecondsConnhex);
    expect(tokenTtlSecondsConnhex).toBe(30 * 24 * 3600);
  });

  it('sets tax_exempt "reverse" and an invoice_prefix that Wooshpay reads back', async () => {
    const id = await create();
    const res = await post(`/connhex/customers/${id}`, {
      tax_exempt: 'reverse',
      invoice_prefix: 'ACME2026',
      next_invoice_sequence: 17,
      preferred_locales: ['de', 'en'],
      description: 'VAT reverse charge',
    });
    expect(res.status).toBe(200);
    expect(v.safeParse(CustomerResponseConnhex, await res.json()).issues).toBeUndefined();

    const secret = gw.tenant.credentials.wooshpay!.secret_key!;
    const read = await get(`/v1/customers/${id}`, { authorization: `Basic ${btoa(`${secret}:`)}` });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      id,
      tax_exempt: 'reverse',
      invoice_prefix: 'ACME2026',
      next_invoice_sequence: 17,
      preferred_locales: ['de', 'en'],
      description: 'VAT reverse charge',
    });
  });

  it('takes a form body with brackets, as Stripe-style clients send it', async () => {
    const id = await create();
    const res = await form(
      `/connhex/customers/${id}`,
      'name=Form%20Customer&address[city]=Berlin&address[country]=de&preferred_locales[0]=de&next_invoice_sequence=9&expand[0]=subscriptions',
    );
    expect(res.status).toBe(200);
    const shown = (await res.json()) as Record<string, unknown>;
    expect(shown).toMatchObject({
      name: 'Form Customer',
      address: { city: 'Berlin', country: 'DE' },
      subscriptions: { object: 'list', data: [] },
    });
    expect(await gw.canonical(id)).toMatchObject({ next_invoice_sequence: 9, preferred_locales: ['de'] });
  });

  it('clears with "" and resets tax_exempt to none', async () => {
    const id = await create({ name: 'Clear Me', invoice_prefix: 'CLR1', tax_exempt: 'exempt', phone: '+4930123' });
    const res = await form(`/connhex/customers/${id}`, 'invoice_prefix=&tax_exempt=&phone=');
    expect(res.status).toBe(200);
    expect(await gw.canonical(id)).toMatchObject({ name: 'Clear Me', invoice_prefix: null, tax_exempt: 'none', phone: null });
  });

  it('expands subscriptions on a read in every query form, and shows null otherwise', async () => {
    const id = await create();
    for (const query of ['expand[]=subscriptions', 'expand[0]=subscriptions', 'expand=subscriptions']) {
      const shown = (await (await get(`/connhex/customers/${id}?${query}`)).json()) as { subscriptions: unknown };
      expect(shown.subscriptions).toMatchObject({ object: 'list', data: [], total_count: 0 });
    }
    expect(((await (await get(`/connhex/customers/${id}`)).json()) as { subscriptions: unknown }).subscriptions).toBeNull();
  });

  it('serves /customers at the root for a request with an Authorization header', async () => {
    const created = await post('/customers', { name: 'Root Customer', email: 'root@example.com' });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const res = await post(`/customers/${id}`, { phone: '+15550001' });
    expect(await res.json()).toMatchObject({ id, name: 'Root Customer', phone: '+15550001' });
  });

  it('replays a request with the same Idempotency-Key instead of writing twice', async () => {
    const id = await create();
    const headers = { ...bearer, 'idempotency-key': `k-${id}` };
    const first = await post(`/connhex/customers/${id}`, { name: 'Once' }, headers);
    const version = (await gw.canonical(id)).version;
    const again = await post(`/connhex/customers/${id}`, { name: 'Once' }, headers);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect((await gw.canonical(id)).version).toBe(version);
  });
});

describe('connhex http: errors', () => {
  it("refuses the reference's own example body with a 400 naming invoice_prefix, and writes nothing", async () => {
    const id = await create();
    const before = await gw.canonical(id);
    const seedBody =
      '{\n "address": {\n "city": "string",\n "country": "string",\n "line1": "string",\n "line2": "string",\n "postal_code": "string",\n "state": "string"\n },\n "description": "string",\n "email": "string",\n "invoice_prefix": "string",\n "next_invoice_sequence": 0,\n "name": "string",\n "phone": "string",\n "preferred_locales": [\n "string"\n ],\n "tax_exempt": "exempt",\n "expand": [\n "string"\n ]\n}';
    const res = await gw.request(`/connhex/customers/${id}`, {
      method: 'POST',
      headers: { ...bearer, accept: 'application/json', 'content-type': 'application/json' },
      body: seedBody,
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'invoice_prefix' });
    expect(await gw.canonical(id)).toEqual(before);
  });

  it('refuses unknown parameters, unknown expand paths and bad values with the parameter named', async () => {
    const id = await create();
    const cases: [unknown, string, string][] = [
      [{ metadata: { plan: 'gold' } }, 'metadata', 'parameter_unknown'],
      [{ expand: ['tax_ids'] }, 'expand[0]', 'parameter_invalid'],
      [{ tax_exempt: 'partial' }, 'tax_exempt', 'parameter_invalid'],
      [{ next_invoice_sequence: 0 }, 'next_invoice_sequence', 'parameter_invalid'],
      [{ address: { city: 'Oslo', country: 'Norway' } }, 'address[country]', 'parameter_invalid'],
    ];
    for (const [body, param, code] of cases) {
      const res = await post(`/connhex/customers/${id}`, body);
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({ param, code });
    }
  });

  it('refuses to unset next_invoice_sequence and non-digits in a form body', async () => {
    const id = await create();
    const empty = await form(`/connhex/customers/${id}`, 'next_invoice_sequence=');
    expect(await errorOf(empty)).toMatchObject({ code: 'parameter_invalid_empty', param: 'next_invoice_sequence' });
    const words = await form(`/connhex/customers/${id}`, 'next_invoice_sequence=ten');
    expect(words.status).toBe(400);
  });

  it('refuses an unknown expand path on a read', async () => {
    const id = await create();
    const res = await get(`/connhex/customers/${id}?expand[]=invoices`);
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ param: 'expand[0]' });
  });
});

describe('connhex http: security', () => {
  let id: string;
  beforeAll(async () => {
    id = await create({ name: 'Guarded' });
  });

  async function expectRefused(headers: Record<string, string>, status: 401 | 403) {
    const before = await gw.canonical(id);
    const res = await post(`/connhex/customers/${id}`, { name: 'Hijacked' }, headers);
    expect(res.status).toBe(status);
    const error = await errorOf(res);
    expect(error.type).toBe('invalid_request_error');
    if (status === 403) expect(error.code).toBe('permission_denied');
    expect(await gw.canonical(id)).toEqual(before);
  }

  const both = ['pay:customers:get', 'pay:customers:update'];

  it('accepts a token it signed itself with the permission', async () => {
    const res = await post(`/connhex/customers/${id}`, { name: 'Guarded' }, auth(await sign({ permissions: ['pay:customers:update'] })));
    expect(res.status).toBe(200);
  });

  it('refuses an expired token with 401', async () => {
    await expectRefused(auth(await sign({ permissions: both }, { exp: Math.floor(Date.now() / 1000) - 60 })), 401);
  });

  it('refuses an unsigned token (alg none) with 401', async () => {
    const header = base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url(
      JSON.stringify({
        iss: gw.config.jwt.issuer,
        aud: audienceFor(gw.config.jwt, 'connhex'),
        sub: 'attacker',
        tenant: gw.tenant.tenant.id,
        permissions: both,
        exp: Math.floor(Date.now() / 1000) + 3600,
      }),
    );
    await expectRefused(auth(`${header}.${payload}.`), 401);
  });

  it('refuses a token signed with another key with 401', async () => {
    await expectRefused(auth(await sign({ permissions: both }, { secret: 'another-secret-that-is-32-bytes-or-more!' })), 401);
  });

  it("refuses a token minted for another dialect's audience, or with no exp, with 401", async () => {
    await expectRefused(auth(await sign({ permissions: both }, { audience: audienceFor(gw.config.jwt, 'wooshpay') })), 401);
    await expectRefused(auth(await sign({ permissions: both }, { exp: null })), 401);
  });

  it('refuses a token of ours without a tenant, or with malformed permissions, with 401', async () => {
    for (const claims of [{ tenant: '' }, { permissions: 'pay:customers:update' }, { permissions: both, livemode: 'yes' }]) {
      await expectRefused(auth(await sign({ permissions: both, ...claims })), 401);
    }
  });

  it('refuses a missing or non-Bearer credential with 401', async () => {
    await expectRefused({}, 401);
    await expectRefused({ authorization: `Basic ${btoa(`${gw.tenant.credentials.wooshpay!.secret_key}:`)}` }, 401);
    await expectRefused({ authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` }, 401);
  });

  it('refuses a valid token without the permission with 403', async () => {
    const readOnly = auth(await sign({ permissions: ['pay:customers:get'] }));
    await expectRefused(readOnly, 403);
    expect((await post('/connhex/customers', { name: 'New' }, readOnly)).status).toBe(403);
    expect((await get(`/connhex/customers/${id}`, readOnly)).status).toBe(200);

    const writeOnly = auth(await sign({ permissions: ['pay:customers:update'] }));
    expect((await get(`/connhex/customers/${id}`, writeOnly)).status).toBe(403);
  });

  it('lets an explicit deny win over a wildcard allow', async () => {
    const token = auth(await sign({ permissions: ['pay:customers:*'], deny: ['pay:customers:update'] }));
    await expectRefused(token, 403);
    expect((await get(`/connhex/customers/${id}`, token)).status).toBe(200);
  });

  it("cannot reach another tenant's customer by naming that tenant in a token it cannot sign", async () => {
    const otherToken = await sign({ permissions: both }, { tenant: gw.other.tenant.id });
    const res = await get(`/connhex/customers/${id}`, auth(otherToken));
    expect(res.status).toBe(404);
  });
});
