import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { startGateway } from '../src/entries/testing.ts';
import { reloadFixturesOnReset } from '../src/cli/fixtures.ts';
import { registry } from '../dialects/index.ts';
import { dialectList } from '../src/contract/registry.ts';
import type { ResetFixtures } from '../src/http/runtime.ts';
import type { Store } from '../src/store/index.ts';
import { listTenants } from '../src/store/tenant-admin.ts';
import { fixtureFile as file } from './support/fixture-file.ts';
import { createApp, createTenant, type GatewayApp } from './support/registered.ts';
import { testEnv } from './support/gateway.ts';
import { failingCli, runCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';

// A reset that loads fixtures (`custgate reset --fixtures`, POST /gateway/v1/reset on a server with
// fixtures, gateway.reset()) checks every fixture before it empties the tenant: a file the load
// would refuse leaves the tenant's customers where they are (docs/dev-server.md).

const all = dialectList(registry);

const jenny = '  - { name: jenny, dialect: wooshpay, params: { name: Jenny Rosen, email: jenny@example.com } }\n';
const good = `fixtures:\n${jenny}  - { name: acme, dialect: meteroid, params: { name: Acme, currency: EUR, alias: acme } }\n`;

// Each file's second fixture is refused only where the load would create it; the first is fine.
const refused = [
  // The dialect's validation: Zenskar's email, Bigcapital's required displayName.
  [
    'zenskar-email',
    `fixtures:\n${jenny}  - { name: acme, dialect: zenskar, params: { customer_name: Acme, email: not-an-address } }\n`,
    'fixture "acme".params.email',
  ],
  [
    'bigcapital-name',
    `fixtures:\n${jenny}  - { name: acme, dialect: bigcapital, params: { companyName: Acme } }\n`,
    'fixture "acme".params.displayName',
  ],
  // The core's check of a new customer, in the dialect's name: an alias that looks like an id.
  [
    'alias-id',
    `fixtures:\n${jenny}  - { name: acme, dialect: meteroid, params: { name: Acme, currency: EUR, alias: cus_acme } }\n`,
    'fixture "acme".params.alias',
  ],
  // What the store refuses between the file's own customers.
  [
    'alias-twice',
    'fixtures:\n  - { name: jenny, dialect: meteroid, params: { name: Jenny, currency: EUR, alias: shop } }\n  - { name: acme, dialect: meteroid, params: { name: Acme, currency: EUR, alias: shop } }\n',
    'fixture "acme".params.alias: "shop" is fixture "jenny"\'s alias',
  ],
  [
    'external-twice',
    'fixtures:\n  - { name: jenny, dialect: zenskar, params: { customer_name: Jenny, external_id: crm-1 } }\n  - { name: acme, dialect: zenskar, params: { customer_name: Acme, external_id: crm-1 } }\n',
    'fixture "acme".params.external_id',
  ],
  // The reference resolved to the id the load gives jenny: an external_id that is her UUID.
  [
    'external-uuid',
    `fixtures:\n  - { name: jenny, dialect: zenskar, params: { customer_name: Jenny } }\n  - { name: acme, dialect: zenskar, params: { customer_name: Acme, external_id: "\${jenny:id}" } }\n`,
    `fixture "acme".params.external_id: an external_id cannot be another customer's id`,
  ],
] as const;

const customersOf = async (store: Store, tenantId: string) =>
  (await listTenants(store, new Date())).find((t) => t.id === tenantId)?.customers;

type Logged = [event: string, fields: Readonly<Record<string, unknown>>];

/**
 * A tenant of a new store and an app over it whose reset loads what `resetFixtures` gives, with a
 * credential of the tenant and what the app logged.
 */
async function withResetApp(
  resetFixtures: (store: Store, env: Record<string, string>, tenantId: string) => ResetFixtures,
  run: (app: GatewayApp, auth: { authorization: string }, logged: readonly Logged[]) => Promise<void>,
): Promise<void> {
  const env = { ...testEnv, ...testDatabaseEnv() };
  const store = await openStore(env);
  try {
    const config = loadConfig(env);
    const tenant = await createTenant(store, config, 'seeded');
    const logged: Logged[] = [];
    const logger = { error: (event: string, fields: Readonly<Record<string, unknown>>) => logged.push([event, fields]) };
    const app = createApp({ store, config, logger, resetFixtures: resetFixtures(store, env, tenant.tenant.id) });
    await run(app, { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` }, logged);
  } finally {
    await store.executor.close();
  }
}

describe('a reset with fixtures the load would refuse', () => {
  it('custgate reset --fixtures exits non-zero naming the fixture and field, and the tenant keeps its customers', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    const store = await openStore(env);
    try {
      const tenant = await createTenant(store, loadConfig(env), 'seeded');
      await runCli(['fixtures', 'load', file('good.yaml', good), '--tenant', 'seeded'], env);
      expect(await customersOf(store, tenant.tenant.id)).toBe(2);
      for (const [name, text, names] of refused) {
        const failed = await failingCli(['reset', '--tenant', 'seeded', '--fixtures', file(`${name}.yaml`, text)], env);
        expect(failed?.code, name).not.toBe(0);
        expect(failed?.stderr, name).toContain(names);
        expect(await customersOf(store, tenant.tenant.id), name).toBe(2);
      }
      // The same file without its refused fixture is loaded into the emptied tenant.
      const out = JSON.parse(await runCli(['reset', '--tenant', 'seeded', '--fixtures', file('good.yaml', good), '--json'], env)) as {
        deleted: { customers: number };
        fixtures: Record<string, unknown>;
      };
      expect(out.deleted.customers).toBe(2);
      expect(Object.keys(out.fixtures)).toEqual(['jenny', 'acme']);
    } finally {
      await store.executor.close();
    }
  }, 120_000);

  it('POST /gateway/v1/reset on a server whose fixture file became refused answers 409 and resets nothing', async () => {
    const path = file('served.yaml', good);
    // As `custgate serve --fixtures served.yaml` builds it (src/entries/cli.ts).
    await withResetApp(
      (store, env, tenantId) => reloadFixturesOnReset(store, loadConfig(env), all, path, tenantId),
      async (app, auth) => {
        const names = async () =>
          ((await (await app.request('/v1/customers', { headers: auth })).json()) as { data: { name: string }[] }).data
            .map((c) => c.name)
            .sort();
        const reset = () => app.request('/gateway/v1/reset', { method: 'POST', headers: auth });
        expect((await reset()).status).toBe(200);
        expect(await names()).toEqual(['Acme', 'Jenny Rosen']);

        for (const [name, text, says] of refused.slice(0, 2)) {
          writeFileSync(path, text);
          const res = await reset();
          expect(res.status, name).toBe(409);
          const error = ((await res.json()) as { error: { code: string; message: string } }).error;
          expect(error.code).toBe('conflict');
          expect(error.message).toContain('Nothing was reset');
          expect(error.message).toContain(says);
          expect(await names(), name).toEqual(['Acme', 'Jenny Rosen']);
        }
        writeFileSync(path, 'fixtures: [ {');
        expect((await reset()).status).toBe(409);
        expect(await names()).toEqual(['Acme', 'Jenny Rosen']);
      },
    );
  }, 60_000);

  it("POST /gateway/v1/reset whose checked fixtures then fail to load says the tenant was emptied, and logs the store's error", async () => {
    // A load that passed its check and then met a store failure.
    const failing = () => async () => () => Promise.reject(new Error('fixture "jenny": SQLITE_FULL: database or disk is full'));
    await withResetApp(failing, async (app, auth, logged) => {
      expect(
        (await app.request('/v1/customers', { method: 'POST', headers: auth, body: new URLSearchParams({ name: 'Extra' }) })).status,
      ).toBe(200);
      const res = await app.request('/gateway/v1/reset', { method: 'POST', headers: auth });
      expect(res.status).toBe(500);
      const { code, message } = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect(code).toBe('internal');
      expect(message).toContain('reset (1 customer(s) deleted)');
      expect(message).toContain('empty');
      // The store's words are the log's, under the request id the answer names; not the client's.
      expect(message).not.toContain('SQLITE_FULL');
      const id = res.headers.get('x-request-id');
      expect(message).toContain(`request id ${id}`);
      expect(logged).toContainEqual([
        'reset_fixtures_failed',
        expect.objectContaining({ request_id: id, message: expect.stringContaining('SQLITE_FULL') }),
      ]);
    });
  });

  it('gateway.reset() and the API of a startGateway whose fixture file became refused keep the customers', async () => {
    const path = file('started.yaml', good);
    const gateway = await startGateway({ tenants: { shop: { fixtures: path } } });
    try {
      const auth = { authorization: `Bearer ${gateway.tenants.shop?.credentials.wooshpay?.secret_key}` };
      const count = async () =>
        ((await (await fetch(`${gateway.url}/v1/customers`, { headers: auth })).json()) as { data: unknown[] }).data.length;
      expect(await count()).toBe(2);
      writeFileSync(path, refused[0][1]);
      await expect(gateway.reset()).rejects.toThrow(refused[0][2]);
      expect(await count()).toBe(2);
      const res = await fetch(`${gateway.url}/gateway/v1/reset`, { method: 'POST', headers: auth });
      expect(res.status).toBe(409);
      expect(await count()).toBe(2);
    } finally {
      await gateway.stop();
    }
  });
});
