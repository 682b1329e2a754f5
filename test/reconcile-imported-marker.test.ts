import { afterAll, beforeAll, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import type { Dispatcher } from '../src/outbox/dispatcher.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { drainUntil } from './support/drain-until.ts';
import { jsonInit } from './support/gateway.ts';
import { addUpstream, createTenant } from './support/registered.ts';
import { type Provider, replicatingGateway, startProvider } from './support/upstream.ts';

// A book moved out of Zenskar: its customers that have no external_id there were imported
// without one, as the provider holds them. custgate's own create marker (`custgate-<uuid>`, the
// external_id a mirror's create sends Zenskar, docs/migrating.md) is not theirs: neither a
// reconciliation nor a shadow comparison may report "external_id: local custgate-…, upstream
// null" for them. Before: every such customer was a difference, so a clean import never
// reconciled clean and could not be promoted without --force.

let provider: Provider;
let store: Store;
let dispatcher: Dispatcher;
let request: (path: string, init?: RequestInit) => Promise<Response>;
let env: Record<string, string>;

beforeAll(async () => {
  provider = await startProvider();
  ({ store, env, dispatcher, request } = await replicatingGateway());
}, 120_000);
afterAll(async () => {
  await store?.executor.close();
  await provider?.process.stop();
});

const atZenskar = (path: string, init: RequestInit = {}) =>
  fetch(`${provider.baseUrl('zenskar')}${path}`, {
    ...init,
    headers: { ...fixturesOf(dialects.zenskar).auth(provider.credentials.zenskar), 'content-type': 'application/json' },
  });

it('a Zenskar customer without an external_id, imported, reconciles and shadows clean', async () => {
  const made = await atZenskar('/customers', {
    method: 'POST',
    body: JSON.stringify({ customer_name: 'Ohne Kennung', email: 'ohne@example.com' }),
  });
  expect(made.status).toBe(200);
  const remote = (await made.json()) as { id: string; external_id: string | null };
  expect(remote.external_id).toBeNull();
  const marked = await atZenskar('/customers', {
    method: 'POST',
    body: JSON.stringify({ customer_name: 'Mit Kennung', external_id: 'crm-7' }),
  });
  expect(marked.status).toBe(200);

  const config = loadConfig(env);
  const tenant = await createTenant(store, config, 'out-of-zenskar');
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
  const upstream = await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
    dialect: 'zenskar',
    baseUrl: provider.baseUrl('zenskar'),
    mode: 'proxy',
    credentials: provider.credentials.zenskar,
  });
  const importPath = `/gateway/v1/upstreams/${upstream.id}/import`;
  expect((await request(importPath, jsonInit('POST', {}, auth))).status).toBe(202);
  let job: { state: string; imported?: number } = { state: 'running' };
  for (let i = 0; i < 600 && job.state === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    job = (await (await request(importPath, { headers: auth })).json()) as typeof job;
  }
  expect(job).toMatchObject({ state: 'done', imported: 2 });

  const reconciled = await request(`/gateway/v1/upstreams/${upstream.id}/reconciliation`, { headers: auth });
  expect(reconciled.status).toBe(200);
  const report = (await reconciled.json()) as { clean: boolean; counts: Record<string, number>; differences: unknown[] };
  expect(report.differences).toEqual([]);
  expect(report).toMatchObject({ clean: true, counts: { local: 2, upstream: 2, linked: 2, differing: 0 } });

  // The provider steps back to a shadow (the way back after a cut-over): a write of the customer
  // is delivered and read back, and its comparison finds nothing either.
  expect((await request(`/gateway/v1/upstreams/${upstream.id}`, jsonInit('PATCH', { mode: 'shadow' }, auth))).status).toBe(200);
  const local = (await (await request(`/gateway/v1/customers/${remote.id}`, { headers: auth })).json()) as {
    ids: { public_id: string; external_id: string | null };
  };
  expect(local.ids.external_id).toBeNull();
  const written = await request(`/v1/customers/${local.ids.public_id}`, jsonInit('POST', { name: 'Ohne Kennung GmbH' }, auth));
  expect(written.status).toBe(200);
  type Shadow = { dialects: { dialect: string; checks: number; mismatched: number; fields: unknown[] }[] };
  const shadowReport = async () => (await (await request('/gateway/v1/shadow', { headers: auth })).json()) as Shadow;
  await drainUntil(dispatcher, async () => (await shadowReport()).dialects.some((d) => d.checks > 0));
  const there = (await (await atZenskar(`/customers/${remote.id}`)).json()) as { customer_name: string; external_id: string | null };
  expect(there).toMatchObject({ customer_name: 'Ohne Kennung GmbH', external_id: null });
  expect((await shadowReport()).dialects).toEqual([expect.objectContaining({ dialect: 'zenskar', checks: 1, mismatched: 0, fields: [] })]);
}, 120_000);
