import { afterAll, beforeAll, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { addUpstream, createApp, createTenant, type GatewayApp } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// `GET /gateway/v1/customers/{ref}?refresh=true` refetches a proxy tenant's customer from its
// provider (docs/migrating.md). Its query was read loosely: `?refresh=1`, `?refresh=yes` or a
// misspelt `?refersh=true` answered 200 with the local copy, not refetched, so a caller checking
// the provider's state after a change made there read the stale one as if it were the provider's.
// Now a value other than true/false and a parameter the call does not take are a 400 naming it.

let provider: Provider;
let store: Store;
let app: GatewayApp;
let env: Record<string, string>;

beforeAll(async () => {
  provider = await startProvider();
  env = { ...testDatabaseEnv(), ...testEnv };
  store = await openStore(env);
  app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined } });
}, 120_000);
afterAll(async () => {
  await store?.executor.close();
  await provider?.process.stop();
});

type Refusal = { error: { code: string; message: string; issues?: { path: string[]; kind: string }[] } };

it('refuses a refresh it would not do, and refetches on refresh=true', async () => {
  const config = loadConfig(env);
  const tenant = await createTenant(store, config, 'refreshing');
  await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
    dialect: 'zenskar',
    baseUrl: provider.baseUrl('zenskar'),
    mode: 'proxy',
    credentials: provider.credentials.zenskar,
  });
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
  const created = await app.request('/v1/customers', jsonInit('POST', { name: 'Before' }, auth));
  expect(created.status).toBe(200);
  const { id } = (await created.json()) as { id: string };
  const links = (await (await app.request(`/gateway/v1/customers/${id}/links`, { headers: auth })).json()) as {
    data: { remote_id: string }[];
  };
  const remote = links.data[0]!.remote_id;
  // Changed at the provider behind the gateway's back.
  const renamed = await fetch(`${provider.baseUrl('zenskar')}/customers/${remote}`, {
    method: 'PATCH',
    headers: { ...fixturesOf(dialects.zenskar).auth(provider.credentials.zenskar), 'content-type': 'application/json' },
    body: JSON.stringify({ customer_name: 'After' }),
  });
  expect(renamed.status).toBe(200);

  for (const [query, parameter, kind] of [
    ['refresh=1', 'refresh', 'value'],
    ['refresh=yes', 'refresh', 'value'],
    ['refresh=TRUE', 'refresh', 'value'],
    ['refersh=true', 'refersh', 'unknown'],
  ] as const) {
    const res = await app.request(`/gateway/v1/customers/${id}?${query}`, { headers: auth });
    expect(res.status, query).toBe(400);
    const body = (await res.json()) as Refusal;
    expect(body.error, query).toMatchObject({ code: 'invalid_request', issues: [{ path: [parameter], kind }] });
  }

  const local = await app.request(`/gateway/v1/customers/${id}?refresh=false`, { headers: auth });
  expect(local.status).toBe(200);
  expect(((await local.json()) as { name: string }).name).toBe('Before');
  const refreshed = await app.request(`/gateway/v1/customers/${id}?refresh=true`, { headers: auth });
  expect(refreshed.status).toBe(200);
  expect(((await refreshed.json()) as { name: string }).name).toBe('After');
}, 60_000);
