import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { type CreatedTenant, createTenant, createApp, addUpstream, replicationFor } from './support/registered.ts';
import { backfill } from '../src/outbox/backfill.ts';
import type { Dispatcher } from '../src/outbox/dispatcher.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// #27: `custgate upstream backfill` queues a create for every local customer a new mirror has no
// link for, in the outbox the writes use; the dispatcher delivers them. A second custgate plays
// each provider: after the drain every customer is there once, linked, and a second backfill
// queues nothing. The book is a knob (CUSTGATE_BACKFILL_BOOK; 1,000 for the figure).

const BOOK = Number(process.env.CUSTGATE_BACKFILL_BOOK ?? 300);
const dialectNames: DialectName[] = ['wooshpay', 'connhex', 'meteroid', 'bigcapital', 'zenskar'];

let provider: Provider;
let store: Store;
let env: Record<string, string>;
let tenant: CreatedTenant;
let dispatcher: Dispatcher;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  provider = await startProvider();
  env = { ...testDatabaseEnv(), ...testEnv };
  store = await openStore(env);
  const config = loadConfig(env);
  tenant = await createTenant(store, config, 'backfilled');
  const replication = replicationFor(store, config, { logger: { error: () => undefined } });
  dispatcher = replication.dispatcher;
  app = createApp({ store, config, logger: { error: () => undefined }, replication: { ...replication, drainAfterWrite: false } });
  const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
  for (let i = 0; i < BOOK; i++) {
    const res = await app.request('/wooshpay/v1/customers', jsonInit('POST', { name: `Local ${i}`, email: `l${i}@example.com` }, auth));
    expect(res.status).toBe(200);
  }
}, 180_000);

afterAll(async () => {
  await store?.executor.close();
  await provider?.process.stop();
});

describe('backfill', () => {
  it('refuses a proxy upstream', async () => {
    const config = loadConfig(env);
    const other = await createTenant(store, config, 'proxied');
    const proxy = await addUpstream(store, keyringFor(config, store.upstreams), other.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: provider.baseUrl('wooshpay'),
      mode: 'proxy',
      credentials: provider.credentials.wooshpay,
    });
    await expect(runCli(['upstream', 'backfill', other.tenant.id, proxy.id], env)).rejects.toThrow(/only a mirror or shadow upstream/);
    await expect(runCli(['upstream', 'backfill', other.tenant.id, 'ups_nope'], env)).rejects.toThrow(/no upstream ups_nope/);
  }, 60_000);

  it.each(dialectNames)(
    'into %s: every customer once, linked; a second backfill queues nothing',
    async (dialect) => {
      const config = loadConfig(env);
      const mirror = await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
        dialect,
        baseUrl: provider.baseUrl(dialect),
        mode: 'mirror',
        credentials: provider.credentials[dialect],
      });
      const row = (await store.upstreams.find(tenant.tenant.id, mirror.id))!;
      // The CLI for the first dialect (the command's wiring); the same function in this process after.
      const queued =
        dialect === 'wooshpay'
          ? (JSON.parse(await runCli(['upstream', 'backfill', tenant.tenant.id, mirror.id, '--json'], env)) as { queued: number })
          : await backfill(store, row, { rate: 100_000 });
      expect(queued).toMatchObject({ queued: BOOK });
      const drained = await dispatcher.drain({ deadline: Date.now() + 150_000 });
      expect(drained).toMatchObject({ dead: 0 });
      expect(await store.outbox.counts(tenant.tenant.id)).toEqual({ pending: 0, dead: 0 });
      expect(await store.upstreams.linkCount(tenant.tenant.id, mirror.id)).toBe(BOOK);
      expect(await backfill(store, row)).toEqual({ upstream: mirror.id, queued: 0, skipped: BOOK });

      // One customer, read at the provider through its own dialect, is the local one.
      const first = (await store.listCustomers(tenant.tenant.id, { order: 'asc', limit: 1 }))[0]!;
      const link = (await store.upstreams.findLink(tenant.tenant.id, mirror.id, first.id))!;
      const shown = await fetch(
        `${provider.baseUrl(dialect)}${dialects[dialect].client.retrieve(link.remote_id, provider.credentials[dialect]).path}`,
        {
          headers: fixturesOf(dialects[dialect]).auth(provider.credentials[dialect]),
        },
      );
      expect(shown.status).toBe(200);
      expect(JSON.stringify(await shown.json())).toContain('Local 0');
    },
    180_000,
  );
});
