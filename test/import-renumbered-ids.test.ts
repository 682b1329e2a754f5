import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { processHolder } from '../src/upstream/process-holder.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit } from './support/gateway.ts';
import { addUpstream, createApp, createTenant, type GatewayApp } from './support/registered.ts';
import { cli } from './support/processes.ts';
import { fillBook, providerRig, switchableProxy } from './support/upstream.ts';

// An imported customer takes the provider's id (a `cus_` id, a UUID) while no local customer of the
// tenant holds it. One held already was stored under new ids without a word: `renumbered` named
// only Bigcapital numbers. Here the tenant holds them because it imported the same provider account
// before, through an upstream since removed (Wooshpay, then Connhex; Zenskar twice): every customer
// of the second import is a copy under other ids, and the team's clients, naming the provider's id,
// reach the first copy. Each is named now in `renumbered`, over the API and in the CLI's output.

type Renumbered = { upstream_id: string; number: number; local_id: string; local_public_id: string };
type Job = { state: string; imported: number; renumbered: Renumbered[]; error?: string };

const BOOK = 3;
const rig = providerRig();
let app: GatewayApp;
let providerIds: string[];

beforeAll(async () => {
  app = createApp({ store: rig.store, config: loadConfig(rig.env), logger: { error: () => undefined }, importHolder: processHolder() });
  providerIds = await fillBook(rig.provider, BOOK, (i) => ({ name: `Held ${i}` }));
});

async function importingTenant(name: string) {
  const config = loadConfig(rig.env);
  const created = await createTenant(rig.store, config, name);
  const headers = { authorization: `Bearer ${created.credentials.wooshpay!.secret_key}` };
  const add = (dialect: DialectName, baseUrl: string) =>
    addUpstream(rig.store, keyringFor(config, rig.store.upstreams), created.tenant.id, {
      dialect,
      baseUrl,
      mode: 'proxy',
      credentials: rig.provider.credentials[dialect],
    });
  const job = async (id: string) => (await (await app.request(`/gateway/v1/upstreams/${id}/import`, { headers })).json()) as Job;
  /** Imported over HTTP, to its end. */
  const imported = async (id: string) => {
    expect((await app.request(`/gateway/v1/upstreams/${id}/import`, jsonInit('POST', {}, headers))).status).toBe(202);
    let done = await job(id);
    for (let i = 0; i < 1200 && done.state === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      done = await job(id);
    }
    expect(done.state, done.error).toBe('done');
    return done;
  };
  const remove = async (id: string) =>
    expect((await app.request(`/gateway/v1/upstreams/${id}`, { method: 'DELETE', headers })).status).toBe(200);
  /** The tenant's customers' UUIDs, as its Zenskar API lists them. */
  const uuids = async () => {
    const res = await app.request('/zenskar/customers?limit=100', {
      headers: fixturesOf(dialects.zenskar).auth(created.credentials.zenskar!),
    });
    return ((await res.json()) as { data: { id: string }[] }).data.map((c) => c.id);
  };
  return { tenantId: created.tenant.id, add, imported, remove, job, uuids };
}

/** Each provider customer is named, with the ids its copy has here. */
async function expectNamed(
  tenantId: string,
  renumbered: readonly Renumbered[],
  providerIdsOf: readonly string[],
  key: 'public_id' | 'uuid',
) {
  expect(renumbered.map((r) => r.upstream_id).sort()).toEqual([...providerIdsOf].sort());
  for (const r of renumbered) {
    const copy = await rig.store.findCustomer(tenantId, 'uuid', r.local_id);
    expect({ public_id: copy?.public_id, number: Number(copy?.number) }).toEqual({ public_id: r.local_public_id, number: r.number });
    expect(key === 'public_id' ? r.local_public_id : r.local_id).not.toBe(key === 'uuid' ? r.upstream_id.toLowerCase() : r.upstream_id);
    // The provider's id names the customer the tenant held.
    const holder = await rig.store.findCustomer(tenantId, key, key === 'uuid' ? r.upstream_id.toLowerCase() : r.upstream_id);
    expect(holder?.id).toBeDefined();
    expect(holder?.id).not.toBe(r.local_id);
  }
}

it('a provider cus_ id a local customer holds is named in renumbered, with the ids the copy got', async () => {
  const t = await importingTenant('renumbered-cus');
  const first = await t.add('wooshpay', rig.provider.baseUrl('wooshpay'));
  expect(await t.imported(first.id)).toMatchObject({ imported: BOOK, renumbered: [] });
  // The first import kept the provider's ids.
  for (const id of providerIds) expect(await rig.store.findCustomer(t.tenantId, 'public_id', id)).toBeDefined();
  await t.remove(first.id);

  const second = await t.add('connhex', rig.provider.baseUrl('connhex'));
  const done = await t.imported(second.id);
  expect(done.imported).toBe(BOOK);
  await expectNamed(t.tenantId, done.renumbered, providerIds, 'public_id');
});

it('a provider UUID a local customer holds is named in renumbered, over the API and by the CLI', async () => {
  const t = await importingTenant('renumbered-uuid');
  const first = await t.add('zenskar', rig.provider.baseUrl('zenskar'));
  expect(await t.imported(first.id)).toMatchObject({ imported: BOOK, renumbered: [] });
  // The first import's copies took the provider's UUIDs.
  const uuids = await t.uuids();
  expect(uuids).toHaveLength(BOOK);
  await t.remove(first.id);
  // The same account at another address: a new upstream (the same address would restore the first, links and all).
  const proxy = await switchableProxy(rig.provider.baseUrl('zenskar'));
  try {
    const second = await t.add('zenskar', proxy.url);
    const run = await promisify(execFile)(process.execPath, [cli, 'upstream', 'import', t.tenantId, second.id], {
      env: { ...process.env, ...rig.env },
    });
    expect(run.stdout).toContain(`imported ${BOOK} customers from upstream ${second.id}`);
    const done = await t.job(second.id);
    await expectNamed(t.tenantId, done.renumbered, uuids, 'uuid');
    expect(run.stderr).toContain(
      `${BOOK} customers of upstream ${second.id} have other ids here than at the provider: local customers already held their ids`,
    );
    for (const r of done.renumbered) expect(run.stderr).toContain(`\n  ${r.upstream_id} -> ${r.local_public_id} (${r.local_id})\n`);
  } finally {
    await proxy.close();
  }
}, 60_000);
