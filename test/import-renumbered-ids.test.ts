import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { importRig } from './support/import-over-http.ts';
import { cli } from './support/processes.ts';
import { switchableProxy } from './support/upstream.ts';

// An imported customer takes the provider's id (a `cus_` id, a UUID) while no local customer of the
// tenant holds it. One held already was stored under new ids without a word: `renumbered` named
// only Bigcapital numbers. Here the tenant holds them because it imported the same provider account
// before, through an upstream since removed (Wooshpay, then Connhex; Zenskar twice): every customer
// of the second import is a copy under other ids, and the team's clients, naming the provider's id,
// reach the first copy. Each is named now in `renumbered`, over the API and in the CLI's output.

type Renumbered = { upstream_id: string; number: number; local_id: string; local_public_id: string };
type Job = { state: string; imported: number; renumbered: Renumbered[]; error?: string };

const BOOK = 3;
const books = importRig(BOOK, (i) => `Held ${i}`);
const rig = books.rig;

async function importingTenant(name: string) {
  const t = await books.tenant(name);
  /** Imported over HTTP, to its end. */
  const imported = async (id: string) => {
    const done = await t.ended<Job>(id);
    expect(done.state, done.error).toBe('done');
    return done;
  };
  /** The tenant's customers' UUIDs, as its Zenskar API lists them. */
  const uuids = async () => {
    const res = await books.app.request('/zenskar/customers?limit=100', {
      headers: fixturesOf(dialects.zenskar).auth(t.created.credentials.zenskar!),
    });
    return ((await res.json()) as { data: { id: string }[] }).data.map((c) => c.id);
  };
  return { ...t, imported, job: (id: string) => t.job<Job>(id), uuids };
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
  for (const id of books.providerIds) expect(await rig.store.findCustomer(t.tenantId, 'public_id', id)).toBeDefined();
  await t.remove(first.id);

  const second = await t.add('connhex', rig.provider.baseUrl('connhex'));
  const done = await t.imported(second.id);
  expect(done.imported).toBe(BOOK);
  await expectNamed(t.tenantId, done.renumbered, books.providerIds, 'public_id');
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
