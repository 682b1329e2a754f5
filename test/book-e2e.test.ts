import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { type DialectName, dialects } from '../dialects/index.ts';
import type { AnyDialect, ClientRequest } from '../src/contract/dialect.ts';
import { createApp, createTenant, type GatewayApp, addUpstream, replicationFor } from './support/registered.ts';
import { bookDeps } from './support/book-deps.ts';
import type { Dispatcher } from '../src/outbox/dispatcher.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import type { Store } from '../src/store/index.ts';
import { importCustomers } from '../src/upstream/import.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { drainUntil } from './support/drain-until.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { cli, runCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// #27 end to end against a second custgate playing each provider: a delete through a proxy and
// through a mirror, for every dialect whose provider documents a delete, leaves the provider's
// customer deleted as that provider shows one (out of its list; a retrieve answers as its delete
// documents: Stripe's {id, object, deleted: true}, an archive, or 404); `custgate upstream promote` refuses while deliveries are
// pending and says why on stderr, and `--force` promotes with a warning (never past a create not
// yet linked); an import at `--rate n`
// waits as long as n customers a second takes.

let provider: Provider;
let credentials: Provider['credentials'];
let store: Store;
let env: Record<string, string>;
let app: GatewayApp;
let dispatcher: Dispatcher;

beforeAll(async () => {
  provider = await startProvider();
  // Connhex authorises a delete by its own permission, which a token has only when minted with it.
  const minted = await runCli(
    ['token', 'mint', provider.tenantId, '--dialect', 'connhex', '--permissions', 'pay:customers:*', '--json'],
    provider.env,
  );
  credentials = { ...provider.credentials, connhex: { token: (JSON.parse(minted) as { token: string }).token } };
  env = { ...testDatabaseEnv(), ...testEnv };
  store = await openStore(env);
  const config = loadConfig(env);
  const logger = { error: () => undefined };
  const replication = replicationFor(store, config, { logger });
  dispatcher = replication.dispatcher!;
  app = createApp({ store, config, logger, replication: { ...replication, drainAfterWrite: false } });
}, 120_000);

afterAll(async () => {
  await store?.executor.close();
  await provider?.process.stop();
});

const providerKey = () => ({ authorization: `Bearer ${provider.credentials.wooshpay.secret_key}` });

async function tenantWith(name: string, mode: 'proxy' | 'mirror', dialect: DialectName = 'wooshpay') {
  const config = loadConfig(env);
  const created = await createTenant(store, config, name);
  const upstream = await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
    dialect,
    baseUrl: provider.baseUrl(dialect),
    mode,
    credentials: credentials[dialect],
  });
  return {
    tenantId: created.tenant.id,
    upstreamId: upstream.id,
    auth: { authorization: `Bearer ${created.credentials.wooshpay!.secret_key}` },
  };
}

async function remoteOf(tenantId: string, upstreamId: string, publicId: string): Promise<string> {
  const customer = (await store.findCustomer(tenantId, 'public_id', publicId))!;
  return (await store.upstreams.findLink(tenantId, upstreamId, customer.id))!.remote_id;
}

/** A request of the dialect's client half, sent to the provider as that dialect's API. */
async function atProvider(dialect: DialectName, request: ClientRequest) {
  const res = await fetch(`${provider.baseUrl(dialect)}${request.path}`, { method: request.method, headers: request.headers });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as unknown };
}

/** The ids of the provider's whole list in the dialect, page by page as its client half walks it. */
async function listedAtProvider(dialect: AnyDialect): Promise<Set<string>> {
  const ids = new Set<string>();
  const issued = credentials[dialect.name as DialectName];
  for (let next: string | undefined, pages = 0; pages < 100; pages++) {
    const page = dialect.client.parseList!((await atProvider(dialect.name as DialectName, dialect.client.list!(next, issued))).body);
    if (page instanceof Error) throw page;
    for (const c of page.customers) ids.add(c.id);
    next = page.next;
    if (next === undefined) break;
  }
  return ids;
}

// Every dialect whose provider documents a delete, from the registry: the local writes are
// Wooshpay's (the client's own dialect does not matter here), the provider is the dialect's API.
const deleting = (Object.values(dialects) as AnyDialect[]).filter(
  (d) => d.wire.delete !== undefined && d.client.delete !== undefined && d.client.list !== undefined,
);

describe.each(deleting.map((d) => [d.name, d] as const))('delete against a second custgate playing %s', (name, dialect) => {
  const upstreamDialect = name as DialectName;

  /** The provider's customer is gone as the provider's API shows a deleted one: out of its list, and retrieved as its delete documents. */
  async function expectDeletedAtProvider(remote: string) {
    const read = await atProvider(upstreamDialect, dialect.client.retrieve(remote, credentials[upstreamDialect]));
    expect(read.status).toBe(dialect.wire.delete!.retrieve === 'not_found' ? 404 : 200);
    if (dialect.wire.delete!.retrieve === 'tombstone') expect(read.body).toMatchObject({ deleted: true });
    expect((await listedAtProvider(dialect)).has(remote)).toBe(false);
  }

  it('through a proxy: the provider deletes first, and its customer reads as deleted', async () => {
    const { tenantId, upstreamId, auth } = await tenantWith(`delete-proxy-${name}`, 'proxy', upstreamDialect);
    const created = await app.request('/v1/customers', jsonInit('POST', { name: 'Proxied, then gone', email: 'gone@example.com' }, auth));
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const remote = await remoteOf(tenantId, upstreamId, id);
    const before = await atProvider(upstreamDialect, dialect.client.retrieve(remote, credentials[upstreamDialect]));
    expect(before.status).toBe(200);
    expect(dialect.client.parse(before.body)).toMatchObject({ id: remote, patch: { name: { op: 'set', value: 'Proxied, then gone' } } });

    const deleted = await app.request(`/v1/customers/${id}`, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id, object: 'customer', deleted: true });
    await expectDeletedAtProvider(remote);
  });

  it('through a mirror: the delete is delivered after the create, and the provider reads it as deleted', async () => {
    const { tenantId, upstreamId, auth } = await tenantWith(`delete-mirror-${name}`, 'mirror', upstreamDialect);
    const created = await app.request('/v1/customers', jsonInit('POST', { name: 'Mirrored, then gone', email: 'gone@example.com' }, auth));
    const { id } = (await created.json()) as { id: string };
    const deleted = await app.request(`/v1/customers/${id}`, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(200);
    // Both deliveries (create, then delete) in order.
    await drainUntil(dispatcher, async () => (await store.outbox.counts(tenantId, upstreamId)).pending === 0);
    const why = await store.executor.all(
      queryBuilder(store.executor.backend).selectFrom('outbox').select(['state', 'last_error']).where('tenant_id', '=', tenantId).compile(),
    );
    expect(await store.outbox.counts(tenantId, upstreamId), JSON.stringify(why)).toMatchObject({ pending: 0, dead: 0 });
    await expectDeletedAtProvider(await remoteOf(tenantId, upstreamId, id));
  });
});

it('the registry has dialects with a delete, Wooshpay among them (the suite above is not empty)', () => {
  expect(deleting.map((d) => d.name)).toContain('wooshpay');
});

const run = (args: readonly string[]) =>
  promisify(execFile)(process.execPath, [cli, ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('custgate upstream promote', () => {
  it('refuses while a delivery is pending, saying so on stderr; --force promotes with a warning', async () => {
    const { tenantId, upstreamId, auth } = await tenantWith('promote-cli', 'mirror');
    const created = await app.request('/v1/customers', jsonInit('POST', { name: 'Not delivered yet' }, auth));
    expect(created.status).toBe(200);
    // A create not yet delivered (no link there): not even --force promotes past it, or the
    // proxy's first write of the customer would create it at the provider a second time.
    const unlinked = await run(['upstream', 'promote', tenantId, upstreamId, '--force']);
    expect(unlinked.code).not.toBe(0);
    expect(unlinked.stderr).toContain('even by force');
    await drainUntil(dispatcher, async () => (await store.outbox.counts(tenantId, upstreamId)).pending === 0);
    const { id } = (await created.json()) as { id: string };
    expect((await app.request(`/v1/customers/${id}`, jsonInit('POST', { name: 'Changed, not delivered yet' }, auth))).status).toBe(200);

    const refused = await run(['upstream', 'promote', tenantId, upstreamId]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('1 pending and 0 dead deliveries');
    expect(refused.stderr).toContain('never been reconciled');
    expect((await store.upstreams.find(tenantId, upstreamId))?.mode).toBe('mirror');

    const forced = await run(['upstream', 'promote', tenantId, upstreamId, '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/^warning: promoted by force past: 1 pending and 0 dead deliveries/);
    expect(JSON.parse(forced.stdout)).toMatchObject({ id: upstreamId, mode: 'proxy', forced: true });
    const last = (await store.upstreams.history(tenantId, upstreamId)).at(-1)!;
    expect(last.event).toBe('promoted');
    expect(JSON.parse(last.detail!)).toMatchObject({ forced: true });
  }, 120_000);
});

describe('import at a rate', () => {
  it('waits as long as n customers a second takes, and stores each once', async () => {
    const key = { ...providerKey(), 'content-type': 'application/json' };
    const book = 30;
    for (let i = 0; i < book; i++) {
      const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers`, {
        method: 'POST',
        headers: key,
        body: JSON.stringify({ name: `Paced ${i}` }),
      });
      expect(res.status).toBe(200);
    }
    const { tenantId, upstreamId } = await tenantWith('import-rate', 'proxy');
    // The waits asked for, not slept: the import's own clock does not move while it "sleeps".
    const waits: number[] = [];
    const rate = 10;
    const started = Date.now();
    const row = (await store.upstreams.find(tenantId, upstreamId))!;
    const done = await importCustomers(bookDeps(store, env), row, {
      rate,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const elapsed = Date.now() - started;
    expect(done.imported).toBe(done.seen);
    expect(done.seen).toBeGreaterThanOrEqual(book);
    // The last customer may be stored only (seen − 1) / rate seconds after the first (on a loaded
    // machine the import may be that slow without waiting at all).
    expect(Math.max(0, ...waits) + elapsed).toBeGreaterThanOrEqual(((done.seen - 1) / rate) * 1000);
    expect(await store.countCustomers(tenantId)).toBe(done.seen);
    expect(await store.upstreams.linkCount(tenantId, upstreamId)).toBe(done.seen);
  }, 120_000);
});
