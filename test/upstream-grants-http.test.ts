import { afterAll, beforeAll, expect, it } from 'vitest';
import { keyringFor } from '../src/upstream/secrets.ts';
import { freePort } from './support/processes.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { addUpstream, mintToken, registeredDialects } from './support/registered.ts';

// The gateway API's side of test/upstream-grants.test.ts: a Connhex token minted for a mirror
// (update and delete, no get) is enough until the upstream becomes the proxy, which reads there.
// PATCH /gateway/v1/upstreams/{id} and POST …/promote do what they are asked and say, in the
// answer's `warnings`, what the provider will refuse, as `custgate upstream mode|promote` do.

let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway();
});

afterAll(async () => {
  await gw?.store.executor.close();
});

it('a mirror token warns in the answer as it becomes the proxy, by PATCH or by promotion; back to mirror: no warning', async () => {
  const connhex = registeredDialects.find((d) => d.name === 'connhex');
  if (!connhex) throw new Error('connhex is not registered');
  const token = await mintToken(gw.store, gw.config, gw.tenant.tenant, connhex, {
    permissions: ['pay:customers:update', 'pay:customers:delete'],
  });
  // Nothing listens there: changing the mode does not call it.
  const added = await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), gw.tenant.tenant.id, {
    dialect: 'connhex',
    baseUrl: `http://127.0.0.1:${await freePort()}/connhex`,
    mode: 'mirror',
    credentials: { token },
  });
  expect(added.warnings).toBeUndefined();
  const auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay?.secret_key}` };
  const path = `/gateway/v1/upstreams/${added.id}`;
  const needsGet = 'lack pay:customers:get, which a proxy upstream needs';
  interface Answer {
    readonly mode: string;
    readonly history: unknown[];
    readonly warnings?: string[];
    readonly forced?: boolean;
  }

  const toProxy = await gw.request(path, jsonInit('PATCH', { mode: 'proxy' }, auth));
  expect(toProxy.status).toBe(200);
  const proxied = (await toProxy.json()) as Answer;
  expect(proxied.mode).toBe('proxy');
  expect(proxied.warnings).toEqual([expect.stringContaining(needsGet)]);
  expect(proxied.warnings?.[0]).toContain('--permissions <its permissions>,pay:customers:get');
  // The warning names permissions, never the token.
  expect(JSON.stringify(proxied)).not.toContain(token);

  const back = await gw.request(path, jsonInit('PATCH', { mode: 'mirror' }, auth));
  expect(back.status).toBe(200);
  expect((await back.json()) as Answer).not.toHaveProperty('warnings');

  // Never reconciled, so it is promoted only by force; the grants warning comes beside that.
  const promoted = await gw.request(`${path}/promote`, jsonInit('POST', { force: true }, auth));
  expect(promoted.status).toBe(200);
  const shown = (await promoted.json()) as Answer;
  expect(shown).toMatchObject({ mode: 'proxy', forced: true });
  expect(shown.warnings).toEqual([expect.stringContaining(needsGet)]);

  // The other tenant cannot change it, warned or not.
  const otherAuth = { authorization: `Bearer ${gw.other.credentials.wooshpay?.secret_key}` };
  expect((await gw.request(path, jsonInit('PATCH', { mode: 'mirror' }, otherAuth))).status).toBe(404);
});

it('a token granting what the proxy needs: promoted without a warning', async () => {
  const connhex = registeredDialects.find((d) => d.name === 'connhex');
  if (!connhex) throw new Error('connhex is not registered');
  const token = await mintToken(gw.store, gw.config, gw.other.tenant, connhex, { permissions: ['pay:*'] });
  const added = await addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), gw.other.tenant.id, {
    dialect: 'connhex',
    baseUrl: `http://127.0.0.1:${await freePort()}/connhex`,
    mode: 'mirror',
    credentials: { token },
  });
  const auth = { authorization: `Bearer ${gw.other.credentials.wooshpay?.secret_key}` };
  const promoted = await gw.request(`/gateway/v1/upstreams/${added.id}/promote`, jsonInit('POST', { force: true }, auth));
  expect(promoted.status).toBe(200);
  const shown = (await promoted.json()) as Record<string, unknown>;
  expect(shown).toMatchObject({ mode: 'proxy', forced: true });
  expect(shown).not.toHaveProperty('warnings');
});
