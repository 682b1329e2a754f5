import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { bottomlessMeteroid } from './support/local-provider.ts';
import { addUpstream, createTenant } from './support/registered.ts';

// A Meteroid upstream takes no Idempotency-Key and has no field for a marker: when a create's
// answer is lost, the next write looks for what it left in the provider's list, at most 20 pages
// (src/upstream/marker.ts). A provider whose list is longer than that gets a 502 and no second
// create. The provider here answers pages of one customer each, so the bound is reached in 20
// small pages; nothing in the gateway is changed for the test.

let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '5000' });
});

const meteroid = bottomlessMeteroid();

it('a retry whose look-up would pass 20 pages is a 502 in the client envelope, the create not sent again, nothing changed', async () => {
  const auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay?.secret_key}` };
  const made = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Long list' }, auth));
  expect(made.status).toBe(200);
  const id = ((await made.json()) as { id: string }).id;
  await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), gw.tenant.tenant.id, {
    dialect: 'meteroid',
    baseUrl: meteroid.base,
    mode: 'proxy',
    credentials: { api_key: 'test-key' },
  });
  const lost = await gw.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Long list 2' }, auth));
  expect(lost.status).toBe(503);
  expect([meteroid.creates, meteroid.listed]).toEqual([1, 0]);

  const retry = await gw.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Long list 2' }, auth));
  expect(retry.status).toBe(502);
  const body = (await retry.json()) as { error: { type: string; message: string } };
  expect(body.error.type).toBe('api_error');
  expect(body.error.message).toContain('more than 20 pages');
  // 20 pages, and the page before each of the last 19 read again: the list is paged by position
  // and checked for moving under the look-up (src/upstream/list-shift.ts).
  expect([meteroid.creates, meteroid.listed]).toEqual([1, 39]);
  const uuid = (await gw.canonical(id)).ids.uuid as string;
  expect((await gw.canonical(id)).name).toBe('Long list');
  expect(await gw.store.upstreams.linksOf(gw.tenant.tenant.id, uuid)).toHaveLength(0);
});

// When a create's answer was lost at Bigcapital (no Idempotency-Key, no field for a marker), the
// next write looks in the provider's list for what it left. A customer there with the same
// content that Bigcapital dates long before the attempt is someone else's: not adopted. The
// provider here lost the first create without keeping it, and lists one such older customer.

const customerOf = (body: Record<string, unknown>, id: number, createdAt: string) => ({ ...body, id, createdAt });

/** A Bigcapital that drops the first create it gets and lists, beside it, one that shows exactly it, made an hour earlier. */
async function twinProvider() {
  const posts: Record<string, unknown>[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://provider');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === '/api/customers') {
      posts.push(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
      if (posts.length === 1) {
        req.socket.destroy();
        return;
      }
      json(200, customerOf(posts.at(-1) ?? {}, 2002, new Date().toISOString()));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/customers') {
      // Exactly what the lost create carried, made an hour before it.
      const older = customerOf(posts[0] ?? {}, 1001, new Date(Date.now() - 3_600_000).toISOString());
      json(200, { customers: [older], pagination: { page: 1, pageSize: 100, total: 1 } });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/customers/2002') {
      json(200, customerOf(posts.at(-1) ?? {}, 2002, new Date().toISOString()));
      return;
    }
    json(404, { errors: [{ type: 'NOT_FOUND', code: 404 }] });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  twins.push(server);
  return { url, posts };
}

const twins: Server[] = [];
let bigcapitalBase = '';
let posts: Record<string, unknown>[] = [];

beforeAll(async () => {
  ({ url: bigcapitalBase, posts } = await twinProvider());
});

afterAll(async () => {
  for (const server of twins) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

it('an identical customer the provider made before the attempt is not linked; the create is sent again', async () => {
  const auth = { authorization: `Bearer ${gw.other.credentials.wooshpay?.secret_key}` };
  const made = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Twin', email: 'twin@example.com' }, auth));
  expect(made.status).toBe(200);
  const id = ((await made.json()) as { id: string }).id;
  await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), gw.other.tenant.id, {
    dialect: 'bigcapital',
    baseUrl: bigcapitalBase,
    mode: 'proxy',
    credentials: { api_key: 'test-key' },
  });
  const write = () => gw.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { description: 'twin' }, auth));
  expect((await write()).status).toBe(503);
  const retry = await write();
  expect(retry.status, await retry.clone().text()).toBe(200);
  expect(posts).toHaveLength(2);
  expect(posts[1]).toEqual(posts[0]);
  const canonical = await gw.request(`/gateway/v1/customers/${id}`, { headers: auth });
  const uuid = ((await canonical.json()) as { ids: { uuid: string } }).ids.uuid;
  const links = await gw.store.upstreams.linksOf(gw.other.tenant.id, uuid);
  expect(links.map((l) => l.remote_id)).toEqual(['2002']);
});

// The same rule for a client's own create under an Idempotency-Key (no local customer yet): its
// retry looks for what the lost attempt left, and the twin made an hour before is not it.
it('a keyed client create whose answer was lost: the identical older customer is not adopted; the create is sent again', async () => {
  const twin = await twinProvider();
  const tenant = await createTenant(gw.store, gw.config, 'keyed-twin');
  await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), tenant.tenant.id, {
    dialect: 'bigcapital',
    baseUrl: twin.url,
    mode: 'proxy',
    credentials: { api_key: 'test-key' },
  });
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}`, 'idempotency-key': 'keyed-twin-1' };
  const create = () => gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Keyed twin', email: 'kt@example.com' }, auth));
  expect((await create()).status).toBe(503);
  const retry = await create();
  expect(retry.status, await retry.clone().text()).toBe(200);
  expect(twin.posts).toHaveLength(2);
  expect(twin.posts[1]).toEqual(twin.posts[0]);
  const uuid = ((await retry.json()) as { id: string }).id;
  const canonical = await gw.request(`/gateway/v1/customers/${uuid}`, { headers: auth });
  const ids = ((await canonical.json()) as { ids: { uuid: string } }).ids;
  const links = await gw.store.upstreams.linksOf(tenant.tenant.id, ids.uuid);
  expect(links.map((l) => l.remote_id)).toEqual(['2002']);
});
