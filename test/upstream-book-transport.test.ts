import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { reconcile } from '../src/outbox/reconcile.ts';
import type { Store } from '../src/store/index.ts';
import { importCustomers } from '../src/upstream/import.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { bookDeps } from './support/book-deps.ts';
import { testEnv } from './support/gateway.ts';
import { addUpstream, createTenant } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';

// `custgate upstream import` and `reconcile` call the provider over the server's transport
// (src/cli/book.ts): on Node, the keep-alive agent that sends a GET again at once on a fresh
// socket when the kept one turns out closed. The provider here closes each kept connection as its
// second request arrives, as one whose keep-alive ran out would: every page after the first meets
// a closed socket. Over Node's transport the import and the reconciliation never fall back on
// their back-off (the recorded sleeps stay empty); over `fetch` each such page is a failed try,
// waited for and tried again.

const pages = [
  ['cus_P1', 'cus_P2'],
  ['cus_P3', 'cus_P4'],
  ['cus_P5', 'cus_P6'],
];
const customer = (id: string) => ({ id, object: 'customer', name: `Page ${id}`, email: null, metadata: {}, created: 1, livemode: false });

let server: Server;
let base: string;
let store: Store;
let env: Record<string, string>;
let dropped = 0;

beforeAll(async () => {
  const requests = new WeakMap<object, number>();
  server = createServer((req, res) => {
    const n = (requests.get(req.socket) ?? 0) + 1;
    requests.set(req.socket, n);
    if (n > 1) {
      dropped++;
      req.socket.destroy();
      return;
    }
    const after = new URL(req.url ?? '/', 'http://x').searchParams.get('starting_after');
    const index = after === null ? 0 : pages.findIndex((p) => p.at(-1) === after) + 1;
    const ids = pages[index] ?? [];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', url: '/v1/customers', data: ids.map(customer), has_more: index < pages.length - 1 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  env = { ...testDatabaseEnv(), ...testEnv };
  store = await openStore(env);
}, 60_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await store?.executor.close();
});

async function upstreamFor(name: string) {
  const config = loadConfig(env);
  const created = await createTenant(store, config, name);
  const row = await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
    dialect: 'wooshpay',
    baseUrl: base,
    mode: 'proxy',
    credentials: { secret_key: 'sk_test_book_transport' },
  });
  return (await store.upstreams.find(created.tenant.id, row.id))!;
}

/** Runs import then reconcile with `settings`, recording each back-off the two wait. */
async function importAndReconcile(name: string, settings: Record<string, string>) {
  const row = await upstreamFor(name);
  const waits: number[] = [];
  const sleep = async (ms: number) => void waits.push(ms);
  const deps = () => bookDeps(store, { ...env, ...settings });
  dropped = 0;
  const imported = await importCustomers(deps(), row, { sleep });
  const reconciled = await reconcile(deps(), row, { sleep });
  return { imported, reconciled, waits, dropped };
}

describe('the migration commands over a provider that closes kept connections', () => {
  it('on the Node transport, take every page at the first try', async () => {
    const run = await importAndReconcile('book-node', {});
    expect(run.imported).toMatchObject({ state: 'done', pages: 3, seen: 6, imported: 6 });
    expect(run.reconciled).toMatchObject({ clean: true, counts: { local: 6, upstream: 6, linked: 6 } });
    // Each page after the first met a closed socket, and was sent again on a fresh one at once.
    expect(run.dropped).toBeGreaterThanOrEqual(2);
    expect(run.waits).toEqual([]);
  }, 60_000);

  it('on fetch (CUSTGATE_UPSTREAM_TRANSPORT=fetch), fall back on the back-off for such a page', async () => {
    const run = await importAndReconcile('book-fetch', { CUSTGATE_UPSTREAM_TRANSPORT: 'fetch' });
    expect(run.imported).toMatchObject({ state: 'done', pages: 3, seen: 6, imported: 6 });
    expect(run.reconciled).toMatchObject({ clean: true });
    expect(run.waits.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
