import { dialects, fixturesOf } from '../dialects/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { type CreatedTenant, createTenant, addUpstream } from './support/registered.ts';
import { removeUpstream } from '../src/upstream/registry.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import type { Dispatcher } from '../src/outbox/dispatcher.ts';
import type { Store } from '../src/store/index.ts';
import { drainSettled } from './support/drain-until.ts';
import { jsonInit } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { type Provider, replicatingGateway, startProvider } from './support/upstream.ts';

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
    const local = await replicatingGateway();
    ({ store, env, dispatcher, request } = local);
    tenant = await createTenant(store, local.config, 'moving');
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
    // A customer with an external_id (unique at the provider: a second create there would be a 409).
    const zenskarAuth = fixturesOf(dialects.zenskar).auth(tenant.credentials.zenskar!);
    const keyed = await request('/zenskar/customers', jsonInit('POST', { customer_name: 'Keyed', external_id: 'crm-42' }, zenskarAuth));
    expect(keyed.status).toBe(dialects.zenskar.wire.createdStatus);
    expect(await drainSettled(dispatcher, 2)).toMatchObject({ delivered: 2 });
    const [link] = await linkOf(id);
    expect(link?.upstream_id).toBe(added.id);

    // The CLI and the API both change the mode; neither touches the links.
    expect(await runCli(['upstream', 'mode', tenant.tenant.id, added.id, 'shadow'], env)).toContain('shadow');
    const toProxy = await patchMode(added.id, { mode: 'proxy' });
    expect(toProxy.status).toBe(200);
    expect(((await toProxy.json()) as Detail).mode).toBe('proxy');
    const shown = await detail(added.id);
    expect(shown.body).toMatchObject({ id: added.id, mode: 'proxy', links: 2 });
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
    // The client's plain rename of the keyed customer: an update at the provider, no 409.
    const keyedRename = await request('/zenskar/customers/crm-42', jsonInit('PATCH', { customer_name: 'Keyed Again' }, zenskarAuth));
    expect(keyedRename.status, await keyedRename.clone().text()).toBe(200);
    expect((await atProvider('crm-42')).customer_name).toBe('Keyed Again');

    // Removed and added again (the same provider): the same upstream, its links back.
    expect(await removeUpstream(store, tenant.tenant.id, added.id)).toBe(true);
    expect((await detail(added.id)).status).toBe(404);
    const again = await add('zenskar', 'proxy', '/');
    expect(again.id).toBe(added.id);
    const back = await detail(added.id);
    expect(back.body.links).toBe(2);
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
  it('a mirror delivers the current state as the provider carries it: same-as-billing as the billing address', {
    timeout: 60_000,
  }, async () => {
    const mirrored = await createTenant(store, loadConfig(env), 'mirrored');
    await addUpstream(store, keyringFor(loadConfig(env), store.upstreams), mirrored.tenant.id, {
      dialect: 'zenskar',
      baseUrl: provider.baseUrl('zenskar'),
      mode: 'mirror',
      credentials: provider.credentials.zenskar,
    });
    const meteroid = (body: unknown, path = '') =>
      request(
        `/meteroid/api/v1/customers${path}`,
        jsonInit(path ? 'PATCH' : 'POST', body, fixturesOf(dialects.meteroid).auth(mirrored.credentials.meteroid!)),
      );
    const created = await meteroid({
      name: 'Mirror Ship',
      currency: 'EUR',
      billing_address: { line1: '10 Rue de Rivoli', city: 'Paris', country: 'FR' },
      shipping_address: { same_as_billing: false, address: { line1: '1 Old Wharf', city: 'Lyon', country: 'FR' } },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect((await meteroid({ shipping_address: { same_as_billing: true } }, `/${id}`)).status).toBe(200);
    expect(await drainSettled(dispatcher, 2)).toMatchObject({ delivered: 2, dead: 0 });
    const key = { authorization: `Bearer ${mirrored.credentials.wooshpay!.secret_key}` };
    const links = await request(`/gateway/v1/customers/${id}/links`, { headers: key });
    const [link] = ((await links.json()) as { data: { remote_id: string }[] }).data;
    const held = await atProvider(link!.remote_id);
    expect(held.ship_to_address).toMatchObject({ line1: '10 Rue de Rivoli', city: 'Paris' });
  });

  it('after the change history is purged, a mirror added later still gets every field', { timeout: 60_000 }, async () => {
    const purged = await createTenant(store, loadConfig(env), 'purged');
    const key = { authorization: `Bearer ${purged.credentials.wooshpay!.secret_key}` };
    const created = await request(
      '/wooshpay/v1/customers',
      jsonInit('POST', { name: 'Old Timer', email: 'old@example.com', address: { line1: '5 Elm St', city: 'Austin', country: 'US' } }, key),
    );
    const { id } = (await created.json()) as { id: string };
    expect((await request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { metadata: { tier: 'gold' } }, key))).status).toBe(200);
    expect(await store.purgeEventsBefore(new Date(Date.now() + 1000).toISOString())).toBeGreaterThan(0);
    await addUpstream(store, keyringFor(loadConfig(env), store.upstreams), purged.tenant.id, {
      dialect: 'zenskar',
      baseUrl: provider.baseUrl('zenskar'),
      mode: 'mirror',
      credentials: provider.credentials.zenskar,
    });
    expect((await request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { phone: '+15555550100' }, key))).status).toBe(200);
    expect(await drainSettled(dispatcher, 1)).toMatchObject({ delivered: 1, dead: 0 });
    const links = await request(`/gateway/v1/customers/${id}/links`, { headers: key });
    const [link] = ((await links.json()) as { data: { remote_id: string }[] }).data;
    expect(await atProvider(link!.remote_id)).toMatchObject({
      customer_name: 'Old Timer',
      email: 'old@example.com',
      phone_number: '+15555550100',
      custom_data: { tier: 'gold' },
      address: { line1: '5 Elm St', city: 'Austin' },
    });
  });
});
