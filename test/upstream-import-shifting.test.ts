import { describe, expect, it } from 'vitest';
import { meteroidAccount, meteroidFront, meteroidTenant } from './support/meteroid-front.ts';
import { spawnCli } from './support/processes.ts';
import { providerRig } from './support/upstream.ts';

// Meteroid lists customers by page number (`?page=&per_page=`): a customer deleted while an import
// walks the pages moves every later customer one place back, so the first customer of the next
// page slides onto a page already read, and the walk never sees it. Meteroid's own default order
// is newest first (docs.meteroid.com, list customers: `created_at.desc`), where a create moves
// them the other way; custgate's Meteroid lists oldest first. A second custgate plays Meteroid;
// for the newest-first order, a forwarder in front of it renders its list newest first. While the
// import reads its second page, customers it read on the first are deleted there and others
// created. Every customer the provider held from the import's start to its end must be
// imported, once.

const BOOK = 250;

const rig = providerRig();
const account = meteroidAccount(() => rig.provider);

const changes = [
  { what: 'five read customers deleted, two created', deleted: [10, 15], created: 2 },
  // As many created as deleted: the list's count is the same on every page.
  { what: 'five read customers deleted, five created', deleted: [10, 15], created: 5 },
  // The last customer of the page read is the one the next page is checked against.
  { what: 'the last three of the page read deleted', deleted: [97, 100], created: 0 },
] as const;

describe.each(['oldest', 'newest'] as const)('an import of a Meteroid list %s first while the provider changes', (order) => {
  it.each(changes)(
    '$what: every customer the provider held throughout is imported, once',
    async ({ deleted: [from, to], created }) => {
      // A book of its own for each order: the provider's account is cleared first.
      for (const c of await account.everyone()) await account.remove(c.id);
      for (let i = 0; i < BOOK; i++) await account.create(`${order} ${i}`);
      const before = await account.everyone();
      const firstPage = (order === 'oldest' ? before : before.toReversed()).slice(0, 100);
      const deleted = firstPage.slice(from, to).map((c) => c.id);
      const front = await meteroidFront(account, order);
      front.between(async () => {
        for (const id of deleted) await account.remove(id);
        for (let i = 0; i < created; i++) await account.create(`${order} new ${i}`);
      });
      try {
        const { tenantId, upstreamId } = await meteroidTenant(rig, `shifting-${order}-${from}-${created}`, front.url);
        const run = await spawnCli(['upstream', 'import', tenantId, upstreamId, '--json'], rig.env).exit;
        expect(run.code, run.stderr).toBe(0);
        const throughout = before.map((c) => c.id).filter((id) => !deleted.includes(id));
        const missing: string[] = [];
        for (const id of throughout) {
          if (!(await rig.store.upstreams.findLinkByRemote(tenantId, upstreamId, id))) missing.push(id);
        }
        expect(missing, `${missing.length} customers the provider held throughout were not imported`).toEqual([]);
        // Nothing twice: one local customer per link.
        expect(await rig.store.countCustomers(tenantId)).toBe(await rig.store.upstreams.linkCount(tenantId, upstreamId));
      } finally {
        await front.close();
      }
    },
    180_000,
  );
});
