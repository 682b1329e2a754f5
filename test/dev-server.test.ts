import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectNames, dialects } from '../dialects/index.ts';
import { mintToken } from '../src/gateway/tenants.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';

// What a newcomer meets first, through the real app: the base URL, stray paths, browser clients.

let gw: TestGateway;
let cors: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
  cors = await testGateway({ CUSTGATE_CORS_ORIGINS: 'http://localhost:3000, http://127.0.0.1:5173' });
});
afterAll(async () => {
  await gw?.store.executor.close();
  await cors?.store.executor.close();
});

describe('GET /', () => {
  it('names every dialect with its base URL and OpenAPI document, and the docs and console', async () => {
    const res = await gw.request('/');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { dialects: { name: string; base: string; openapi: string }[]; console: string };
    expect(body.dialects.map((d) => d.name).sort()).toEqual([...dialectNames].sort());
    expect(body.dialects.find((d) => d.name === 'zenskar')).toMatchObject({ base: '/zenskar', openapi: '/zenskar/openapi.json' });
    expect(body.console).toBe('/console');
    // Each link it gives answers.
    for (const d of body.dialects) expect((await gw.request(d.openapi)).status).toBe(200);
  });
});

describe('a path no dialect serves', () => {
  it("answers in the envelope of the dialect the credential's shape names, without looking the credential up", async () => {
    const wooshpay = await gw.request('/v2/nothing', { headers: { authorization: 'Bearer sk_test_doesnotexist' } });
    expect(wooshpay.status).toBe(404);
    expect(((await wooshpay.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');

    const zenskar = await gw.request('/nothing', { headers: { 'x-api-key': 'zsk_x', organisation: gw.tenant.tenant.id } });
    expect(zenskar.status).toBe(404);
    expect(await zenskar.json()).toHaveProperty('detail');

    // A real key and a made-up one of the same shape get the same answer.
    const real = await gw.request('/nothing', { headers: { authorization: `Bearer ${gw.tenant.credentials.meteroid?.api_key}` } });
    const fake = await gw.request('/nothing', { headers: { authorization: 'Bearer pv_test_doesnotexist' } });
    expect(real.status).toBe(fake.status);
    expect(await real.json()).toEqual(await fake.json());
  });

  it("a token names its dialect by its audience: a Connhex token gets Connhex's envelope, a Bigcapital one Bigcapital's", async () => {
    const bearer = (token: string | undefined) => ({
      headers: { authorization: `Bearer ${token}`, 'organization-id': gw.tenant.tenant.id },
    });
    const connhexToken = gw.tenant.credentials.connhex?.token;
    const bigcapitalToken = await mintToken(gw.store, gw.config, gw.tenant.tenant, dialects.bigcapital, {});
    const shape = async (res: Response) => ({ status: res.status, keys: Object.keys((await res.json()) as object).sort() });
    const connhex = await shape(await gw.request('/nothing', bearer(connhexToken)));
    const bigcapital = await shape(await gw.request('/nothing', bearer(bigcapitalToken)));
    expect(connhex).toEqual(await shape(await gw.request('/connhex/nothing', bearer(connhexToken))));
    expect(bigcapital).toEqual(await shape(await gw.request('/bigcapital/nothing', bearer(bigcapitalToken))));
    expect(connhex.keys).toEqual(['error']);
    expect(bigcapital.keys).not.toEqual(connhex.keys);
  });

  it("without a credential: the gateway's own envelope", async () => {
    const res = await gw.request('/nothing');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No such route: GET /nothing' } });
  });

  it("without a credential, under a dialect's own API base (an id of '..' resolved away by the client): that dialect's envelope", async () => {
    const shape = async (res: Response) => {
      const body = (await res.json()) as { error?: object };
      return { status: res.status, keys: Object.keys(body).sort(), inner: Object.keys(body.error ?? {}).sort() };
    };
    const gateway = await shape(await gw.request('/nothing'));
    // The Request resolves `..` as every HTTP client does: `/api/v1/customers/..` is sent as `/api/v1/`.
    const cases = [
      ['/api/v1/customers/..', 'PATCH', '/meteroid/nothing'],
      ['/api/v1/invoices/1', 'GET', '/meteroid/nothing'],
      ['/api/customers/..', 'PUT', '/bigcapital/nothing'],
      ['/api/items', 'GET', '/bigcapital/nothing'],
      ['/v1/customers/..', 'POST', '/wooshpay/nothing'],
    ] as const;
    for (const [path, method, own] of cases) {
      const res = await gw.request(path, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? null : '' });
      const expected = await shape(await gw.request(own, { method }));
      expect(await shape(res), `${method} ${path}`).toEqual(expected);
      expect({ keys: expected.keys, inner: expected.inner }, own).not.toEqual({ keys: gateway.keys, inner: gateway.inner });
    }
  });
});

describe('CUSTGATE_CORS_ORIGINS', () => {
  const preflight = (g: TestGateway, origin: string) =>
    g.request('/v1/customers', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });

  it('lets a listed origin call the gateway from a browser, with the response headers it needs', async () => {
    const pre = await preflight(cors, 'http://localhost:3000');
    expect(pre.status).toBe(204);
    // Every answer carries a request id (docs/operations.md); the preflight had none.
    expect(pre.headers.get('x-request-id')).toMatch(/^req_/);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
    const res = await cors.request('/v1/customers', {
      method: 'POST',
      headers: {
        origin: 'http://127.0.0.1:5173',
        authorization: `Bearer ${cors.tenant.credentials.wooshpay?.secret_key}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'From a browser' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(res.headers.get('access-control-expose-headers')).toContain('request-id');
  });

  it('names no other origin, and is off unless configured', async () => {
    expect((await preflight(cors, 'http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(gw, 'http://localhost:3000')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('POST /gateway/v1/reset', () => {
  it("empties exactly the caller's tenant: customers, events and idempotency keys go, credentials stay", async () => {
    const g = await testGateway();
    try {
      const key = (t: typeof g.tenant) => ({ authorization: `Bearer ${t.credentials.wooshpay?.secret_key}` });
      const create = (t: typeof g.tenant, name: string, idempotencyKey: string) =>
        g.request('/v1/customers', {
          method: 'POST',
          headers: { ...key(t), 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
          body: JSON.stringify({ name }),
        });
      const mine = (await (await create(g.tenant, 'Mine', 'k1')).json()) as { id: string };
      await create(g.tenant, 'Mine too', 'k2');
      const theirs = (await (await create(g.other, 'Theirs', 'k1')).json()) as { id: string };

      const reset = await g.request('/gateway/v1/reset', { method: 'POST', headers: key(g.tenant) });
      expect(reset.status).toBe(200);
      expect(await reset.json()).toEqual({
        object: 'reset',
        tenant: { id: g.tenant.tenant.id, name: g.tenant.tenant.name },
        deleted: { customers: 2 },
      });

      expect((await g.request(`/v1/customers/${mine.id}`, { headers: key(g.tenant) })).status).toBe(404);
      expect((await g.request(`/gateway/v1/customers/${mine.id}/events`, { headers: key(g.tenant) })).status).toBe(404);
      const kept = await g.request(`/v1/customers/${theirs.id}`, { headers: key(g.other) });
      expect(((await kept.json()) as { name: string }).name).toBe('Theirs');
      // The same Idempotency-Key makes a new customer now: the stored response went with the reset.
      const again = await create(g.tenant, 'After reset', 'k1');
      expect(again.headers.get('idempotent-replayed')).toBeNull();
      expect(((await again.json()) as { name: string }).name).toBe('After reset');
      // The other tenant's key still replays.
      expect((await create(g.other, 'Theirs', 'k1')).headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await g.store.executor.close();
    }
  });

  it("forgets the tenant's request log with its customers (their bodies were in it); another tenant's stays", async () => {
    const g = await testGateway();
    try {
      const key = (t: typeof g.tenant) => ({ authorization: `Bearer ${t.credentials.wooshpay?.secret_key}` });
      const create = (t: typeof g.tenant, name: string) =>
        g.request('/v1/customers', { method: 'POST', headers: key(t), body: new URLSearchParams({ name }) });
      await create(g.tenant, 'Jenny Before-Reset');
      await create(g.other, 'Theirs');
      const logged = async (t: typeof g.tenant) =>
        ((await (await g.request('/gateway/v1/requests', { headers: key(t) })).json()) as { data: { request_body: unknown }[] }).data;
      expect(JSON.stringify(await logged(g.tenant))).toContain('Jenny Before-Reset');

      expect((await g.request('/gateway/v1/reset', { method: 'POST', headers: key(g.tenant) })).status).toBe(200);
      expect(await logged(g.tenant)).toEqual([]);
      await create(g.tenant, 'After');
      expect((await logged(g.tenant)).map((e) => e.request_body)).toEqual([{ name: 'After' }]);
      expect(await logged(g.other)).toHaveLength(1);
    } finally {
      await g.store.executor.close();
    }
  });

  it('is refused without a credential, and in production (nothing deleted)', async () => {
    expect((await gw.request('/gateway/v1/reset', { method: 'POST' })).status).toBe(401);
    const prod = await testGateway({ NODE_ENV: 'production' });
    try {
      const headers = { authorization: `Bearer ${prod.tenant.credentials.wooshpay?.secret_key}`, 'content-type': 'application/json' };
      const made = (await (await prod.request('/v1/customers', { method: 'POST', headers, body: '{"name":"Kept"}' })).json()) as {
        id: string;
      };
      const res = await prod.request('/gateway/v1/reset', { method: 'POST', headers });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('NODE_ENV=production');
      expect((await prod.request(`/v1/customers/${made.id}`, { headers })).status).toBe(200);
    } finally {
      await prod.store.executor.close();
    }
  });
});

describe('GET /gateway/v1/requests', () => {
  it("keeps the tenant's last N requests, newest first, with secret-named members redacted, and filters them", async () => {
    const g = await testGateway({ CUSTGATE_REQUEST_LOG_SIZE: '3' });
    try {
      const wooshpay = { authorization: `Bearer ${g.tenant.credentials.wooshpay?.secret_key}` };
      const zenskar = { 'x-api-key': g.tenant.credentials.zenskar?.api_key ?? '', organisation: g.tenant.tenant.id };
      const form = { ...wooshpay, 'content-type': 'application/x-www-form-urlencoded' };
      await g.request('/v1/customers', { method: 'POST', headers: form, body: 'name=First' });
      const made = await g.request('/v1/customers', { method: 'POST', headers: form, body: 'name=Jenny&metadata[api_token]=hunter2' });
      const requestId = made.headers.get('request-id');
      await g.request('/zenskar/customers/00000000-0000-4000-8000-000000000000', { headers: zenskar });
      await g.request('/v1/customers/cus_missing', { headers: wooshpay });
      await g.request('/v1/customers', {
        method: 'POST',
        headers: { authorization: `Bearer ${g.other.credentials.wooshpay?.secret_key}` },
      });

      const list = async (query = '') =>
        ((await (await g.request(`/gateway/v1/requests${query}`, { headers: wooshpay })).json()) as { data: Record<string, unknown>[] })
          .data;
      const last = await list();
      expect(last.map((e) => [e.method, e.path, e.status])).toEqual([
        ['GET', '/v1/customers/cus_missing', 404],
        ['GET', '/zenskar/customers/00000000-0000-4000-8000-000000000000', 404],
        ['POST', '/v1/customers', 200],
      ]);
      expect(last[2]).toMatchObject({
        dialect: 'wooshpay',
        request_id: requestId,
        request_body: { name: 'Jenny', 'metadata[api_token]': '[redacted]' },
      });
      expect(JSON.stringify(last)).not.toContain('hunter2');
      expect(JSON.stringify(last)).not.toContain(g.tenant.credentials.wooshpay?.secret_key);
      expect((await list('?path=/zenskar')).map((e) => e.dialect)).toEqual(['zenskar']);
      expect(await list('?status=2xx')).toHaveLength(1);
      // A filter it cannot read is a 400 naming it, not everything (limit) or nothing (status).
      for (const [query, param] of [
        ['?limit=abc', 'limit'],
        ['?limit=0', 'limit'],
        ['?status=abc', 'status'],
        ['?status=4', 'status'],
      ] as const) {
        const res = await g.request(`/gateway/v1/requests${query}`, { headers: wooshpay });
        expect(res.status, query).toBe(400);
        expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', issues: [{ path: [param] }] } });
      }
      // The other tenant sees only its own.
      const theirs = await g.request('/gateway/v1/requests', {
        headers: { authorization: `Bearer ${g.other.credentials.wooshpay?.secret_key}` },
      });
      expect(((await theirs.json()) as { data: unknown[] }).data).toHaveLength(1);
    } finally {
      await g.store.executor.close();
    }
  });

  // A member named for a private key or a passphrase is a secret too: they were kept as sent.
  it('redacts private keys and passphrases, in bodies and answers', async () => {
    const g = await testGateway();
    try {
      const wooshpay = { authorization: `Bearer ${g.tenant.credentials.wooshpay?.secret_key}` };
      const body = 'name=Keys&metadata[private_key]=pk-1&metadata[signingKey]=sk-2&metadata[passphrase]=pp-3&metadata[plan]=gold';
      const made = await g.request('/v1/customers', {
        method: 'POST',
        headers: { ...wooshpay, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect(made.status).toBe(200);
      const [entry] = (
        (await (await g.request('/gateway/v1/requests?limit=1', { headers: wooshpay })).json()) as {
          data: { request_body: Record<string, unknown>; response_body: { metadata: Record<string, unknown> } }[];
        }
      ).data;
      expect(entry?.request_body).toEqual({
        name: 'Keys',
        'metadata[private_key]': '[redacted]',
        'metadata[signingKey]': '[redacted]',
        'metadata[passphrase]': '[redacted]',
        'metadata[plan]': 'gold',
      });
      expect(entry?.response_body.metadata).toEqual({
        private_key: '[redacted]',
        signingKey: '[redacted]',
        passphrase: '[redacted]',
        plan: 'gold',
      });
    } finally {
      await g.store.executor.close();
    }
  });

  it('is off by default in production', async () => {
    const prod = await testGateway({ NODE_ENV: 'production' });
    try {
      const res = await prod.request('/gateway/v1/requests', {
        headers: { authorization: `Bearer ${prod.tenant.credentials.wooshpay?.secret_key}` },
      });
      expect(res.status).toBe(404);
    } finally {
      await prod.store.executor.close();
    }
  });
});
