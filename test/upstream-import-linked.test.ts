import { beforeAll, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { processHolder } from '../src/upstream/process-holder.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit } from './support/gateway.ts';
import { addUpstream, createApp, createTenant, type GatewayApp } from './support/registered.ts';
import { providerRig, switchableProxy } from './support/upstream.ts';

// An import's `linked` is how many local customers it linked to the provider's (`on_conflict:
// link`). It was read from the links table as every link made since the import started to a
// customer older than it, so a proxied write that linked an older customer while the import ran
// was counted as the import's. A second custgate plays the provider.

const rig = providerRig();
let app: GatewayApp;
const zenskarAuth = fixturesOf(dialects.zenskar).auth;

beforeAll(async () => {
  app = createApp({ store: rig.store, config: loadConfig(rig.env), logger: { error: () => undefined }, importHolder: processHolder() });
  // The provider's book: three customers, each with an external_id.
  for (let i = 0; i < 3; i++) {
    const body = { customer_name: `Provider ${i}`, external_id: `crm-${i}` };
    const res = await fetch(
      `${rig.provider.baseUrl('zenskar')}/customers`,
      jsonInit('POST', body, zenskarAuth(rig.provider.credentials.zenskar)),
    );
    expect(res.status, await res.clone().text()).toBeLessThan(300);
  }
});

it('counts the local customers the import linked, not one a proxied write linked while it ran', async () => {
  // The provider's list is held until the proxied write is made: the import runs all along.
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let listed: () => void = () => undefined;
  const listing = new Promise<void>((resolve) => {
    listed = resolve;
  });
  const front = await switchableProxy(rig.provider.baseUrl('zenskar'), {
    before: (url) => {
      if (!url.startsWith('/customers?')) return Promise.resolve();
      listed();
      return held;
    },
  });
  try {
    const config = loadConfig(rig.env);
    const store = rig.store;
    const created = await createTenant(store, config, 'linked-count');
    const auth = zenskarAuth(created.credentials.zenskar!);
    // Two local customers from before the upstream: one holding a provider customer's external_id
    // (the import links it), one the provider has never had (a proxied write will create and link it).
    const local = async (body: Record<string, unknown>) => {
      const res = await app.request('/zenskar/customers', jsonInit('POST', body, auth));
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return ((await res.json()) as { id: string }).id;
    };
    const mine = await local({ customer_name: 'Mine', external_id: 'crm-1' });
    const older = await local({ customer_name: 'Older' });
    const upstream = await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
      dialect: 'zenskar',
      baseUrl: front.url,
      mode: 'proxy',
      credentials: rig.provider.credentials.zenskar,
    });
    const path = `/gateway/v1/upstreams/${upstream.id}/import`;
    const started = await app.request(path, jsonInit('POST', { on_conflict: 'link' }, auth));
    expect(started.status, await started.clone().text()).toBe(202);
    await listing;

    // While the import waits for its first page: a proxied update of the older customer creates it
    // at the provider and links it.
    const renamed = await app.request(`/zenskar/customers/${older}`, jsonInit('PATCH', { customer_name: 'Older renamed' }, auth));
    expect(renamed.status, await renamed.clone().text()).toBe(200);
    expect(await store.upstreams.findLink(created.tenant.id, upstream.id, older)).toBeDefined();
    release();

    let view: { state: string; imported: number; linked: number };
    for (;;) {
      view = (await (await app.request(path, { headers: auth })).json()) as typeof view;
      if (view.state !== 'running') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    // crm-0 and crm-2 stored, crm-1 linked to Mine; Older was linked by the write, not by the import.
    expect(view).toMatchObject({ state: 'done', imported: 2, linked: 1 });
    expect(await store.upstreams.findLink(created.tenant.id, upstream.id, mine)).toBeDefined();
  } finally {
    release();
    await front.close();
  }
}, 120_000);
