import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Schema, Validator } from '@cfworker/json-schema';
import { loadConfig } from '../src/config.ts';
import { dialectList } from '../src/contract/registry.ts';
import { gatewayUpstreamsDocument } from '../src/openapi/gateway-upstreams.ts';
import { upstreamModes } from '../src/store/upstreams.ts';
import { registry } from '../dialects/index.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { createApp } from './support/registered.ts';
import { testStore } from './support/store.ts';

// POST /gateway/v1/upstreams and DELETE /gateway/v1/upstreams/{id}: what `custgate upstream add`
// and `upstream remove` do, over the gateway's API, so a deployment with no CLI on its database
// (Workers + D1) can add a proxy. Bad input is a 400 naming it and stores nothing; a base URL
// that is this gateway itself is refused as the CLI refuses it. Which keys may:
// test/upstream-key-modes.test.ts.

type Server = ReturnType<typeof serve>;

/** Whether an answer is what the upstream routes' OpenAPI document says it is (the named component schema). */
function conforms(name: string, body: unknown): void {
  const doc = gatewayUpstreamsDocument(dialectList(registry), upstreamModes) as { components: { schemas: Record<string, Schema> } };
  const schema = doc.components.schemas[name];
  if (!schema) throw new Error(`no schema ${name}`);
  const result = new Validator(schema, '2020-12').validate(body);
  expect(result.errors, `${name}: ${JSON.stringify(body)}`).toEqual([]);
}

async function listen(fetch: (request: Request) => Response | Promise<Response>): Promise<{ server: Server; base: string }> {
  const server = serve({ fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const close = (server: Server | undefined) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

let gw: TestGateway;
let provider: TestGateway;
let servers: Server[] = [];
let gatewayBase: string;
let providerBase: string;

beforeAll(async () => {
  gw = await testGateway();
  provider = await testGateway();
  const up = await listen(provider.app.fetch);
  const self = await listen(gw.app.fetch);
  servers = [up.server, self.server];
  providerBase = up.base;
  gatewayBase = self.base;
});

afterAll(async () => {
  for (const server of servers) await close(server);
  await gw?.store.executor.close();
  await provider?.store.executor.close();
});

const testKey = () => ({ authorization: `Bearer ${gw.tenant.credentials.wooshpay?.secret_key}` });
const providerKey = () => provider.tenant.credentials.wooshpay?.secret_key ?? '';
const add = (body: unknown, auth = testKey()) => gw.request('/gateway/v1/upstreams', jsonInit('POST', body, auth));
/** A Wooshpay upstream at `base`, with the provider's key. */
const addAt = (base: string, mode: string) =>
  add({ dialect: 'wooshpay', base_url: base, mode, credentials: { secret_key: providerKey() } });
const listed = async (auth = testKey()) =>
  ((await (await gw.request('/gateway/v1/upstreams', { headers: auth })).json()) as { data: unknown[] }).data;

describe('adding an upstream over the gateway API', () => {
  it('refuses bad input with a 4xx naming it, and stores nothing', async () => {
    const good = { dialect: 'wooshpay', base_url: providerBase, mode: 'mirror', credentials: { secret_key: providerKey() } };
    const cases: [unknown, number, string | undefined][] = [
      [{ ...good, dialect: 'paypal' }, 400, 'dialect'],
      [{ ...good, base_url: 'ftp://provider.example' }, 400, 'base_url'],
      [{ ...good, base_url: 'not a url' }, 400, 'base_url'],
      [{ ...good, base_url: 'https://user:pw@provider.example' }, 400, 'base_url'],
      [{ ...good, credentials: { token: 'x' } }, 400, 'credentials'],
      [{ ...good, credentials: 'sk_test_x' }, 400, 'credentials'],
      [{ ...good, mode: 'primary' }, 400, 'mode'],
      [{ ...good, encoding: 'xml' }, 400, 'encoding'],
      [{ ...good, dialect: 'meteroid', credentials: { api_key: 'pv_test_x' }, encoding: 'form' }, 400, 'encoding'],
      [{ ...good, webhook_secret: 'short' }, 400, undefined],
      [{ ...good, base_url: 42 }, 400, 'base_url'],
      [{ ...good, credential: good.credentials }, 400, 'credential'],
      [{ dialect: 'wooshpay', base_url: providerBase }, 400, 'credentials'],
      [{ ...good, base_url: gatewayBase }, 400, 'base_url'],
      [{ ...good, padding: 'x'.repeat(gw.config.bodyLimitBytes) }, 413, undefined],
      [[good], 400, undefined],
    ];
    for (const [body, status, path] of cases) {
      const res = await add(body);
      const answer = (await res.json()) as { error: { code: string; message: string; issues?: { path: string[] }[] } };
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(answer.error.code).toMatch(/^(invalid_request|payload_too_large)$/);
      if (path !== undefined) expect(answer.error.issues?.[0]?.path).toEqual([path]);
      conforms('Error', answer);
      expect(JSON.stringify(answer)).not.toContain(providerKey());
    }
    expect(await listed()).toEqual([]);
    expect(await gw.store.upstreams.list(gw.tenant.tenant.id)).toEqual([]);
  });

  it('adds a proxy that a write then reaches; removed, the next write stays here', async () => {
    const res = await add({ dialect: 'wooshpay', base_url: providerBase, credentials: { secret_key: providerKey() } });
    expect(res.status).toBe(201);
    const added = (await res.json()) as { id: string; mode: string; history: { event: string }[] };
    expect(res.headers.get('location')).toBe(`/gateway/v1/upstreams/${added.id}`);
    expect(added).toMatchObject({ mode: 'proxy', dialect: 'wooshpay', base_url: providerBase, links: 0, encoding: 'json' });
    expect(added.history.map((h) => h.event)).toEqual(['added']);
    expect(JSON.stringify(added)).not.toContain(providerKey());
    conforms('Upstream', added);
    // The answer is the upstream as GET shows it.
    const shown = await gw.request(`/gateway/v1/upstreams/${added.id}`, { headers: testKey() });
    expect(await shown.json()).toEqual(added);

    const write = await gw.request('/v1/customers', {
      method: 'POST',
      headers: { ...testKey(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Through+the+API&email=api%40example.com',
    });
    expect(write.status).toBe(200);
    const { id } = (await write.json()) as { id: string };
    const links = (await (await gw.request(`/gateway/v1/customers/${id}/links`, { headers: testKey() })).json()) as {
      data: { upstream_id: string; remote_id: string }[];
    };
    expect(links.data).toEqual([expect.objectContaining({ upstream_id: added.id })]);
    const remote = await provider.request(`/v1/customers/${links.data[0]?.remote_id}`, {
      headers: { authorization: `Bearer ${providerKey()}` },
    });
    expect(await remote.json()).toMatchObject({ name: 'Through the API', email: 'api@example.com' });

    const removed = await gw.request(`/gateway/v1/upstreams/${added.id}`, { method: 'DELETE', headers: testKey() });
    expect(removed.status).toBe(200);
    const gone = await removed.json();
    expect(gone).toEqual({ id: added.id, object: 'upstream', deleted: true });
    conforms('Deleted', gone);
    expect(await listed()).toEqual([]);
    const again = await gw.request(`/gateway/v1/upstreams/${added.id}`, { method: 'DELETE', headers: testKey() });
    expect(again.status).toBe(404);
    const before = await provider.store.countCustomers(provider.tenant.tenant.id);
    const local = await gw.request('/v1/customers', {
      method: 'POST',
      headers: { ...testKey(), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Only+here',
    });
    expect(local.status).toBe(200);
    expect(await provider.store.countCustomers(provider.tenant.tenant.id)).toBe(before);
  });

  it('sets and clears the webhook secret as `upstream webhook-secret` does', async () => {
    const res = await addAt(`${providerBase}/wooshpay`, 'shadow');
    expect(res.status).toBe(201);
    const { id, webhooks_in } = (await res.json()) as { id: string; webhooks_in: boolean };
    expect(webhooks_in).toBe(false);
    const path = `/gateway/v1/upstreams/${id}/webhook-secret`;
    const set = await gw.request(path, jsonInit('PUT', { secret: 'whsec_api_secret_0123456789' }, testKey()));
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ id, webhooks_in: true });
    const bad = await gw.request(path, jsonInit('PUT', { secret: 5 }, testKey()));
    expect(bad.status).toBe(400);
    // A secret this format cannot key with is named as the body holds it: `secret` (it read webhook_secret, the add's name).
    const short = await gw.request(path, jsonInit('PUT', { secret: 'short' }, testKey()));
    expect(short.status).toBe(400);
    expect(await short.json()).toMatchObject({ error: { issues: [{ path: ['secret'] }] } });
    const cleared = await gw.request(path, jsonInit('PUT', { secret: null }, testKey()));
    expect(await cleared.json()).toMatchObject({ id, webhooks_in: false });
    expect((await gw.request(`/gateway/v1/upstreams/${id}`, { method: 'DELETE', headers: testKey() })).status).toBe(200);
  });

  it("another tenant's key neither sees nor removes it", async () => {
    const res = await addAt(`${providerBase}/w2`, 'mirror');
    const { id } = (await res.json()) as { id: string };
    const other = { authorization: `Bearer ${gw.other.credentials.wooshpay?.secret_key}` };
    expect((await gw.request(`/gateway/v1/upstreams/${id}`, { method: 'DELETE', headers: other })).status).toBe(404);
    expect((await gw.request(`/gateway/v1/upstreams/${id}`, { headers: testKey() })).status).toBe(200);
    expect((await gw.request(`/gateway/v1/upstreams/${id}`, { method: 'DELETE', headers: testKey() })).status).toBe(200);
  });
});

describe('without CUSTGATE_SECRETS_KEY in production', () => {
  it('answers 503 naming the variable, stores nothing', async () => {
    const store = await testStore();
    const config = loadConfig({ NODE_ENV: 'production' });
    const app = createApp({ store, config, logger: { error: () => undefined } });
    const { createTenant } = await import('./support/registered.ts');
    const tenant = await createTenant(store, config, `keyless-${crypto.randomUUID().slice(0, 8)}`);
    try {
      const res = await app.request(
        '/gateway/v1/upstreams',
        jsonInit(
          'POST',
          { dialect: 'wooshpay', base_url: 'http://127.0.0.1:9/k', mode: 'mirror', credentials: { secret_key: 'sk_test_keyless_secret' } },
          { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` },
        ),
      );
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'unavailable', message: expect.stringContaining('CUSTGATE_SECRETS_KEY') } });
      expect(text).not.toContain('sk_test_keyless_secret');
      expect(text).not.toMatch(/\bat \S+:\d+/);
      expect(await store.upstreams.list(tenant.tenant.id)).toEqual([]);
    } finally {
      await store.executor.close();
    }
  });
});
