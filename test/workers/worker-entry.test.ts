import { env, SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { type CreatedTenant, createTenant } from '../support/registered.ts';
import worker from '../../src/entries/worker.ts';
import { testStore } from '../support/store.ts';

// src/entries/worker.ts itself, as workerd runs it: wrangler.toml's D1 binding and variables, the fetch
// handler behind the worker's URL, and the cron handler.

describe('the worker entry', () => {
  let tenant: CreatedTenant;
  let auth: Record<string, string>;

  beforeAll(async () => {
    const store = await testStore();
    // Config as the worker sees it (NODE_ENV=test from the project's bindings, no secret set).
    tenant = await createTenant(store, loadConfig({ NODE_ENV: 'test' }), 'edge');
    auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
  });

  it('runs the suites on D1 (test/support/store.ts is swapped in this project)', async () => {
    expect((await testStore()).executor.backend).toBe('d1');
  });

  it('serves the gateway from the D1 binding', async () => {
    const health = await SELF.fetch('https://custgate.test/gateway/v1/health');
    expect(health.status).toBe(200);

    const created = await SELF.fetch('https://custgate.test/v1/customers', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Edge&metadata[region]=eu',
    });
    expect(created.status).toBe(200);
    const customer = (await created.json()) as { id: string; metadata: Record<string, string> };
    expect(customer.metadata).toEqual({ region: 'eu' });

    const read = await SELF.fetch(`https://custgate.test/v1/customers/${customer.id}`, { headers: auth });
    expect(await read.json()).toEqual(customer);
    const row = await env.DB.prepare('select version from customers where public_id = ?').bind(customer.id).all<{ version: number }>();
    expect(row.results).toEqual([{ version: 1 }]);
  });

  it('accepts the JWTs createTenant issued with the same secret', async () => {
    const connhex = tenant.credentials.connhex;
    if (connhex === undefined) return; // the connhex dialect has not landed on this branch
    const token = Object.values(connhex)[0]!;
    const res = await SELF.fetch('https://custgate.test/connhex/customers/cus_missing000000', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(404);
  });

  it('needs no CUSTGATE_JWT_SECRET, in production too: tokens verify against the tenant key kept in D1', async () => {
    const production = { DB: env.DB, NODE_ENV: 'production' };
    const token = tenant.credentials.connhex!.token!;
    const res = await worker.fetch(
      new Request('https://custgate.test/connhex/customers/cus_missing000000', { headers: { authorization: `Bearer ${token}` } }),
      production,
    );
    expect(res.status).toBe(404);
  });

  it("answers /metrics (the Node server's) with a 404 in the gateway's envelope saying it is not served here", async () => {
    // As a scraper sends it (with the probe token) and as a curl without one.
    for (const headers of [{ authorization: 'Bearer any-probe-token-at-all-000' }, {}]) {
      const res = await SELF.fetch('https://custgate.test/metrics', { headers });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code?: string; message: string } };
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).toMatch(/^\/metrics is not served on this runtime/);
    }
  });

  it("answers 500 in the gateway's envelope when a variable is invalid, and logs which (Node refuses to start)", async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const res = await worker.fetch(new Request('https://custgate.test/gateway/v1/health'), {
        DB: env.DB,
        NODE_ENV: 'test',
        CUSTGATE_BODY_LIMIT_BYTES: 'abc',
      });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: expect.stringMatching(/^The gateway is misconfigured/) } });
      expect(text).not.toContain('CUSTGATE_BODY_LIMIT_BYTES');
      expect(logged.mock.calls.map((c) => String(c[0])).join('\n')).toContain('CUSTGATE_BODY_LIMIT_BYTES: must be a whole number');
    } finally {
      logged.mockRestore();
    }
  });

  it('logs the invalid variable on its cron trigger as on a request: one config_invalid line, no uncaught exception', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await worker.scheduled({ scheduledTime: Date.now() }, { DB: env.DB, NODE_ENV: 'test', CUSTGATE_BODY_LIMIT_BYTES: 'abc' });
      const lines = logged.mock.calls.map((c) => JSON.parse(String(c[0])) as { event: string; message: string });
      expect(lines).toEqual([
        expect.objectContaining({ event: 'config_invalid', message: expect.stringMatching(/^CUSTGATE_BODY_LIMIT_BYTES: /) }),
      ]);
    } finally {
      logged.mockRestore();
    }
  });

  it('drops expired idempotency keys on its cron trigger', async () => {
    const store = await testStore();
    const key = {
      tenant_id: crypto.randomUUID(),
      key: 'old',
      request_hash: 'h',
      state: 'done',
      status: 200,
      body: '{}',
      created_at: '2020-01-01T00:00:00.000Z',
      expires_at: '2020-01-02T00:00:00.000Z',
    };
    expect(await store.claimKey(key)).toBe(true);
    await worker.scheduled({ scheduledTime: Date.now() }, { DB: env.DB });
    expect(await store.findKey(key.tenant_id, 'old')).toBeUndefined();
  });
});
