import { describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { swaggerAssetsFromNodeModules } from '../src/web/node-assets.ts';
import { createApp } from './support/registered.ts';
import { jsonInit, testGateway } from './support/gateway.ts';

// The pages' HTTP surface: their security headers, what /docs does without Swagger UI's files
// (the Worker), the console's views endpoint and its optional-endpoint discovery.

describe('/console and /docs', () => {
  it("serve the console under a CSP of the gateway's own origin, and no inline script", async () => {
    const gw = await testGateway();
    for (const path of ['/console', '/console/app.js', '/console/app.css']) {
      const res = await gw.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
      expect(res.headers.get('content-security-policy')).not.toContain('unsafe');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    const html = await (await gw.request('/console')).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('answer /docs with a 404 in the gateway envelope where Swagger UI is not installed (the Worker)', async () => {
    const gw = await testGateway();
    const res = await gw.request('/docs');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('/wooshpay/openapi.json');
  });

  it('serve /docs and only the listed Swagger UI files where they are installed (Node)', async () => {
    const gw = await testGateway();
    const app = createApp({ store: gw.store, config: gw.config, docsAssets: swaggerAssetsFromNodeModules() });
    const page = await app.request('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
    expect(await page.text()).not.toMatch(/(src|href)="(https?:)?\/\//);
    const init = await (await app.request('/docs/init.js')).text();
    for (const d of Object.values(dialects)) expect(init).toContain(`${d.routes.prefix}/openapi.json`);
    expect(init).toContain('/gateway/v1/openapi.json');
    expect((await app.request('/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
    expect((await app.request('/docs/assets/package.json')).status).toBe(404);
    expect((await app.request('/docs/assets/..%2Fpackage.json')).status).toBe(404);
  });

  it('tell the console which optional gateway endpoints exist', async () => {
    // links come with the upstreams (#16), deliveries with the outbox (#17): both routes are served
    const gw = await testGateway();
    expect(await (await gw.request('/console/features.json')).json()).toEqual({ links: true, deliveries: true });
  });
});

describe('GET /gateway/v1/customers/:ref/views', () => {
  it("shows one customer in every dialect's shape, to its own tenant only", async () => {
    const gw = await testGateway();
    const key = gw.tenant.credentials.wooshpay!.secret_key!;
    const created = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Five Ways' }, { authorization: `Bearer ${key}` }));
    const { id } = (await created.json()) as { id: string };
    const res = await gw.request(`/gateway/v1/customers/${id}/views`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { views: Record<string, { body: unknown }> };
    for (const d of Object.values(dialects)) expect(fixturesOf(d).name(body.views[d.name]?.body)).toBe('Five Ways');

    const otherKey = gw.other.credentials.wooshpay!.secret_key!;
    const foreign = await gw.request(`/gateway/v1/customers/${id}/views`, { headers: { authorization: `Bearer ${otherKey}` } });
    expect(foreign.status).toBe(404);
    expect((await gw.request(`/gateway/v1/customers/${id}/views`)).status).toBe(401);
  });
});
