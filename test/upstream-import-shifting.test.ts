import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit } from './support/gateway.ts';
import { spawnCli } from './support/processes.ts';
import { addUpstream, createTenant } from './support/registered.ts';
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
const auth = () => ({ authorization: `Bearer ${rig.provider.credentials.meteroid.api_key}` });

const collection = () => `${rig.provider.baseUrl('meteroid')}/api/v1/customers`;

async function create(name: string): Promise<string> {
  const res = await fetch(collection(), jsonInit('POST', { name, currency: 'EUR' }, auth()));
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return ((await res.json()) as { id: string }).id;
}

/** The provider's whole list, oldest first (custgate's Meteroid order). */
async function everyone(): Promise<{ id: string; name: string }[]> {
  const all: { id: string; name: string }[] = [];
  for (let page = 0; ; page++) {
    const res = await fetch(`${collection()}?page=${page}&per_page=100`, { headers: auth() });
    const body = (await res.json()) as { data: { id: string; name: string }[]; pagination_meta: { total_pages: number } };
    all.push(...body.data);
    if (page + 1 >= body.pagination_meta.total_pages) return all;
  }
}

/**
 * Meteroid's list in front of the provider, in `order`; before the first answer for page 1, runs
 * `during` (the provider's changes while the import is between its first and second page).
 */
async function meteroidFront(order: 'oldest' | 'newest', during: () => Promise<void>) {
  let changed = false;
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://front');
    const page = Number(url.searchParams.get('page') ?? 0);
    const perPage = Number(url.searchParams.get('per_page') ?? 10);
    if (page === 1 && !changed) {
      changed = true;
      await during();
    }
    const all = await everyone();
    const listed = order === 'oldest' ? all : all.toReversed();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        data: listed.slice(page * perPage, (page + 1) * perPage),
        pagination_meta: { page, per_page: perPage, total_items: listed.length, total_pages: Math.ceil(listed.length / perPage) },
      }),
    );
  };
  const server: Server = createServer((req, res) => void answer(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

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
      for (const c of await everyone()) await fetch(`${collection()}/${c.id}`, { method: 'DELETE', headers: auth() });
      for (let i = 0; i < BOOK; i++) await create(`${order} ${i}`);
      const before = await everyone();
      const firstPage = (order === 'oldest' ? before : before.toReversed()).slice(0, 100);
      const deleted = firstPage.slice(from, to).map((c) => c.id);
      const front = await meteroidFront(order, async () => {
        for (const id of deleted) {
          const res = await fetch(`${collection()}/${id}`, { method: 'DELETE', headers: auth() });
          expect(res.status).toBe(204);
        }
        for (let i = 0; i < created; i++) await create(`${order} new ${i}`);
      });
      try {
        const config = loadConfig(rig.env);
        const tenant = await createTenant(rig.store, config, `shifting-${order}-${from}-${created}`);
        const upstream = await addUpstream(rig.store, keyringFor(config, rig.store.upstreams), tenant.tenant.id, {
          dialect: 'meteroid',
          baseUrl: front.url,
          mode: 'proxy',
          credentials: rig.provider.credentials.meteroid,
        });
        const run = await spawnCli(['upstream', 'import', tenant.tenant.id, upstream.id, '--json'], rig.env).exit;
        expect(run.code, run.stderr).toBe(0);
        const throughout = before.map((c) => c.id).filter((id) => !deleted.includes(id));
        const missing: string[] = [];
        for (const id of throughout) {
          if (!(await rig.store.upstreams.findLinkByRemote(tenant.tenant.id, upstream.id, id))) missing.push(id);
        }
        expect(missing, `${missing.length} customers the provider held throughout were not imported`).toEqual([]);
        // Nothing twice: one local customer per link.
        expect(await rig.store.countCustomers(tenant.tenant.id)).toBe(await rig.store.upstreams.linkCount(tenant.tenant.id, upstream.id));
      } finally {
        await front.close();
      }
    },
    180_000,
  );
});
