import { beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { processHolder } from '../src/upstream/process-holder.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit } from './support/gateway.ts';
import { addUpstream, createApp, createTenant, type GatewayApp } from './support/registered.ts';
import { fillBook, providerRig, switchableProxy } from './support/upstream.ts';

// `renumbered` names the provider customers an import stored under other ids than the provider's.
// An import that stops part-way (its provider unreachable, its process killed) and is resumed must
// name those of every run of it, not only of the run that finished it. Here a tenant imports the
// same provider account a second time, through another upstream: every customer is held already,
// so each is stored under new ids. The second import fails at its second page and is resumed.

type Job = { state: string; imported: number; renumbered: { upstream_id: string }[]; error?: string };

const BOOK = 101; // two pages of the provider's list (100 a page)
const rig = providerRig();
let app: GatewayApp;
let providerIds: string[];

beforeAll(async () => {
  app = createApp({ store: rig.store, config: loadConfig(rig.env), logger: { error: () => undefined }, importHolder: processHolder() });
  providerIds = await fillBook(rig.provider, BOOK, (i) => ({ name: `Resumed ${i}` }));
}, 120_000);

it('an import resumed after a failure names in renumbered the customers of every run of it', async () => {
  const config = loadConfig(rig.env);
  const created = await createTenant(rig.store, config, 'renumbered-resumed');
  const headers = { authorization: `Bearer ${created.credentials.wooshpay!.secret_key}` };
  const add = (baseUrl: string) =>
    addUpstream(rig.store, keyringFor(config, rig.store.upstreams), created.tenant.id, {
      dialect: 'wooshpay',
      baseUrl,
      mode: 'proxy',
      credentials: rig.provider.credentials.wooshpay,
    });
  const job = async (id: string) => (await (await app.request(`/gateway/v1/upstreams/${id}/import`, { headers })).json()) as Job;
  const ended = async (id: string) => {
    expect((await app.request(`/gateway/v1/upstreams/${id}/import`, jsonInit('POST', {}, headers))).status).toBe(202);
    let now = await job(id);
    for (let i = 0; i < 1200 && now.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = await job(id);
    }
    return now;
  };

  const first = await add(rig.provider.baseUrl('wooshpay'));
  expect(await ended(first.id)).toMatchObject({ state: 'done', imported: BOOK, renumbered: [] });
  expect((await app.request(`/gateway/v1/upstreams/${first.id}`, { method: 'DELETE', headers })).status).toBe(200);

  // The same account at another address, which refuses the second page once.
  let failSecondPage = true;
  const proxy = await switchableProxy(rig.provider.baseUrl('wooshpay'), {
    refuse: (_body, url) =>
      failSecondPage && url.includes('starting_after=')
        ? { status: 400, body: { error: { type: 'invalid_request_error', message: 'No.' } } }
        : undefined,
  });
  try {
    const second = await add(proxy.url);
    const failed = await ended(second.id);
    expect(failed).toMatchObject({ state: 'failed', imported: 100 });
    expect(failed.renumbered).toHaveLength(100);
    failSecondPage = false;
    const done = await ended(second.id);
    expect(done).toMatchObject({ state: 'done', imported: BOOK });
    expect(done.renumbered.map((r) => r.upstream_id).sort()).toEqual([...providerIds].sort());
  } finally {
    await proxy.close();
  }
}, 120_000);
