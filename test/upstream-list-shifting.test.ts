import { describe, expect, it } from 'vitest';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, testGateway } from './support/gateway.ts';
import { meteroidAccount, meteroidFront, meteroidTenant } from './support/meteroid-front.ts';
import { spawnCli } from './support/processes.ts';
import { addUpstream } from './support/registered.ts';
import { providerRig } from './support/upstream.ts';

// The other walks of a list paged by position (Meteroid's `?page=`), besides the import's
// (test/upstream-import-shifting.test.ts): `upstream reconcile`, and the look-up of a create whose
// answer was lost. A customer deleted at the provider on a page the walk already read moves every
// later customer a place back, so the first of the next page slides onto the page read and the walk
// never sees it. A second custgate plays Meteroid, behind a front that renders its list in either
// order and changes the account between the walk's first and second page.

const rig = providerRig();
const account = meteroidAccount(() => rig.provider);

async function freshBook(size: number, prefix: string) {
  for (const c of await account.everyone()) await account.remove(c.id);
  for (let i = 0; i < size; i++) await account.create(`${prefix} ${i}`);
  return account.everyone();
}

describe.each(['oldest', 'newest'] as const)('reconcile of a Meteroid list %s first while the provider changes', (order) => {
  it('five read customers deleted, two created: every customer the provider held throughout is reported linked, once', async () => {
    const before = await freshBook(250, `reconcile ${order}`);
    const front = await meteroidFront(account, order);
    try {
      const { tenantId, upstreamId } = await meteroidTenant(rig, `reconcile-shifting-${order}`, front.url);
      const imported = await spawnCli(['upstream', 'import', tenantId, upstreamId, '--json'], rig.env).exit;
      expect(imported.code, imported.stderr).toBe(0);

      const deleted = (order === 'oldest' ? before : before.toReversed()).slice(10, 15).map((c) => c.id);
      const created: string[] = [];
      front.between(async () => {
        for (const id of deleted) await account.remove(id);
        for (let i = 0; i < 2; i++) created.push(await account.create(`reconcile ${order} new ${i}`));
      });
      const run = await spawnCli(['upstream', 'reconcile', tenantId, upstreamId, '--json'], rig.env).exit;
      // Not clean: the provider now holds two customers the local book lacks.
      expect(run.code, run.stderr).toBe(1);
      const result = JSON.parse(run.stdout) as { ids: [string, string][]; missing_upstream: string[]; missing_local: string[] };
      const listed = result.ids.map(([, remote]) => remote);
      expect(new Set(listed).size, 'a customer reported linked twice').toBe(listed.length);
      const throughout = before.map((c) => c.id).filter((id) => !deleted.includes(id));
      const unlisted = throughout.filter((id) => !listed.includes(id));
      expect(unlisted, `${unlisted.length} customers the provider held throughout were not seen`).toEqual([]);
      const heldLocals = new Set(result.ids.filter(([, remote]) => throughout.includes(remote)).map(([local]) => local));
      expect(result.missing_upstream.filter((id) => heldLocals.has(id))).toEqual([]);
      expect(result.missing_local.filter((id) => !created.includes(id))).toEqual([]);
    } finally {
      await front.close();
    }
  }, 180_000);
});

it('a lost create looked up while a customer listed before it is deleted: found, not created a second time', async () => {
  // Oldest first, the customer the lost create left is the first of the second page; the delete
  // moves it onto the first page, already read.
  await freshBook(100, 'lookup');
  const gw = await testGateway({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '5000' });
  const front = await meteroidFront(account, 'oldest');
  try {
    const auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay?.secret_key}` };
    const write = (path: string, name: string) => gw.request(`/wooshpay/v1/customers${path}`, jsonInit('POST', { name }, auth));
    // Made before the upstream was added: its first write there is a create.
    const { id } = (await (await write('', 'Lost answer')).json()) as { id: string };
    const keyring = keyringFor(gw.config, gw.store.upstreams);
    const credentials = rig.provider.credentials.meteroid;
    await addUpstream(gw.store, keyring, gw.tenant.tenant.id, { dialect: 'meteroid', baseUrl: front.url, mode: 'proxy', credentials });
    front.loseNextCreate();
    expect((await write(`/${id}`, 'Lost answer 2')).status).toBe(503);
    const first = (await account.everyone()).slice(0, 1).map((c) => c.id);
    front.between(async () => {
      for (const gone of first) await account.remove(gone);
    });
    const retry = await write(`/${id}`, 'Lost answer 2');
    expect(retry.status, await retry.clone().text()).toBe(200);
    const there = (await account.everyone()).filter((c) => c.name === 'Lost answer 2');
    expect(there, 'the provider holds the customer once').toHaveLength(1);
    const uuid = (await gw.canonical(id)).ids.uuid as string;
    expect((await gw.store.upstreams.linksOf(gw.tenant.tenant.id, uuid)).map((l) => l.remote_id)).toEqual(there.map((c) => c.id));
  } finally {
    await front.close();
    await gw.store.executor.close();
  }
}, 120_000);
