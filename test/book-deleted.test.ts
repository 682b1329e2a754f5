import { expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { openStore } from '../src/entries/node.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { addUpstream, createTenant } from './support/registered.ts';
import { jsonInit } from './support/gateway.ts';
import { failingCli, runCli } from './support/processes.ts';
import { providerAndGateway } from './support/upstream.ts';

// A deleted customer is not in the book a migration moves (docs/migrating.md, "Moving a whole
// book"): `upstream backfill` queues no create for it, so a new provider never gets a customer the
// service deleted; `upstream reconcile` does not count its tombstone as a local customer the
// provider lacks once the mirror deleted it there too, and does count the provider's copy as a
// difference while the provider still holds it (Zenskar documents no delete).

const rig = providerAndGateway();

async function tenantWith(names: readonly string[]) {
  const tenant = await createTenant(rig.gw.store, rig.gw.config, `deleted-${crypto.randomUUID()}`);
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
  const ids: string[] = [];
  for (const name of names) {
    const res = await rig.gw.request('/wooshpay/v1/customers', jsonInit('POST', { name }, auth));
    expect(res.status).toBe(200);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const remove = async (id: string) =>
    expect((await rig.gw.request(`/wooshpay/v1/customers/${id}`, { method: 'DELETE', headers: auth })).status).toBe(200);
  return { tenantId: tenant.tenant.id, ids, auth, remove };
}

/** A mirror to a new, empty account at the provider (each test its own). */
async function mirror(tenantId: string, dialect: 'wooshpay' | 'zenskar') {
  const store = await openStore(rig.provider.env);
  const account = await createTenant(store, loadConfig(rig.provider.env), `account-${crypto.randomUUID()}`).finally(() =>
    store.executor.close(),
  );
  const credentials = account.credentials[dialect]!;
  const up = await addUpstream(rig.gw.store, keyringFor(rig.gw.config, rig.gw.store.upstreams), tenantId, {
    dialect,
    baseUrl: rig.provider.baseUrl(dialect),
    mode: 'mirror',
    credentials,
  });
  return { id: up.id, credentials };
}

/** The names a Wooshpay account at the provider lists. */
async function namesAt(credentials: IssuedCredentials): Promise<string[]> {
  const res = await fetch(`${rig.provider.baseUrl('wooshpay')}/v1/customers?limit=100`, {
    headers: fixturesOf(dialects.wooshpay).auth(credentials),
  });
  const body = (await res.json()) as { data: { name: string }[] };
  return body.data.map((c) => c.name).sort();
}

it('a backfill creates no deleted customer at the new provider, and a reconciliation after the mirror deleted one is clean', async () => {
  const t = await tenantWith(['Kept', 'Deleted before the mirror']);
  await t.remove(t.ids[1]!);
  const up = await mirror(t.tenantId, 'wooshpay');
  expect(JSON.parse(await runCli(['upstream', 'backfill', t.tenantId, up.id, '--json'], rig.gw.env))).toMatchObject({ queued: 1 });
  expect(await rig.gw.dispatcher.drain({ deadline: Date.now() + 60_000 })).toMatchObject({ dead: 0 });
  expect(await namesAt(up.credentials)).toEqual(['Kept']);

  // Created and deleted while mirrored: the provider deletes its copy too.
  const later = await rig.gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Mirrored, then deleted' }, t.auth));
  await rig.gw.dispatcher.drain({ deadline: Date.now() + 60_000 });
  await t.remove(((await later.json()) as { id: string }).id);
  expect(await rig.gw.dispatcher.drain({ deadline: Date.now() + 60_000 })).toMatchObject({ dead: 0 });
  expect(await namesAt(up.credentials)).toEqual(['Kept']);

  const report = JSON.parse(await runCli(['upstream', 'reconcile', t.tenantId, up.id, '--json'], rig.gw.env)) as Record<string, unknown>;
  expect(report).toMatchObject({
    clean: true,
    counts: { local: 1, upstream: 1, linked: 1, missing_upstream: 0, missing_local: 0, differing: 0 },
  });
}, 120_000);

it('a reconciliation names the customer a provider without a delete still holds after it was deleted here', async () => {
  const t = await tenantWith([]);
  const up = await mirror(t.tenantId, 'zenskar');
  const created = await rig.gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Still at Zenskar' }, t.auth));
  await rig.gw.dispatcher.drain({ deadline: Date.now() + 60_000 });
  const link = (await (
    await rig.gw.request(`/gateway/v1/customers/${((await created.clone().json()) as { id: string }).id}/links`, { headers: t.auth })
  ).json()) as {
    data: { remote_id: string }[];
  };
  await t.remove(((await created.json()) as { id: string }).id);
  // Zenskar documents no delete: the delivery is dead, and the provider keeps the customer.
  expect(await rig.gw.dispatcher.drain({ deadline: Date.now() + 60_000 })).toMatchObject({ dead: 1 });

  const run = await failingCli(['upstream', 'reconcile', t.tenantId, up.id, '--json'], rig.gw.env);
  expect(run?.code).toBe(1);
  expect(JSON.parse(run?.stdout ?? '{}')).toMatchObject({
    clean: false,
    counts: { local: 0, upstream: 1, linked: 0, missing_upstream: 0, missing_local: 1, differing: 0 },
    missing_local: [link.data[0]!.remote_id],
  });
}, 120_000);
