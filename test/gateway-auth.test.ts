import { describe, expect, it } from 'vitest';
import { createApp, createTenant } from './support/registered.ts';
import type { AccessEntry } from '../src/http/access.ts';
import { loadConfig } from '../src/config.ts';
import { testEnv } from './support/gateway.ts';
import { testStore } from './support/store.ts';

// The gateway's own API authenticates in one middleware (src/http/gateway-api.ts). The attack it
// stops: bad keys sent to the routes that authenticated on their own (deliveries, shadow, links,
// upstreams, views) were answered 401 without end and never counted against the address. The
// routes are read from the app's own table, so a route added later without the middleware fails here.

/** The only gateway routes anyone may call without a credential. */
const publicRoutes = new Set([
  'GET /gateway/v1/health',
  'GET /gateway/v1/ready',
  'GET /gateway/v1/coverage',
  'GET /gateway/v1/openapi.json',
]);
/**
 * Authenticated by the provider's signature instead (a provider holds no tenant credential); its
 * forged signatures count against the address as well: test/upstream-webhooks.test.ts.
 */
const signedRoutes = new Set(['POST /gateway/v1/upstreams/:id/webhook']);

async function gateway() {
  const store = await testStore();
  // A lower limit than the default 100 keeps the walk short; test/limits.test.ts shows the default.
  const config = loadConfig({ ...testEnv, CUSTGATE_AUTH_FAILURE_LIMIT: '20' });
  const entries: AccessEntry[] = [];
  const app = createApp({
    store,
    config,
    logger: { error: () => undefined },
    observers: [(e) => entries.push(e)],
    clientAddress: (c) => c.req.header('x-test-client'),
  });
  const tenant = await createTenant(store, config, 'gateway-auth');
  return { app, tenant, entries, limit: config.authFailureLimit.max };
}

/** Every handler route under /gateway/v1 (not the catch-all, not middleware), with its parameters filled. */
function apiRoutes(routes: readonly { method: string; path: string }[]) {
  const seen = new Set<string>();
  const out: { method: string; path: string; key: string }[] = [];
  for (const r of routes) {
    if (!r.path.startsWith('/gateway/v1/') || r.path.endsWith('*') || r.method === 'ALL') continue;
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ method: r.method, path: r.path.replace(/:[^/]+/g, 'cus_nobody'), key });
  }
  return out;
}

describe('gateway API: one authentication middleware', () => {
  it('counts bad keys on every authenticated /gateway/v1 route until the address gets 429 in the gateway envelope', async () => {
    const { app, limit } = await gateway();
    const routes = apiRoutes(app.routes).filter((r) => !publicRoutes.has(r.key) && !signedRoutes.has(r.key));
    // The five routes that skipped the limit are among those checked.
    for (const tail of ['/deliveries', '/shadow', '/links', '/upstreams', '/views']) {
      expect(
        routes.some((r) => r.path.endsWith(tail)),
        tail,
      ).toBe(true);
    }
    expect(limit).toBeGreaterThan(0);
    for (const [i, route] of routes.entries()) {
      const headers = { authorization: 'Bearer sk_test_wrong', 'x-test-client': `198.51.100.${i + 1}` };
      const statuses: number[] = [];
      for (let n = 0; n < limit + 5; n++) statuses.push((await app.request(route.path, { method: route.method, headers })).status);
      expect(statuses.filter((s) => s === 401).length, route.key).toBe(limit);
      expect(statuses.slice(limit), route.key).toEqual([429, 429, 429, 429, 429]);
      const res = await app.request(route.path, { method: route.method, headers });
      expect(Number(res.headers.get('retry-after')), route.key).toBeGreaterThan(0);
      expect(await res.json(), route.key).toMatchObject({ error: { code: 'rate_limited' } });
    }
  });

  it('leaves the probes and the coverage matrix open, and only those', async () => {
    const { app } = await gateway();
    const open = apiRoutes(app.routes).filter((r) => publicRoutes.has(r.key));
    expect(open.map((r) => r.key).sort()).toEqual([...publicRoutes].sort());
    for (const route of open) expect((await app.request(route.path)).status, route.key).toBe(200);
  });

  it('logs the tenant of every authenticated request, and none for a refused one', async () => {
    const { app, tenant, entries } = await gateway();
    const good = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`, 'x-test-client': '203.0.113.7' };
    for (const path of ['/gateway/v1/upstreams', '/gateway/v1/shadow', '/gateway/v1/customers/cus_nobody/views']) {
      await app.request(path, { headers: good });
      await app.request(path, { headers: { ...good, authorization: 'Bearer sk_test_wrong' } });
    }
    const logged = entries.map((e) => [e.route, e.status, e.tenant]);
    expect(logged).toEqual([
      ['/gateway/v1/upstreams', 200, tenant.tenant.id],
      ['/gateway/v1/upstreams', 401, null],
      ['/gateway/v1/shadow', 200, tenant.tenant.id],
      ['/gateway/v1/shadow', 401, null],
      ['/gateway/v1/customers/:ref/views', 404, tenant.tenant.id],
      ['/gateway/v1/customers/:ref/views', 401, null],
    ]);
  });

  it('answers every failure in the gateway envelope, never a stack', async () => {
    const { app, tenant } = await gateway();
    const good = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    const missing = await app.request('/gateway/v1/customers/cus_nobody/links', { headers: good });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    const malformed = await app.request('/gateway/v1/translate?from=meteroid&to=wooshpay', {
      method: 'POST',
      headers: { ...good, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(malformed.status).toBe(400);
    const body = (await malformed.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('malformed_body');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+/);
  });
});
