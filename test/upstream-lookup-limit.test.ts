import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { addUpstream } from './support/registered.ts';

// A Meteroid upstream takes no Idempotency-Key and has no field for a marker: when a create's
// answer is lost, the next write looks for what it left in the provider's list, at most 20 pages
// (src/upstream/marker.ts). A provider whose list is longer than that gets a 502 and no second
// create. The provider here answers pages of one customer each, so the bound is reached in 20
// small pages; nothing in the gateway is changed for the test.

let gw: TestGateway;
let provider: Server;
let base = '';
let creates = 0;
let listed = 0;

beforeAll(async () => {
  provider = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://provider');
    if (req.method === 'POST' && url.pathname === '/api/v1/customers') {
      // The provider may have committed it; the gateway hears a reset connection.
      creates++;
      req.socket.destroy();
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/customers') {
      listed++;
      const page = Number(url.searchParams.get('page') ?? '0');
      const someone = { id: `cus_someone${page}`, name: `Someone else ${page}`, currency: 'EUR' };
      const meta = { page, per_page: 1, total_items: 100_000, total_pages: 100_000 };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [someone], pagination_meta: meta }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'NOT_FOUND', message: 'not found' }));
  });
  await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
  const address = provider.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  gw = await testGateway({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '5000' });
});

afterAll(async () => {
  provider?.closeAllConnections();
  await new Promise<void>((resolve) => provider?.close(() => resolve()));
});

it('a retry whose look-up would pass 20 pages is a 502 in the client envelope, the create not sent again, nothing changed', async () => {
  const auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay?.secret_key}` };
  const made = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Long list' }, auth));
  expect(made.status).toBe(200);
  const id = ((await made.json()) as { id: string }).id;
  await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), gw.tenant.tenant.id, {
    dialect: 'meteroid',
    baseUrl: base,
    mode: 'proxy',
    credentials: { api_key: 'test-key' },
  });
  const lost = await gw.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Long list 2' }, auth));
  expect(lost.status).toBe(503);
  expect([creates, listed]).toEqual([1, 0]);

  const retry = await gw.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Long list 2' }, auth));
  expect(retry.status).toBe(502);
  const body = (await retry.json()) as { error: { type: string; message: string } };
  expect(body.error.type).toBe('api_error');
  expect(body.error.message).toContain('more than 20 pages');
  expect([creates, listed]).toEqual([1, 20]);
  const uuid = (await gw.canonical(id)).ids.uuid as string;
  expect((await gw.canonical(id)).name).toBe('Long list');
  expect(await gw.store.upstreams.linksOf(gw.tenant.tenant.id, uuid)).toHaveLength(0);
});
