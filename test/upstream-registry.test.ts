import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startNode } from '../src/entries/node.ts';
import { createTenant, addUpstream } from './support/registered.ts';
import { keyringFor, missingKeyMessage, openCredentials } from '../src/upstream/secrets.ts';
import { testEnv, testGateway } from './support/gateway.ts';

// Upstreams as an operator adds them: credentials checked against the dialect's own shape, stored
// encrypted, listed without them, one proxy per tenant, and a production gateway that will not
// start when it could not read them.

const zenskar = { api_key: 'zsk_upstream_secret_value_123', organisation: '6f1c1b7e-1111-4222-8333-944455556666' };

describe('upstreams: add, list, isolation, secrets', () => {
  it('refuses credentials not shaped as the dialect issues them, and a second proxy upstream', async () => {
    const gw = await testGateway();
    const keyring = keyringFor(gw.config, gw.store.upstreams);
    const tenantId = gw.tenant.tenant.id;
    const add = (credentials: unknown, mode = 'proxy') =>
      addUpstream(gw.store, keyring, tenantId, { dialect: 'zenskar', baseUrl: 'http://127.0.0.1:1/zenskar', mode, credentials });
    await expect(add({ secret_key: 'sk_test_x' })).rejects.toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('api_key'),
    });
    await expect(add({ ...zenskar, extra: 'x' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(add(zenskar, 'sideways')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(
      addUpstream(gw.store, keyring, tenantId, { dialect: 'zenskar', baseUrl: 'ftp://x', mode: 'proxy', credentials: zenskar }),
    ).rejects.toMatchObject({ code: 'invalid_request' });
    await add(zenskar);
    await expect(add(zenskar)).rejects.toMatchObject({ code: 'conflict' });
    // mirror and shadow are stored (their delivery is another part's).
    await expect(add(zenskar, 'mirror')).resolves.toMatchObject({ mode: 'mirror' });
  });

  it('stores credentials encrypted, lists without them, and shows a tenant only its own', async () => {
    const gw = await testGateway();
    const keyring = keyringFor(gw.config, gw.store.upstreams);
    const added = await addUpstream(gw.store, keyring, gw.tenant.tenant.id, {
      dialect: 'zenskar',
      baseUrl: 'http://127.0.0.1:1/zenskar/',
      mode: 'proxy',
      credentials: zenskar,
    });
    expect(added.base_url).toBe('http://127.0.0.1:1/zenskar');
    const [row] = await gw.store.upstreams.list(gw.tenant.tenant.id);
    expect(row?.credentials).not.toContain(zenskar.api_key);
    // Another process of the same deployment (a second keyring over the same store) opens it.
    const again = keyringFor(gw.config, gw.store.upstreams);
    expect(JSON.parse((await openCredentials(again, row!)).plaintext)).toEqual(zenskar);

    const list = async (key: string) =>
      (await (await gw.request('/gateway/v1/upstreams', { headers: { authorization: `Bearer ${key}` } })).json()) as { data: unknown[] };
    const mine = await list(gw.tenant.credentials.wooshpay!.secret_key!);
    expect(mine.data).toEqual([{ ...added, credentials_readable: true }]);
    expect(JSON.stringify(mine)).not.toContain(zenskar.api_key);
    expect((await list(gw.other.credentials.wooshpay!.secret_key!)).data).toEqual([]);
    const anonymous = await gw.request('/gateway/v1/upstreams');
    expect(anonymous.status).toBe(401);
  });

  it('a production gateway with upstreams and no CUSTGATE_SECRETS_KEY refuses to start; with a key it starts', async () => {
    const gw = await testGateway();
    await createTenant(gw.store, gw.config, 'x');
    await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), gw.tenant.tenant.id, {
      dialect: 'zenskar',
      baseUrl: 'http://127.0.0.1:1',
      mode: 'proxy',
      credentials: zenskar,
    });
    const production = { ...testEnv, NODE_ENV: 'production' };
    await expect(startNode(production, { port: 0, hostname: '127.0.0.1', store: gw.store })).rejects.toThrow(missingKeyMessage);
    expect(() => loadConfig({ ...production, CUSTGATE_SECRETS_KEY: 'short' })).toThrow(/CUSTGATE_SECRETS_KEY/);
    const started = await startNode(
      { ...production, CUSTGATE_SECRETS_KEY: Buffer.alloc(32, 1).toString('base64') },
      { port: 0, hostname: '127.0.0.1', store: gw.store },
    );
    await started.close();
  });
});
