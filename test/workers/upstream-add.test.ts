import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import worker from '../../src/entries/worker.ts';
import { createTenant } from '../support/registered.ts';
import { testStore } from '../support/store.ts';

// A Worker on D1 has no CLI on its database: its upstreams are added over the gateway's API
// (POST /gateway/v1/upstreams) and removed with DELETE, through src/entries/worker.ts as deployed.
// The provider is a Stripe-like customers API answered by the isolate's fetch (workerd cannot
// start a second custgate process), as in import-cron.test.ts.

const providerKey = 'sk_test_edge_provider_0123456789';
const sent: { method: string; path: string; body: string; authorization: string | null }[] = [];

async function stripeLikeProvider(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const url = new URL(request.url);
  // The loop check's probe, and any read: nothing is known here.
  if (request.method === 'GET')
    return Response.json({ error: { type: 'invalid_request_error', code: 'resource_missing' } }, { status: 404 });
  const body = await request.text();
  sent.push({ method: request.method, path: url.pathname, body, authorization: request.headers.get('authorization') });
  const fields = Object.fromEntries(
    request.headers.get('content-type')?.includes('json') ? Object.entries(JSON.parse(body) as object) : new URLSearchParams(body),
  );
  return Response.json({ id: 'cus_EdgeProvider0001', object: 'customer', created: 1, livemode: false, metadata: {}, ...fields });
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('an upstream added over HTTP on Workers', () => {
  it('is added by POST, a proxied write reaches the provider, DELETE removes it', async () => {
    vi.stubGlobal('fetch', stripeLikeProvider);
    const store = await testStore();
    const tenant = await createTenant(store, loadConfig({ NODE_ENV: 'test' }), `edge-add-${crypto.randomUUID().slice(0, 8)}`);
    const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    const call = async (path: string, init: RequestInit = {}) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`https://custgate.test${path}`, init), env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const json = (method: string, body: unknown) => ({
      method,
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

    // Bad input stores nothing.
    const bad = await call(
      '/gateway/v1/upstreams',
      json('POST', { dialect: 'wooshpay', base_url: 'https://provider.example', credentials: { token: 'x' } }),
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_request', issues: [{ path: ['credentials'] }] } });

    const res = await call(
      '/gateway/v1/upstreams',
      json('POST', { dialect: 'wooshpay', base_url: 'https://provider.example', mode: 'proxy', credentials: { secret_key: providerKey } }),
    );
    expect(res.status).toBe(201);
    const added = (await res.json()) as { id: string; mode: string };
    expect(added).toMatchObject({ mode: 'proxy', dialect: 'wooshpay', base_url: 'https://provider.example', links: 0 });
    expect(JSON.stringify(added)).not.toContain(providerKey);
    const listed = (await (await call('/gateway/v1/upstreams', { headers: auth })).json()) as { data: { id: string }[] };
    expect(listed.data.map((u) => u.id)).toEqual([added.id]);

    const write = await call('/v1/customers', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Edge+Proxied',
    });
    expect(write.status).toBe(200);
    expect(await write.json()).toMatchObject({ name: 'Edge Proxied' });
    const creates = sent.filter((s) => s.method === 'POST' && s.path === '/v1/customers');
    expect(creates).toHaveLength(1);
    // Wooshpay's client half sends the key as Stripe's SDK does: HTTP Basic, the key as the user.
    expect(creates[0]?.authorization).toBe(`Basic ${btoa(`${providerKey}:`)}`);
    expect(creates[0]?.body).toContain('Edge Proxied');

    const removed = await call(`/gateway/v1/upstreams/${added.id}`, { method: 'DELETE', headers: auth });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toEqual({ id: added.id, object: 'upstream', deleted: true });
    const after = await call('/v1/customers', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Edge+Local',
    });
    expect(after.status).toBe(200);
    expect(sent.filter((s) => s.method === 'POST' && s.path === '/v1/customers')).toHaveLength(1);
  });
});
