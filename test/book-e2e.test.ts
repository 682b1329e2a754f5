import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createApp, createTenant, type GatewayApp, addUpstream, replicationFor } from './support/registered.ts';
import { bookDeps } from './support/book-deps.ts';
import type { Dispatcher } from '../src/outbox/dispatcher.ts';
import type { Store } from '../src/store/index.ts';
import { importCustomers } from '../src/upstream/import.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { cli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// #27 end to end against a second custgate playing Wooshpay: a delete through a proxy and through
// a mirror leaves the provider's customer deleted as Stripe's reference documents (a retrieve
// answers {id, object, deleted: true}); `custgate upstream promote` refuses while deliveries are
// pending and says why on stderr, and `--force` promotes with a warning; an import at `--rate n`
// waits as long as n customers a second takes.

let provider: Provider;
let store: Store;
let env: Record<string, string>;
let app: GatewayApp;
let dispatcher: Dispatcher;

beforeAll(async () => {
  provider = await startProvider();
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

async function tenantWith(name: string, mode: 'proxy' | 'mirror') {
  const config = loadConfig(env);
  const created = await createTenant(store, config, name);
  const upstream = await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
    dialect: 'wooshpay',
    baseUrl: provider.baseUrl('wooshpay'),
    mode,
    credentials: provider.credentials.wooshpay,
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

async function atProvider(remoteId: string) {
  const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers/${remoteId}`, { headers: providerKey() });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('delete against a second custgate', () => {
  it('through a proxy: the provider deletes first, and its customer reads as deleted', async () => {
    const { tenantId, upstreamId, auth } = await tenantWith('delete-proxy', 'proxy');
    const created = await app.request('/v1/customers', jsonInit('POST', { name: 'Proxied, then gone' }, auth));
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const remote = await remoteOf(tenantId, upstreamId, id);
    expect((await atProvider(remote)).body).toMatchObject({ id: remote, name: 'Proxied, then gone' });

    const deleted = await app.request(`/v1/customers/${id}`, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id, object: 'customer', deleted: true });
    expect(await atProvider(remote)).toEqual({ status: 200, body: { id: remote, object: 'customer', deleted: true } });
  });

  it('through a mirror: the delete is delivered after the create, and the provider reads it as deleted', async () => {
    const { tenantId, upstreamId, auth } = await tenantWith('delete-mirror', 'mirror');
    const created = await app.request('/v1/customers', jsonInit('POST', { name: 'Mirrored, then gone' }, auth));
    const { id } = (await created.json()) as { id: string };
    const deleted = await app.request(`/v1/customers/${id}`, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(200);
    // Both deliveries (create, then delete) in order.
    for (let i = 0; i < 5 && (await store.outbox.counts(tenantId, upstreamId)).pending > 0; i++) await dispatcher.drain();
    expect(await store.outbox.counts(tenantId, upstreamId)).toMatchObject({ pending: 0, dead: 0 });
    const remote = await remoteOf(tenantId, upstreamId, id);
    expect(await atProvider(remote)).toEqual({ status: 200, body: { id: remote, object: 'customer', deleted: true } });
  });
});

const run = (args: readonly string[]) =>
  promisify(execFile)(process.execPath, [cli, ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('custgate upstream promote', () => {
  it('refuses while a delivery is pending, saying so on stderr; --force promotes with a warning', async () => {
    const { tenantId, upstreamId, auth } = await tenantWith('promote-cli', 'mirror');
    expect((await app.request('/v1/customers', jsonInit('POST', { name: 'Not delivered yet' }, auth))).status).toBe(200);

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
