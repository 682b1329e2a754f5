import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gatewayQueries } from '../src/http/gateway-query.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// The gateway's own routes refuse a query parameter they do not take (src/http/gateway-query.ts),
// as their bodies and the Stripe-like routes do. Read as absent, a typo answered 200 with what the
// caller had not asked for: `?refesh=true` the local copy unrefreshed, `?stauts=4xx` every request,
// `?strikt=true` a lossy translation. The last test walks the app's own route table, so a route
// added later is held to it too.

type GatewayError = { error: { code: string; message: string; issues?: { path: string[]; kind: string }[] } };

/** Routes left open (gateway-query.ts): the probes, and the provider's signed webhook. */
const openRoutes = new Set(['GET /gateway/v1/health', 'GET /gateway/v1/ready', 'POST /gateway/v1/upstreams/:id/webhook']);

const keyOf = (gw: TestGateway) => ({ authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` });

async function customer(gw: TestGateway): Promise<string> {
  const res = await gw.request('/v1/customers', { method: 'POST', headers: keyOf(gw), body: new URLSearchParams({ name: 'Jenny Rosen' }) });
  return ((await res.json()) as { id: string }).id;
}

async function refused(res: Response, name: string, kind = 'unknown') {
  expect(res.status).toBe(400);
  const body = (await res.json()) as GatewayError;
  expect(body.error).toMatchObject({ code: 'invalid_request', issues: [{ path: [name], kind }] });
  return body.error.message;
}

describe("the gateway's routes refuse a query parameter they do not take", () => {
  it('a customer: a misspelt refresh, or a refresh that is not true or false, is a 400; refresh=false reads it', async () => {
    const gw = await testGateway();
    const id = await customer(gw);
    expect(await refused(await gw.request(`/gateway/v1/customers/${id}?refesh=true`, { headers: keyOf(gw) }), 'refesh')).toBe(
      'Unknown parameter: refesh; this call takes refresh.',
    );
    await refused(await gw.request(`/gateway/v1/customers/${id}?refresh=yes`, { headers: keyOf(gw) }), 'refresh', 'value');
    await refused(await gw.request(`/gateway/v1/customers/${id}/views?expand=x`, { headers: keyOf(gw) }), 'expand');
    const read = await gw.request(`/gateway/v1/customers/${id}?refresh=false`, { headers: keyOf(gw) });
    expect(read.status).toBe(200);
    expect(((await read.json()) as { ids: { public_id: string } }).ids.public_id).toBe(id);
  });

  it('the request log: a misspelt status is a 400; what the console and `custgate logs tail` send is taken', async () => {
    const gw = await testGateway();
    await customer(gw);
    await refused(await gw.request('/gateway/v1/requests?stauts=4xx', { headers: keyOf(gw) }), 'stauts');
    const listed = await gw.request('/gateway/v1/requests?limit=50&status=2xx&path=/v1', { headers: keyOf(gw) });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { data: { path: string }[] }).data.map((r) => r.path)).toEqual(['/v1/customers']);
  });

  it("webhook endpoints and upstreams: the gateway's endpoint list is not paged, so limit is refused, not read as absent", async () => {
    const gw = await testGateway();
    await refused(await gw.request('/gateway/v1/webhook_endpoints?limit=1', { headers: keyOf(gw) }), 'limit');
    await refused(await gw.request('/gateway/v1/webhook_endpoints/we_x/attempts?limit=5', { headers: keyOf(gw) }), 'limit');
    await refused(await gw.request('/gateway/v1/upstreams?mode=proxy', { headers: keyOf(gw) }), 'mode');
    await refused(await gw.request('/gateway/v1/upstreams/up_x/import?page=2', { headers: keyOf(gw) }), 'page');
  });

  it('translate: a misspelt strict, or a strict that is not true or false, is a 400 instead of a lossy body', async () => {
    const gw = await testGateway();
    const body = { name: 'Jenny Rosen', address: { country: 'US' } };
    const post = (query: string) => gw.request(`/gateway/v1/translate?${query}`, jsonInit('POST', body, keyOf(gw)));
    await refused(await post('from=wooshpay&to=bigcapital&strikt=true'), 'strikt');
    await refused(await post('from=wooshpay&to=bigcapital&strict=yes'), 'strict', 'value');
    expect((await post('from=wooshpay&to=bigcapital&strict=true')).status).toBe(422);
    expect((await post('from=wooshpay&to=bigcapital&strict=false')).status).toBe(200);
  });

  it('authentication comes first, and the probes stay open to what a check adds', async () => {
    const gw = await testGateway();
    expect((await gw.request('/gateway/v1/upstreams?mode=proxy', { headers: { authorization: 'Bearer sk_test_wrong' } })).status).toBe(401);
    expect((await gw.request('/gateway/v1/health?probe=lb')).status).toBe(200);
    expect((await gw.request('/gateway/v1/ready?probe=lb')).status).toBe(200);
  });

  it('every route of the app, every documented GET among them, refuses one, before it does anything', async () => {
    const gw = await testGateway();
    const id = await customer(gw);
    const routes = new Map<string, { method: string; path: string }>();
    for (const r of gw.app.routes) {
      if (!r.path.startsWith('/gateway/v1/') || r.path.endsWith('*') || r.method === 'ALL') continue;
      routes.set(`${r.method} ${r.path}`, { method: r.method, path: r.path.replace(/:[^/]+/g, 'x_nobody') });
    }
    // The routes docs/gateway-api.md lists are all walked; the table names only routes that exist.
    const documented = [
      ...readFileSync('docs/gateway-api.md', 'utf8').matchAll(/^\| `(GET|POST|PATCH|DELETE) (\/gateway\/v1\/[^`?[ ]*)/gm),
    ];
    expect(documented.length).toBeGreaterThan(15);
    for (const [, method, path] of documented) expect(routes.has(`${method} ${path!.replace(/\{(\w+)\}/g, ':$1')}`), path).toBe(true);
    for (const key of Object.keys(gatewayQueries)) expect(routes.has(key), key).toBe(true);

    const walked: string[] = [];
    for (const [key, route] of routes) {
      if (openRoutes.has(key)) continue;
      const init = route.method === 'GET' ? { headers: keyOf(gw) } : jsonInit(route.method, {}, keyOf(gw));
      const res = await gw.request(`${route.path}?zz_unknown=1`, init);
      expect([key, res.status]).toEqual([key, 400]);
      expect(((await res.json()) as GatewayError).error.issues?.[0], key).toMatchObject({ path: ['zz_unknown'], kind: 'unknown' });
      walked.push(key);
    }
    expect(walked.filter((k) => k.startsWith('GET ')).length).toBeGreaterThan(15);
    // Refused before it ran: the reset among them emptied nothing.
    expect((await gw.request(`/gateway/v1/customers/${id}`, { headers: keyOf(gw) })).status).toBe(200);
  });
});
