import { dialects, fixturesOf } from '../dialects/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { type CreatedTenant, createTenant } from '../src/gateway/tenants.ts';
import { createApp } from '../src/http/app.ts';
import { addUpstream, removeUpstream } from '../src/upstream/registry.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { replicationFor } from '../src/outbox/upstream-port.ts';
import type { Dispatcher } from '../src/outbox/dispatcher.ts';
import type { Store } from '../src/store/index.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// An upstream's mode changes in place (CLI `custgate upstream mode`, PATCH
// /gateway/v1/upstreams/{id}); its links and history stay, and removing it then adding the same
// provider again takes its links back: the customers it already holds are updated, not created
// a second time.

interface Detail {
  id: string;
  mode: string;
  links: number;
  history: { event: string; mode: string; previous_mode: string | null; at: string }[];
}

describe('upstream mode changes keep links and history', () => {
  let provider: Provider;
  let store: Store;
  let env: Record<string, string>;
  let tenant: CreatedTenant;
  let dispatcher: Dispatcher;
  let request: (path: string, init?: RequestInit) => Promise<Response>;
  const auth = () => ({ authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` });

  beforeAll(async () => {
    provider = await startProvider();
    env = { ...testDatabaseEnv(), ...testEnv };
    store = await openStore(env);
    const config = loadConfig(env);
    tenant = await createTenant(store, config, 'moving');
    const replication = replicationFor(store, config, { logger: { error: () => undefined } });
    dispatcher = replication.dispatcher;
    const app = createApp({ store, config, logger: { error: () => undefined }, replication: { ...replication, drainAfterWrite: false } });
    request = async (path, init) => app.request(path, init);
  });
  afterAll(async () => {
    await store?.executor.close();
    await provider?.process.stop();
  });

  const detail = async (id: string, key = tenant.credentials.wooshpay!.secret_key!) => {
    const res = await request(`/gateway/v1/upstreams/${id}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, body: (await res.json()) as Detail & { error?: { code: string } } };
  };
  const patchMode = (id: string, body: unknown) => request(`/gateway/v1/upstreams/${id}`, jsonInit('PATCH', body, auth()));
  /** The customer as the provider holds it, read through its own Zenskar dialect. */
  const atProvider = async (remoteId: string) => {
    const res = await fetch(`${provider.baseUrl('zenskar')}/customers/${remoteId}`, {
      headers: fixturesOf(dialects.zenskar).auth(provider.credentials.zenskar),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as Record<string, unknown>;
  };
  const add = (dialect: 'zenskar' | 'meteroid', mode: string, trailing = '') =>
    addUpstream(store, keyringFor(loadConfig(env), store.upstreams), tenant.tenant.id, {
      dialect,
      baseUrl: `${provider.baseUrl(dialect)}${trailing}`,
      mode,
      credentials: provider.credentials[dialect],
    });
  const linkOf = async (id: string) => {
    const res = await request(`/gateway/v1/customers/${id}/links`, { headers: auth() });
    return ((await res.json()) as { data: { upstream_id: string; remote_id: string }[] }).data;
  };

  it('mirror -> shadow -> proxy in place, then remove and add again: one customer at the provider, updated each time', {
    timeout: 60_000,
  }, async () => {
    const added = await add('zenskar', 'mirror');
    const created = await request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Ada', email: 'ada@example.com' }, auth()));
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    expect(await dispatcher.drain()).toMatchObject({ delivered: 1 });
    const [link] = await linkOf(id);
    expect(link?.upstream_id).toBe(added.id);

    // The CLI and the API both change the mode; neither touches the links.
    expect(await runCli(['upstream', 'mode', tenant.tenant.id, added.id, 'shadow'], env)).toContain('shadow');
    const toProxy = await patchMode(added.id, { mode: 'proxy' });
    expect(toProxy.status).toBe(200);
    expect(((await toProxy.json()) as Detail).mode).toBe('proxy');
    const shown = await detail(added.id);
    expect(shown.body).toMatchObject({ id: added.id, mode: 'proxy', links: 1 });
    expect(shown.body.history.map((h) => [h.event, h.previous_mode, h.mode])).toEqual([
      ['added', null, 'mirror'],
      ['mode', 'mirror', 'shadow'],
      ['mode', 'shadow', 'proxy'],
    ]);
    expect(shown.body.history.every((h) => !Number.isNaN(Date.parse(h.at)))).toBe(true);

    // As the proxy, it updates the customer the mirror created (no second create there).
    const renamed = await request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Ada Lovelace' }, auth()));
    expect(renamed.status).toBe(200);
    expect(await linkOf(id)).toEqual([link]);
    expect((await atProvider(link!.remote_id)).customer_name).toBe('Ada Lovelace');

    // Removed and added again (the same provider): the same upstream, its links back.
    expect(await removeUpstream(store, tenant.tenant.id, added.id)).toBe(true);
    expect((await detail(added.id)).status).toBe(404);
    const again = await add('zenskar', 'proxy', '/');
    expect(again.id).toBe(added.id);
    const back = await detail(added.id);
    expect(back.body.links).toBe(1);
    expect(back.body.history.slice(-2).map((h) => h.event)).toEqual(['removed', 'restored']);
    const again2 = await request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Countess Lovelace' }, auth()));
    expect(again2.status).toBe(200);
    expect(await linkOf(id)).toEqual([link]);
    expect((await atProvider(link!.remote_id)).customer_name).toBe('Countess Lovelace');
  });

  it('refuses a second proxy, an unknown mode or parameter, and another tenant’s upstream', async () => {
    const mirror = await add('meteroid', 'mirror');
    const second = await patchMode(mirror.id, { mode: 'proxy' });
    expect(second.status).toBe(409);
    expect(await patchMode(mirror.id, { mode: 'sideways' })).toHaveProperty('status', 400);
    expect(await patchMode(mirror.id, { mode: 'shadow', credentials: 'x' })).toHaveProperty('status', 400);
    expect(await patchMode(mirror.id, null)).toHaveProperty('status', 400);
    const other = await createTenant(store, loadConfig(env), 'elsewhere');
    expect((await detail(mirror.id, other.credentials.wooshpay!.secret_key!)).status).toBe(404);
    const foreign = await request(
      `/gateway/v1/upstreams/${mirror.id}`,
      jsonInit('PATCH', { mode: 'shadow' }, { authorization: `Bearer ${other.credentials.wooshpay!.secret_key}` }),
    );
    expect(foreign.status).toBe(404);
    expect((await detail(mirror.id)).body).toMatchObject({ mode: 'mirror', history: [{ event: 'added' }] });
  });
});
