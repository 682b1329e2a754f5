import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { createApp, createTenant } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import { type AnyDialect, GatewayError } from '../src/contract/dialect.ts';
import { testEnv } from './support/gateway.ts';
import { testStore } from './support/store.ts';

// Limits on the gateway's doors (issue #13): failed authentications per client address (on by
// default), requests per credential (off by default), and headers on every response.

const all = Object.values(dialects) as AnyDialect[];

async function gateway(env: Record<string, string> = {}) {
  const store = await testStore();
  const config = loadConfig({ ...testEnv, ...env });
  // Every request comes from the address the test names in x-test-client.
  const app = createApp({ store, config, logger: { error: () => undefined }, clientAddress: (c) => c.req.header('x-test-client') });
  const tenant = await createTenant(store, config, 'limits');
  return { app, store, tenant };
}

const collection = (d: AnyDialect) => `${d.routes.prefix}${d.routes.collection}`;

describe('failed-authentication limit (on by default)', () => {
  it('answers 429 with Retry-After in each dialect’s envelope once an address has failed too often, and only that address', async () => {
    const { app, tenant } = await gateway({ CUSTGATE_AUTH_FAILURE_LIMIT: '5' });
    for (const dialect of all) {
      const client = `198.51.100.${all.indexOf(dialect)}`;
      const bad = { ...fixturesOf(dialect).badAuth, 'x-test-client': client };
      for (let i = 0; i < 5; i++) {
        expect((await app.request(`${collection(dialect)}/1`, { headers: bad })).status, dialect.name).toBe(401);
      }
      const limited = await app.request(`${collection(dialect)}/1`, { headers: bad });
      expect(limited.status, dialect.name).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await limited.json()) as Record<string, unknown>;
      // The envelope is the dialect's own rendering of the limit.
      const own = dialect.wire.renderError(new GatewayError('rate_limited', 'x', { retryAfterSeconds: 1 })).body as object;
      expect(Object.keys(body).sort(), dialect.name).toEqual(Object.keys(own).sort());
      // Even a good credential from that address waits; another address is not affected.
      const good = fixturesOf(dialect).auth(tenant.credentials[dialect.name]!);
      expect((await app.request(`${collection(dialect)}/1`, { headers: { ...good, 'x-test-client': client } })).status).toBe(429);
      expect((await app.request(`${collection(dialect)}/1`, { headers: { ...good, 'x-test-client': '203.0.113.9' } })).status).toBe(404);
    }
  });

  it('is a Stripe rate_limit_error in the Stripe-like dialects', async () => {
    const { app } = await gateway({ CUSTGATE_AUTH_FAILURE_LIMIT: '1' });
    const headers = { authorization: 'Bearer sk_test_wrong', 'x-test-client': '192.0.2.1' };
    expect((await app.request('/v1/customers/cus_x', { headers })).status).toBe(401);
    const res = await app.request('/v1/customers/cus_x', { headers });
    expect(res.status).toBe(429);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
  });

  it('is on by default and limits the gateway API too', async () => {
    const { app } = await gateway();
    const headers = { authorization: 'Bearer sk_test_wrong', 'x-test-client': '192.0.2.2' };
    const statuses: number[] = [];
    for (let i = 0; i < 150; i++) statuses.push((await app.request('/gateway/v1/customers/1', { headers })).status);
    expect(statuses.filter((s) => s === 401).length).toBe(100);
    expect(statuses.filter((s) => s === 429).length).toBe(50);
  });
});

describe('per-credential request limit (off by default)', () => {
  it('does not limit anyone by default', async () => {
    const { app, tenant } = await gateway();
    const headers = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    for (let i = 0; i < 200; i++) expect((await app.request('/v1/customers/cus_missing', { headers })).status).toBe(404);
  });

  it('when set, answers 429 past the limit for that credential only', async () => {
    const { app, tenant } = await gateway({ CUSTGATE_RATE_LIMIT: '3' });
    const key = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    for (let i = 0; i < 3; i++) expect((await app.request('/v1/customers/cus_missing', { headers: key })).status).toBe(404);
    const res = await app.request('/v1/customers/cus_missing', { headers: key });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const zenskar = tenant.credentials.zenskar!;
    const other = fixturesOf(dialects.zenskar).auth(zenskar);
    expect((await app.request('/zenskar/customers/00000000-0000-4000-8000-000000000000', { headers: other })).status).toBe(404);
  });
});

describe('response headers', () => {
  it('marks responses with customer data (and errors) no-store and nosniff', async () => {
    const { app, tenant } = await gateway();
    const headers = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`, 'content-type': 'application/json' };
    const created = await app.request('/v1/customers', { method: 'POST', headers, body: JSON.stringify({ name: 'Cached?' }) });
    const { id } = (await created.json()) as { id: string };
    for (const res of [
      created,
      await app.request(`/v1/customers/${id}`, { headers }),
      await app.request(`/gateway/v1/customers/${id}`, { headers }),
      await app.request('/v1/customers/cus_nope', { headers }),
    ]) {
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it("sends every header hono/secure-headers sends, on a dialect's answers and on everything else", async () => {
    const { app, tenant } = await gateway();
    const reference = new Hono().use(secureHeaders()).get('/', (c) => c.text('ok'));
    const expected: [string, string][] = [];
    (await reference.request('/')).headers.forEach((value, name) => {
      if (name !== 'content-type') expected.push([name, value]);
    });
    expect(expected.length).toBeGreaterThan(5);
    const headers = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`, 'content-type': 'application/json' };
    const created = await app.request('/v1/customers', { method: 'POST', headers, body: JSON.stringify({ name: 'Headed' }) });
    const { id } = (await created.json()) as { id: string };
    for (const res of [
      created,
      await app.request(`/v1/customers/${id}`, { headers }),
      await app.request('/v1/customers?limit=1', { headers }),
      await app.request('/v1/customers/cus_nope', { headers }),
      await app.request('/gateway/v1/ready'),
      await app.request('/no/such/route'),
    ]) {
      for (const [name, value] of expected) expect(res.headers.get(name), name).toBe(value);
      expect(res.headers.get('x-powered-by')).toBeNull();
    }
  });
});
