import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// POST /gateway/v1/upstreams given what a hostile or careless caller sends (docs/security.md,
// "Upstream inputs"): a credential in the wrong shape is refused without being repeated back, and
// credentials or a base URL too large to use are a 400 naming them, with nothing stored; two
// proxies added at once are one proxy and a 409, not two.

let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway();
});

afterAll(async () => {
  await gw?.store.executor.close();
});

const auth = () => ({ authorization: `Bearer ${gw.tenant.credentials.wooshpay?.secret_key}` });
const add = (body: unknown) => gw.request('/gateway/v1/upstreams', jsonInit('POST', body, auth()));
const stored = async () => (await gw.store.upstreams.list(gw.tenant.tenant.id)).length;

describe('hostile upstream inputs', () => {
  it('names what is wrong with the credentials without repeating a value given', async () => {
    const secret = 'sk_live_TheProvidersRealSecret0123456789';
    const cases = [
      { dialect: 'wooshpay', credentials: secret },
      { dialect: 'wooshpay', credentials: { secret_key: 987654321987 } },
      { dialect: 'bigcapital', credentials: { api_key: secret, jwt: 987654321987, organization_id: 'org' } },
    ];
    for (const { dialect, credentials } of cases) {
      const res = await add({ dialect, base_url: 'http://127.0.0.1:9/shape', mode: 'mirror', credentials });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).not.toContain(secret);
      expect(text).not.toContain('987654321987');
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_request', issues: [{ path: ['credentials'] }] } });
    }
    expect(await stored()).toBe(0);
  });

  it('refuses credentials past 8 KiB (a 500 before), storing nothing', async () => {
    const huge = { secret_key: `sk_test_${'x'.repeat(150_000)}` };
    const big = await add({ dialect: 'wooshpay', base_url: 'http://127.0.0.1:9/huge', mode: 'mirror', credentials: huge });
    expect(big.status).toBe(400);
    expect(await big.json()).toMatchObject({
      error: { message: expect.stringContaining('8192 bytes'), issues: [{ path: ['credentials'] }] },
    });
    expect(await stored()).toBe(0);
  });

  it('refuses a base URL past 2,048 characters, storing nothing; both just within are taken', async () => {
    const long = `http://127.0.0.1:9/${'a'.repeat(2048)}`;
    const url = await add({ dialect: 'wooshpay', base_url: long, mode: 'mirror', credentials: { secret_key: 'sk_test_ok' } });
    expect(url.status).toBe(400);
    expect(await url.json()).toMatchObject({ error: { issues: [{ path: ['base_url'] }] } });
    expect(await stored()).toBe(0);

    // Just within both: taken.
    const within = { secret_key: `sk_test_${'x'.repeat(8000)}` };
    const ok = await add({ dialect: 'wooshpay', base_url: long.slice(0, 2048), mode: 'mirror', credentials: within });
    expect(ok.status).toBe(201);
    expect(await stored()).toBe(1);
  });

  it('two proxies added at once: one is stored, the other is a 409', async () => {
    // The base URLs' server answers the loop probes only once both have arrived: both adds have
    // passed the check for a proxy before either stores one, as two clients at once can.
    const held: ServerResponse[] = [];
    const server = createServer((_req, res) => {
      held.push(res);
      if (held.length === 2) for (const r of held) r.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const before = await stored();
      const both = await Promise.all(
        ['a', 'b'].map((name) =>
          add({ dialect: 'wooshpay', base_url: `${base}/${name}`, mode: 'proxy', credentials: { secret_key: 'sk_test_p' } }),
        ),
      );
      expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
      const refused = both.find((r) => r.status === 409)!;
      expect(await refused.json()).toMatchObject({ error: { code: 'conflict', message: expect.stringContaining('already has a proxy') } });
      const proxies = (await gw.store.upstreams.list(gw.tenant.tenant.id)).filter((u) => u.mode === 'proxy');
      expect(proxies).toHaveLength(1);
      expect(await stored()).toBe(before + 1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
