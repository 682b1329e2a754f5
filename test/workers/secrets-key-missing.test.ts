import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import worker from '../../src/entries/worker.ts';
import { keyringFor } from '../../src/upstream/secrets.ts';
import { addUpstream, createTenant } from '../support/registered.ts';
import { testStore } from '../support/store.ts';

// A deployed worker (NODE_ENV production) without CUSTGATE_SECRETS_KEY whose tenant has upstreams:
// the Node server refuses to start so (src/entries/node.ts); a Worker has no start, so each use of
// the credentials must say which variable is missing, as docs/workers.md says (503 naming it),
// not that the credentials are to be entered again, which the same missing key refuses too.

const sent: string[] = [];

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('a production worker without CUSTGATE_SECRETS_KEY', () => {
  it('answers a proxied write 503 naming the variable, and sends the provider nothing', async () => {
    vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
      sent.push(String(input instanceof Request ? input.url : input));
      return Response.json({ id: 'cus_Never', object: 'customer', created: 1, livemode: false, metadata: {} });
    });
    const store = await testStore();
    // Added where a key was at hand (a development worker keeps one in D1, as `custgate serve` does).
    const config = loadConfig({ NODE_ENV: 'test' });
    const tenant = await createTenant(store, config, `edge-nokey-${crypto.randomUUID().slice(0, 8)}`);
    await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: 'https://provider.example',
      mode: 'proxy',
      credentials: { secret_key: 'sk_test_edge_nokey' },
    });
    const production = { DB: env.DB, NODE_ENV: 'production' };
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request('https://custgate.test/v1/customers', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'name=Never+Sent',
      }),
      production,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(res.status, JSON.stringify(body)).toBe(503);
    expect(body.error.message).toContain('CUSTGATE_SECRETS_KEY');
    expect(body.error.message).not.toContain('enter them again');
    expect(sent).toEqual([]);
  });
});
