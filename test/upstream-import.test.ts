import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectName } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createApp, createTenant, addUpstream } from './support/registered.ts';
import { bookDeps } from './support/book-deps.ts';
import type { Store } from '../src/store/index.ts';
import { importCustomers } from '../src/upstream/import.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { testEnv } from './support/gateway.ts';
import { spawnCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// #27: `custgate upstream import` walks a provider's customer list (a second custgate plays each
// of the five providers over one book) and stores and links every customer. The CLI is killed
// twice mid-way (SIGKILL: no chance to tidy up) and run again: it resumes at its checkpoint and
// ends with every customer of the book exactly once, linked. Bad input (an unknown upstream, a
// page that is no page, a list that never ends) exits non-zero with a message and stores nothing
// of the bad page.

const BOOK = Number(process.env.CUSTGATE_IMPORT_BOOK ?? 220);
const dialectNames: DialectName[] = ['wooshpay', 'connhex', 'meteroid', 'bigcapital', 'zenskar'];

let provider: Provider;
let store: Store;
let env: Record<string, string>;
const remoteNames = new Set<string>();

const runImport = (args: readonly string[]) => spawnCli(['upstream', 'import', ...args], env);

async function tenantWith(name: string, dialect: DialectName, baseUrl: string) {
  const config = loadConfig(env);
  const created = await createTenant(store, config, name);
  const upstream = await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
    dialect,
    baseUrl,
    mode: 'proxy',
    credentials: provider.credentials[dialect],
  });
  return {
    tenantId: created.tenant.id,
    upstreamId: upstream.id,
    auth: { authorization: `Bearer ${created.credentials.wooshpay!.secret_key}` },
  };
}

beforeAll(async () => {
  provider = await startProvider();
  env = { ...testDatabaseEnv(), ...testEnv };
  store = await openStore(env);
  const key = provider.credentials.wooshpay.secret_key!;
  // One at a time: concurrent creates contend for the per-tenant number.
  for (let i = 0; i < BOOK; i++) {
    const name = `Book ${i}`;
    remoteNames.add(name);
    const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, email: `c${i}@example.com`, metadata: { n: String(i) } }),
    });
    expect(res.status).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await store?.executor.close();
  await provider?.process.stop();
});

describe.each(dialectNames)('import from %s', (dialect) => {
  it('killed twice mid-way and resumed: every customer exactly once, linked', async () => {
    const { tenantId, upstreamId } = await tenantWith(`import-${dialect}`, dialect, provider.baseUrl(dialect));
    const args = [tenantId, upstreamId, '--json', '--rate', String(Number(process.env.CUSTGATE_IMPORT_RATE ?? 300))];
    // Killed once the first page is checkpointed, then once the second is.
    for (const pages of [1, 2]) {
      const run = runImport(args);
      for (;;) {
        const at = await store.imports.find(tenantId, upstreamId);
        if (at && Number(at.pages) >= pages) break;
        expect(run.child.exitCode, 'the import finished before it could be killed').toBeNull();
        await new Promise((r) => setTimeout(r, 10));
      }
      run.child.kill('SIGKILL');
      expect((await run.exit).code).toBeNull();
    }
    const last = await runImport(args).exit;
    expect(last.code, last.stderr).toBe(0);
    const result = JSON.parse(last.stdout) as { state: string; seen: number; imported: number };
    expect(result.state).toBe('done');
    expect(result.seen).toBe(BOOK);

    expect(await store.countCustomers(tenantId)).toBe(BOOK);
    expect(await store.upstreams.linkCount(tenantId, upstreamId)).toBe(BOOK);
    const names = new Set<string>();
    for (const row of await store.listCustomers(tenantId, { order: 'asc', limit: BOOK + 10 })) {
      const data = JSON.parse(row.data) as { name: string | null };
      names.add(data.name ?? '');
      const link = await store.upstreams.findLink(tenantId, upstreamId, row.id);
      expect(link, `customer ${row.id} has no link`).toBeDefined();
    }
    expect(names).toEqual(remoteNames);

    // Run again (in this process: the CLI is the same function): nothing new, nothing twice.
    const row = await store.upstreams.find(tenantId, upstreamId);
    const again = await importCustomers(bookDeps(store, env), row!);
    expect(again).toMatchObject({ state: 'done', seen: BOOK, imported: 0 });
    expect(await store.countCustomers(tenantId)).toBe(BOOK);
  }, 300_000);
});

/** A Stripe-like provider answering `pages` in turn (the last one for ever). */
async function fakeList(pages: readonly unknown[]): Promise<{ url: string; close(): Promise<void> }> {
  let served = 0;
  const server: Server = createServer((_req, res) => {
    const body = pages[Math.min(served++, pages.length - 1)];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const customer = (id: string, name: string) => ({ id, object: 'customer', name, email: null, metadata: {}, created: 1, livemode: false });

describe('bad input: a clear message and a non-zero exit', () => {
  it('an unknown upstream', async () => {
    const { tenantId } = await tenantWith('import-unknown', 'wooshpay', provider.baseUrl('wooshpay'));
    const run = await runImport([tenantId, 'ups_nope', '--json']).exit;
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('no upstream ups_nope');
  }, 120_000);

  it('a page that is no page stores nothing of it; a list that never ends stops at its first repeat', async () => {
    const first = {
      object: 'list',
      data: [customer('cus_Loop1', 'One'), customer('cus_Loop2', 'Two')],
      has_more: true,
      url: '/v1/customers',
    };
    const broken = { object: 'list', data: [customer('cus_Bad1', 'Bad'), 42], has_more: false, url: '/v1/customers' };
    const pages: unknown[] = [first, broken];
    const malformed = await fakeList(pages);
    const app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined } });
    // Reconcile walks the same list: answered 502 with the same message, nothing recorded.
    const reconciled = async (t: { upstreamId: string; auth: Record<string, string> }, message: string) => {
      const res = await app.request(`/gateway/v1/upstreams/${t.upstreamId}/reconciliation`, { headers: t.auth });
      expect(res.status).toBe(502);
      expect(await res.text()).toContain(message);
    };
    const looping = await fakeList([first]);
    try {
      const a = await tenantWith('import-malformed', 'wooshpay', malformed.url);
      const bad = await runImport([a.tenantId, a.upstreamId, '--json']).exit;
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('not a customer');
      expect(bad.stderr).toContain('the import stopped after page 1 (2 customers read, 2 stored); run the same command again to resume');
      // The first page is stored and linked; nothing of the broken one.
      expect(await store.countCustomers(a.tenantId)).toBe(2);
      expect(await store.upstreams.findLinkByRemote(a.tenantId, a.upstreamId, 'cus_Bad1')).toBeUndefined();
      expect(await store.imports.find(a.tenantId, a.upstreamId)).toMatchObject({ state: 'failed', pages: 1 });
      await reconciled(a, 'not a customer');
      // Once the provider answers the page whole, a re-run resumes at it: every customer once, linked.
      pages[1] = { ...broken, data: [customer('cus_Bad1', 'Bad'), customer('cus_Ok3', 'Three')] };
      const row = await store.upstreams.find(a.tenantId, a.upstreamId);
      expect(await importCustomers(bookDeps(store, env), row!)).toMatchObject({ state: 'done', pages: 2, seen: 4, imported: 4 });
      expect(await store.countCustomers(a.tenantId)).toBe(4);
      expect(await store.upstreams.linkCount(a.tenantId, a.upstreamId)).toBe(4);

      const b = await tenantWith('import-loop', 'wooshpay', looping.url);
      const loop = await runImport([b.tenantId, b.upstreamId, '--json']).exit;
      expect(loop.code).not.toBe(0);
      expect(loop.stderr).toContain('never ends');
      await reconciled(b, 'never ends');
      expect(await store.countCustomers(b.tenantId)).toBe(2);
      expect(await store.upstreams.linkCount(b.tenantId, b.upstreamId)).toBe(2);
    } finally {
      await malformed.close();
      await looping.close();
    }
  }, 180_000);
});
