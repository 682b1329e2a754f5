import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createTenant, createApp, addUpstream } from './support/registered.ts';
import { bookDeps } from './support/book-deps.ts';
import type { Store } from '../src/store/index.ts';
import { reconcile } from '../src/outbox/reconcile.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { importCustomers } from '../src/upstream/import.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { cli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider, switchableProxy } from './support/upstream.ts';

// #27: `custgate upstream reconcile` walks both sides. After an import both hold the same book;
// a customer planted locally only and a name changed at the provider only are reported, and
// nothing else; the exit status says whether anything differs.

let provider: Provider;
let store: Store;
let env: Record<string, string>;

beforeAll(async () => {
  provider = await startProvider();
  env = { ...testDatabaseEnv(), ...testEnv };
  store = await openStore(env);
}, 120_000);

afterAll(async () => {
  await store?.executor.close();
  await provider?.process.stop();
});

const reconcileCli = (args: readonly string[]) =>
  promisify(execFile)(process.execPath, [cli, 'upstream', 'reconcile', ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

it('reports a planted missing customer and a planted field difference, and nothing else', async () => {
  const key = { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}`, 'content-type': 'application/json' };
  const remote: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers`, {
      method: 'POST',
      headers: key,
      body: JSON.stringify({ name: `Both ${i}`, email: `b${i}@example.com` }),
    });
    remote.push(((await res.json()) as { id: string }).id);
  }
  const config = loadConfig(env);
  const created = await createTenant(store, config, 'reconciled');
  const tenantId = created.tenant.id;
  const upstream = await addUpstream(store, keyringFor(config, store.upstreams), tenantId, {
    dialect: 'wooshpay',
    baseUrl: provider.baseUrl('wooshpay'),
    mode: 'mirror',
    credentials: provider.credentials.wooshpay,
  });
  await importCustomers(bookDeps(store, env), (await store.upstreams.find(tenantId, upstream.id))!);

  const clean = await reconcileCli([tenantId, upstream.id, '--json']);
  expect(clean.code).toBe(0);
  expect(JSON.parse(clean.stdout)).toMatchObject({ clean: true, counts: { local: 5, upstream: 5, linked: 5, differing: 0 } });

  // Planted: a customer only here (no dispatcher runs), and a name changed only at the provider.
  const app = createApp({ store, config, logger: { error: () => undefined } });
  const auth = { authorization: `Bearer ${created.credentials.wooshpay!.secret_key}` };
  const local = (await (await app.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Only here' }, auth))).json()) as {
    id: string;
  };
  await fetch(`${provider.baseUrl('wooshpay')}/v1/customers/${remote[2]}`, {
    method: 'POST',
    headers: key,
    body: JSON.stringify({ name: 'Renamed there' }),
  });

  const found = await reconcileCli([tenantId, upstream.id, '--json']);
  expect(found.code).toBe(1);
  const report = JSON.parse(found.stdout) as {
    clean: boolean;
    counts: Record<string, number>;
    missing_upstream: string[];
    missing_local: string[];
    differences: { upstream_id: string; fields: { field: string; local: unknown; upstream: unknown }[] }[];
  };
  expect(report.clean).toBe(false);
  expect(report.counts).toEqual({ local: 6, upstream: 5, linked: 5, missing_upstream: 1, missing_local: 0, differing: 1, refused: 0 });
  const planted = (await store.findCustomer(tenantId, 'public_id', local.id))!;
  expect(report.missing_upstream).toEqual([planted.id]);
  expect(report.differences).toEqual([
    { customer: expect.any(String), upstream_id: remote[2], fields: [{ field: 'name', local: 'Both 2', upstream: 'Renamed there' }] },
  ]);

  expect(report).toMatchObject({ truncated: false });
  // A book of any size: each list of the report keeps its first entries only, the counts stay whole,
  // and the upstream's ids staged for the run are dropped at its end.
  const row = (await store.upstreams.find(tenantId, upstream.id))!;
  const capped = await reconcile(bookDeps(store, env), row, { listLimit: 0 });
  expect(capped).toMatchObject({ clean: false, truncated: true, missing_upstream: [], differences: [], ids: [] });
  expect(capped.counts).toEqual(report.counts);
  const staged = await store.executor.all(queryBuilder(store.executor.backend).selectFrom('reconcile_listed').selectAll().compile());
  expect(staged).toEqual([]);

  const ids = await reconcileCli([tenantId, upstream.id, '--ids']);
  expect(ids.code).toBe(1);
  const lines = ids.stdout.trim().split('\n');
  expect(lines[0]).toBe('local_id,upstream_id');
  expect(
    lines
      .slice(1)
      .map((l) => l.split(',')[1])
      .sort(),
  ).toEqual([...remote].sort());

  // The last reconciliation is in the upstream's history.
  const history = await store.upstreams.history(tenantId, upstream.id);
  expect(JSON.parse(history.at(-1)!.detail!)).toMatchObject({ clean: false, differences: 2, missing_upstream: 1, differing: 1 });
  // …and it is what stands in the way of the cut-over.
  const refused = await promisify(execFile)(process.execPath, [cli, 'upstream', 'promote', tenantId, upstream.id], {
    env: { ...process.env, ...env },
  }).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('found 2 differences');
}, 300_000);

it('exits 2, not 1, when it could not compare: a script never reads a failure as differences', async () => {
  // The provider refuses the gateway's credentials for every request.
  const refusing = await switchableProxy(provider.baseUrl('wooshpay'), {
    refuse: () => ({ status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } } }),
  });
  try {
    const config = loadConfig(env);
    const created = await createTenant(store, config, 'reconcile-refused');
    const upstream = await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: refusing.url,
      mode: 'mirror',
      credentials: provider.credentials.wooshpay,
    });
    for (const args of [
      [created.tenant.id, upstream.id, '--json'],
      [created.tenant.id, 'ups_nope'],
    ]) {
      const run = await reconcileCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^custgate: /);
    }
    expect((await store.upstreams.history(created.tenant.id, upstream.id)).map((s) => s.event)).not.toContain('reconciled');
  } finally {
    await refusing.close();
  }
}, 60_000);
