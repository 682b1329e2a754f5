import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { type CreatedTenant, createTenant, createApp, addUpstream, replicationFor } from './support/registered.ts';
import type { Replication } from '../src/outbox/replication.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { testEnv } from './support/gateway.ts';
import { type Judge, startJudge } from './support/judge.ts';
import { testStore } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// The judge: every client half's requests, checked by Prism against the provider's own document
// (test/fixtures/seed-openapi), between gateway A (clients of every dialect, a tenant per upstream
// dialect and mode) and gateway B (a second custgate playing the provider). Each client dialect
// creates, then edits metadata, clears and sets addresses in its own wire form; whatever custgate
// sends upstream for it, in proxy or mirror mode, must be a request the provider documents.

const names = Object.keys(dialects) as DialectName[];
const modes = ['proxy', 'mirror'] as const;

let provider: Provider;
let judge: Judge;
let request: (path: string, init?: RequestInit) => Promise<Response>;
let replication: Replication;
const tenants = new Map<string, CreatedTenant>();
/** What A answered to each write (for the failure message): the judge is about requests, not outcomes. */
const answered: string[] = [];

beforeAll(async () => {
  provider = await startProvider();
  judge = await startJudge(names, (d) => provider.baseUrl(d));
  const store = await testStore();
  const config = loadConfig({ ...testEnv });
  replication = replicationFor(store, config, { logger: { error: () => undefined } });
  const app = createApp({ store, config, logger: { error: () => undefined }, replication });
  request = async (path, init) => app.request(path, init);
  const keyring = keyringFor(config, store.upstreams);
  for (const upstream of names) {
    for (const mode of modes) {
      const tenant = await createTenant(store, config, `${mode}-${upstream}`);
      await addUpstream(store, keyring, tenant.tenant.id, {
        dialect: upstream,
        baseUrl: judge.url(upstream),
        mode,
        credentials: provider.credentials[upstream],
      });
      tenants.set(`${mode}-${upstream}`, tenant);
    }
  }
}, 300_000);

afterAll(async () => {
  await judge?.close();
  await provider?.process.stop();
});

async function send(client: AnyDialect, tenant: CreatedTenant, method: string, path: string, body: unknown) {
  const headers = { 'content-type': 'application/json', ...fixturesOf(client).auth(tenant.credentials[client.name as DialectName] ?? {}) };
  const res = await request(`${client.routes.prefix}${client.routes.collection}${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  answered.push(`${client.name} ${method} ${path} -> ${res.status} ${text.slice(0, 200)}`);
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe.each(modes)('the judge, %s mode', (mode) => {
  it.each(names)('every client dialect writing to a %s upstream sends only requests its document accepts', async (upstream) => {
    const tenant = tenants.get(`${mode}-${upstream}`);
    if (!tenant) throw new Error('no tenant');
    const before = judge.seen[upstream] ?? 0;
    for (const name of names) {
      const client = dialects[name] as AnyDialect;
      const created = await send(client, tenant, 'POST', '', fixturesOf(client).create);
      if (created.status >= 300) continue;
      const id = fixturesOf(client).idOf(created.body);
      for (const body of fixturesOf(dialects[name]).clientWrites ?? [fixturesOf(dialects[name]).update])
        await send(client, tenant, client.routes.update, `/${encodeURIComponent(id)}`, body);
    }
    if (mode === 'mirror') {
      // The drain each write started may still be sending: wait for it, then for one more full pass.
      await replication.dispatcher.kick();
      await replication.dispatcher.kick();
    }
    const mine = judge.violations.filter((v) => v.dialect === upstream && v.side === 'request');
    expect(mine, `${JSON.stringify(mine, null, 1)}\n${answered.join('\n')}`).toEqual([]);
    expect((judge.seen[upstream] ?? 0) - before, answered.join('\n')).toBeGreaterThan(names.length);
  });
});
