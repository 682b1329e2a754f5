import { execFile, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { startGateway } from '../src/entries/testing.ts';
import { loadFixtureFile, loadFixturesOnStart } from '../src/cli/fixtures.ts';
import { type CreatedTenant, createApp, createTenant } from './support/registered.ts';
import { registry } from '../dialects/index.ts';
import { dialectList } from '../src/contract/registry.ts';
import { listTenants } from '../src/store/tenant-admin.ts';
import { fixtureFile as file } from './support/fixture-file.ts';
import { testEnv } from './support/gateway.ts';
import { cli, runCli, startGatewayProcess } from './support/processes.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

const all = dialectList(registry);

// Seeding a dev database: `custgate fixtures load`, `serve --fixtures`, startGateway's fixtures.

// Three dialects; Zenskar's custom_data and Wooshpay's metadata name the customers before them.
const seed = file(
  'seed.yaml',
  `fixtures:
  - name: jenny
    dialect: wooshpay
    params:
      name: Jenny Rosen
      email: jenny@example.com
  - name: acme
    dialect: zenskar
    params:
      customer_name: Acme
      email: "\${jenny:email}"
      custom_data: { contact: "\${jenny:id}", note: "billing for \${jenny:name}" }
  - name: books
    dialect: wooshpay
    params:
      name: Acme books
      metadata: { zenskar_id: "\${acme:id}" }
`,
);

const failure = (args: readonly string[], env: Record<string, string>) =>
  // The timeout only ends a command that did not refuse but ran on (a server), so the test fails on its exit code.
  promisify(execFile)(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );

/** A dev command refused under NODE_ENV=production: exit 1, one line naming the override. */
async function refusedInProduction(args: readonly string[], env: Record<string, string>, what: string): Promise<void> {
  const refused = await failure(args, env);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe(
    `custgate: ${what}: it is refused with NODE_ENV=production; add --allow-production to load the file anyway\n`,
  );
}

async function withTenant<T>(env: Record<string, string>, run: (tenant: CreatedTenant, app: ReturnType<typeof createApp>) => Promise<T>) {
  const store = await openStore(env);
  try {
    const tenant = await createTenant(store, loadConfig(env), 'seeded');
    return await run(tenant, createApp({ store, config: loadConfig(env), logger: { error: () => undefined } }));
  } finally {
    await store.executor.close();
  }
}

describe('custgate fixtures load', () => {
  it('creates the customers in order, each reference resolved to the earlier answer, readable through every dialect', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    await withTenant(env, async (tenant, app) => {
      const out = JSON.parse(await runCli(['fixtures', 'load', seed, '--tenant', 'seeded', '--json'], env)) as {
        customers: Record<string, { id: string }>;
      };
      const jenny = out.customers.jenny!.id;
      const acme = out.customers.acme!.id;
      expect(jenny).toMatch(/^cus_/);
      const zenskar = await app.request(`/zenskar/customers/${acme}`, {
        headers: { 'x-api-key': tenant.credentials.zenskar!.api_key!, organisation: tenant.tenant.id },
      });
      expect(zenskar.status).toBe(200);
      const seen = (await zenskar.json()) as { email: string; custom_data: Record<string, string> };
      expect(seen.email).toBe('jenny@example.com');
      expect(seen.custom_data).toEqual({ contact: jenny, note: 'billing for Jenny Rosen' });
      const books = await app.request(`/v1/customers/${out.customers.books!.id}`, {
        headers: { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` },
      });
      expect(((await books.json()) as { metadata: Record<string, string> }).metadata).toEqual({ zenskar_id: acme });
    });
  }, 60_000);

  // A tenant made with `tenant create --live` holds live keys only; its fixtures are created as its
  // keys' POSTs would create them, in live mode. Made in test mode, none of its keys could see them.
  it('loads into a live-only tenant in live mode, where its keys see them; reset --fixtures too', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    const store = await openStore(env);
    try {
      const tenant = await createTenant(store, loadConfig(env), 'live-only', { livemode: true });
      const app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined } });
      const key = tenant.credentials.wooshpay!.secret_key!;
      expect(key).toMatch(/^sk_live_/);
      const listed = async () => {
        const res = await app.request('/v1/customers', { headers: { authorization: `Bearer ${key}` } });
        return ((await res.json()) as { data: { name: string; livemode: boolean }[] }).data;
      };
      await runCli(['fixtures', 'load', seed, '--tenant', 'live-only'], env);
      expect((await listed()).map((c) => [c.name, c.livemode])).toEqual([
        ['Acme books', true],
        ['Acme', true],
        ['Jenny Rosen', true],
      ]);
      await runCli(['reset', '--tenant', 'live-only', '--fixtures', seed], env);
      expect((await listed()).map((c) => c.name)).toEqual(['Acme books', 'Acme', 'Jenny Rosen']);
    } finally {
      await store.executor.close();
    }
  }, 60_000);

  // A dev tool's made-up customers in a production store are customers to every client there. Before,
  // the load ran under NODE_ENV=production as anywhere else (exit 0, three customers written).
  it('is refused with NODE_ENV=production, in one line and exit 1, writing nothing, unless --allow-production says so', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    await withTenant(env, async (tenant) => {
      const production = { ...env, NODE_ENV: 'production' };
      await refusedInProduction(['fixtures', 'load', seed, '--tenant', 'seeded'], production, 'fixtures load is a development command');
      const store = await openStore(env);
      try {
        expect(await store.countCustomers(tenant.tenant.id)).toBe(0);
        const allowed = JSON.parse(
          await runCli(['fixtures', 'load', seed, '--tenant', 'seeded', '--allow-production', '--json'], production),
        ) as { customers: Record<string, unknown> };
        expect(Object.keys(allowed.customers)).toEqual(['jenny', 'acme', 'books']);
        expect(await store.countCustomers(tenant.tenant.id)).toBe(3);
        // `reset` is refused there too, as it was, with the same words and exit status; it has no override.
        const reset = await failure(['reset', '--tenant', 'seeded'], production);
        expect(reset.code).toBe(1);
        expect(reset.stderr).toBe('custgate: reset is a development command: it is refused with NODE_ENV=production\n');
        expect(await store.countCustomers(tenant.tenant.id)).toBe(3);
      } finally {
        await store.executor.close();
      }
    });
  }, 60_000);

  it('refuses a bad reference, an unknown dialect and a refused field with a non-zero exit naming fixture and field; nothing is written', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    await withTenant(env, async (tenant) => {
      const good = '  - name: jenny\n    dialect: wooshpay\n    params: { name: Jenny }\n';
      const cases = [
        [
          `fixtures:\n${good}  - name: acme\n    dialect: zenskar\n    params: { customer_name: "\${jeny:id}" }\n`,
          'fixture "acme".params.customer_name',
          'names "jeny"',
        ],
        [
          `fixtures:\n${good}  - name: acme\n    dialect: chargebee\n    params: {}\n`,
          'fixture "acme".dialect: unknown dialect "chargebee"',
          'wooshpay',
        ],
        [
          `fixtures:\n${good}  - name: acme\n    dialect: zenskar\n    params: { customer_name: "\${jenny:idd}" }\n`,
          'fixture "acme".params.customer_name',
          'no value at "idd"',
        ],
        // Jenny is created before the second fixture fails the dialect's check: she is taken back.
        [`fixtures:\n${good}  - name: acme\n    dialect: wooshpay\n    params: { email: 42 }\n`, 'fixture "acme".params.email', ''],
        ['fixtures: [ {', 'not valid YAML', ''],
        // A misspelt parameter is named as one, not as the schema library's "Expected never".
        [
          `fixtures:\n${good}  - name: acme\n    dialect: wooshpay\n    params: { nam: Acme }\n`,
          'fixture "acme".params.nam',
          'unknown parameter',
        ],
        // A missing required one too, as translate names it (src/contract/validate.ts, inWords).
        [
          `fixtures:\n${good}  - name: acme\n    dialect: bigcapital\n    params: { displayName: Acme }\n`,
          'fixture "acme".params.customerType',
          'Missing required parameter: customerType (a Bigcapital create must have it).',
        ],
      ] as const;
      // One through the CLI for the exit status; the others through the same loader in process.
      const [first, ...rest] = cases;
      const result = await failure(['fixtures', 'load', file('bad-0.yaml', first[0]), '--tenant', tenant.tenant.id], env);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(first[1]);
      expect(result.stderr).toContain(first[2]);
      const store = await openStore(env);
      try {
        for (const [i, [text, names, says]] of rest.entries()) {
          const refused = await loadFixtureFile(store, loadConfig(env), all, tenant.tenant.id, file(`bad-${i + 1}.yaml`, text)).then(
            () => '',
            (error: Error) => error.message,
          );
          expect(refused, text).toContain(names);
          expect(refused, text).toContain(says);
        }
        const tenants = await listTenants(store, new Date());
        expect(tenants.find((t) => t.id === tenant.tenant.id)?.customers).toBe(0);
      } finally {
        await store.executor.close();
      }
    });
  }, 60_000);
});

describe('a fixture naming a number (a Bigcapital id)', () => {
  it('is checked as the load resolves it, from the number the tenant is at, not from 1', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    await withTenant(env, async (tenant, app) => {
      // A customer already: the file's crm is number 2 and books number 3 (the check took 1 and 2).
      const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
      const earlier = await app.request('/v1/customers', { method: 'POST', headers: auth, body: new URLSearchParams({ name: 'Earlier' }) });
      expect(earlier.status).toBe(200);
      const numbered = (crm: string) => `fixtures:
  - { name: crm, dialect: zenskar, params: { customer_name: CRM, external_id: ${crm} } }
  - { name: books, dialect: bigcapital, params: { customerType: business, displayName: Books } }
  - { name: shop, dialect: zenskar, params: { customer_name: Shop, external_id: "crm-\${books:id}" } }
`;
      const store = await openStore(env);
      try {
        const load = (name: string, crm: string) =>
          loadFixtureFile(store, loadConfig(env), all, tenant.tenant.id, file(name, numbered(crm)));
        // shop's external_id is crm-3, crm's: refused by the check, before anything is written
        // (before, the check passed it as crm-2 and the store refused it mid-load).
        const refused = await load('clash.yaml', 'crm-3').then(
          () => '',
          (error: Error) => error.message,
        );
        expect(refused).toBe(
          'fixture "shop".params.external_id: "crm-3" is fixture "crm"\'s external_id already; each customer\'s is its own.',
        );
        expect((await listTenants(store, new Date())).find((t) => t.id === tenant.tenant.id)?.customers).toBe(1);
        // crm-2 is no one's (before, the check refused it as shop's crm-2).
        const loaded = await load('free.yaml', 'crm-2');
        expect(loaded.customers.shop).toMatchObject({ external_id: 'crm-3' });
      } finally {
        await store.executor.close();
      }
    });
  });
});

describe.skipIf(testBackend() !== 'sqlite')('serve --fixtures and startGateway fixtures', () => {
  it('serve loads the file into the only tenant on start, and not again into a tenant that has customers; logs tail follows its requests', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    await withTenant(env, async (tenant) => {
      const key = tenant.credentials.wooshpay!.secret_key!;
      const gateway = await startGatewayProcess(env, ['--fixtures', seed]);
      try {
        const list = await fetch(`${gateway.base}/v1/customers`, { headers: { authorization: `Bearer ${key}` } });
        expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(3);
        expect(gateway.output()).toContain('loaded 3 customer(s)');

        // `logs tail` follows the server's request log, filtered by path, one JSON line each.
        const tail = spawn(
          process.execPath,
          [cli, 'logs', 'tail', '--tenant', 'seeded', '--url', gateway.base, '--path', '/v1', '--json'],
          {
            env: { ...process.env, ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let out = '';
        tail.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        try {
          const zenskar = { 'x-api-key': tenant.credentials.zenskar!.api_key!, organisation: tenant.tenant.id };
          await fetch(`${gateway.base}/zenskar/customers/missing`, { headers: zenskar });
          await expect.poll(() => out, { timeout: 30_000, interval: 200 }).toContain('"path":"/v1/customers"');
          await fetch(`${gateway.base}/v1/customers/cus_missing`, { headers: { authorization: `Bearer ${key}` } });
          await expect.poll(() => out, { timeout: 10_000, interval: 200 }).toContain('/v1/customers/cus_missing');
          const lines = out
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l) as { path: string; status: number });
          expect(lines.map((l) => [l.path, l.status])).toEqual([
            ['/v1/customers', 200],
            ['/v1/customers/cus_missing', 404],
          ]);
        } finally {
          tail.kill('SIGTERM');
        }

        // A reset through the API leaves the tenant as this start did: the file loaded again, the
        // fixtures' new answers in the reset's.
        const auth = { authorization: `Bearer ${key}` };
        const extra = await fetch(`${gateway.base}/v1/customers`, {
          method: 'POST',
          headers: auth,
          body: new URLSearchParams({ name: 'Extra' }),
        });
        expect(extra.status).toBe(200);
        const reset = await fetch(`${gateway.base}/gateway/v1/reset`, { method: 'POST', headers: auth });
        expect(reset.status).toBe(200);
        const answer = (await reset.json()) as {
          tenant: unknown;
          deleted: { customers: number };
          fixtures?: Record<string, { id: string; name: string }>;
        };
        expect(answer.deleted.customers).toBe(4);
        expect(Object.keys(answer.fixtures ?? {}).sort()).toEqual(['acme', 'books', 'jenny']);
        const after = (await (await fetch(`${gateway.base}/v1/customers`, { headers: auth })).json()) as {
          data: { id: string; name: string }[];
        };
        expect(after.data.map((c) => c.name).sort()).toEqual(['Acme', 'Acme books', 'Jenny Rosen']);
        expect(after.data.map((c) => c.id)).toContain(answer.fixtures?.jenny?.id);

        // `custgate reset` from another shell answers as the API does; it cannot know the server's
        // file, so --fixtures names it. A file it cannot read leaves the tenant as it is.
        const missing = await failure(['reset', '--tenant', 'seeded', '--fixtures', join(dirname(seed), 'missing.yaml')], env);
        expect(missing.code).not.toBe(0);
        expect(missing.stderr).toContain('missing.yaml');
        const kept = (await (await fetch(`${gateway.base}/v1/customers`, { headers: auth })).json()) as { data: unknown[] };
        expect(kept.data).toHaveLength(3);
        const shell = JSON.parse(await runCli(['reset', '--tenant', 'seeded', '--fixtures', seed, '--json'], env)) as typeof answer;
        expect(Object.keys(shell).sort()).toEqual(Object.keys(answer).sort());
        expect(shell.tenant).toEqual(answer.tenant);
        expect(answer.tenant).toEqual({ id: tenant.tenant.id, name: 'seeded' });
        expect(shell.deleted).toEqual({ customers: 3 });
        expect(Object.keys(shell.fixtures ?? {}).sort()).toEqual(['acme', 'books', 'jenny']);
        const reloaded = (await (await fetch(`${gateway.base}/v1/customers`, { headers: auth })).json()) as { data: { id: string }[] };
        expect(reloaded.data).toHaveLength(3);
        expect(reloaded.data.map((c) => c.id)).toEqual(expect.arrayContaining([shell.fixtures?.jenny?.id, shell.fixtures?.books?.id]));
      } finally {
        await gateway.stop();
      }
      // A restart on the same database does not load the file again.
      const store = await openStore(env);
      const again = await loadFixturesOnStart(store, loadConfig(env), all, seed).finally(() => store.executor.close());
      expect(again).toContain('has customers already');
    });
  }, 120_000);

  it('serve --fixtures: a reset keeps working once the database has other tenants, each reset only its own', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    await withTenant(env, async (tenant) => {
      const gateway = await startGatewayProcess(env, ['--fixtures', seed]);
      try {
        // A tenant made after the start, as `custgate tenant create` from another shell makes it.
        const other = JSON.parse(await runCli(['tenant', 'create', 'other', '--json'], env)) as CreatedTenant;
        const auth = (t: CreatedTenant) => ({ authorization: `Bearer ${t.credentials.wooshpay!.secret_key}` });
        const names = async (t: CreatedTenant) =>
          ((await (await fetch(`${gateway.base}/v1/customers`, { headers: auth(t) })).json()) as { data: { name: string }[] }).data
            .map((c) => c.name)
            .sort();
        const create = (t: CreatedTenant, name: string) =>
          fetch(`${gateway.base}/v1/customers`, { method: 'POST', headers: auth(t), body: new URLSearchParams({ name }) });
        expect((await create(tenant, 'Extra')).status).toBe(200);
        expect((await create(other, 'Other')).status).toBe(200);

        // The tenant the start loaded the file into gets it again; the other is emptied only.
        const reset = await fetch(`${gateway.base}/gateway/v1/reset`, { method: 'POST', headers: auth(tenant) });
        expect(reset.status).toBe(200);
        expect(Object.keys(((await reset.json()) as { fixtures?: object }).fixtures ?? {}).sort()).toEqual(['acme', 'books', 'jenny']);
        expect(await names(tenant)).toEqual(['Acme', 'Acme books', 'Jenny Rosen']);
        expect(await names(other)).toEqual(['Other']);
        const bare = await fetch(`${gateway.base}/gateway/v1/reset`, { method: 'POST', headers: auth(other) });
        expect(bare.status).toBe(200);
        expect(await bare.json()).toEqual({
          object: 'reset',
          tenant: { id: other.tenant.id, name: 'other' },
          deleted: { customers: 1 },
        });
        expect(await names(other)).toEqual([]);
        expect(await names(tenant)).toEqual(['Acme', 'Acme books', 'Jenny Rosen']);
      } finally {
        await gateway.stop();
      }
    });
  }, 120_000);

  // `fixtures load` asks for --allow-production there; `serve --fixtures` loaded the file anyway
  // (the server started, three made-up customers written into the production store).
  it('serve --fixtures is refused with NODE_ENV=production, in one line and exit 1, writing nothing, unless --allow-production says so', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    await withTenant(env, async (tenant) => {
      const production = { ...env, NODE_ENV: 'production' };
      await refusedInProduction(
        ['serve', '--no-demo', '-H', '127.0.0.1', '-p', '0', '--fixtures', seed],
        production,
        'serve --fixtures is a development option',
      );
      const store = await openStore(env);
      try {
        expect(await store.countCustomers(tenant.tenant.id)).toBe(0);
        const gateway = await startGatewayProcess(production, ['--fixtures', seed, '--allow-production']);
        try {
          expect(gateway.output()).toContain('loaded 3 customer(s)');
        } finally {
          await gateway.stop();
        }
        expect(await store.countCustomers(tenant.tenant.id)).toBe(3);
      } finally {
        await store.executor.close();
      }
    });
  }, 120_000);

  it('startGateway creates each tenant with its fixtures and hands back their answers', async () => {
    const gateway = await startGateway({
      tenants: { shop: { fixtures: { fixtures: [{ name: 'jenny', dialect: 'meteroid', params: { name: 'Jenny', currency: 'EUR' } }] } } },
    });
    try {
      const jenny = gateway.fixtures.shop?.jenny as { id: string; name: string };
      expect(jenny.name).toBe('Jenny');
      const res = await fetch(`${gateway.url}/api/v1/customers/${jenny.id}`, {
        headers: { authorization: `Bearer ${gateway.tenants.shop?.credentials.meteroid?.api_key}` },
      });
      expect(((await res.json()) as { name: string }).name).toBe('Jenny');
    } finally {
      await gateway.stop();
    }
  });

  it('gateway.reset() leaves the tenant as a fresh start would: its fixtures loaded again, their new answers handed back', async () => {
    const gateway = await startGateway({ tenants: { shop: { fixtures: seed }, bare: {} } });
    try {
      const auth = { authorization: `Bearer ${gateway.tenants.shop?.credentials.wooshpay?.secret_key}` };
      const names = async () =>
        ((await (await fetch(`${gateway.url}/v1/customers?limit=100`, { headers: auth })).json()) as { data: { name: string }[] }).data
          .map((c) => c.name)
          .sort();
      const fresh = await names();
      expect(fresh).toEqual(['Acme', 'Acme books', 'Jenny Rosen']);
      const before = gateway.fixtures.shop?.jenny as { id: string };
      const post = (path: string, body: string) =>
        fetch(`${gateway.url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body });
      expect((await post('/v1/customers', 'name=Extra')).status).toBe(200);
      expect((await post(`/v1/customers/${before.id}`, 'name=Renamed')).status).toBe(200);

      await gateway.reset();
      expect(await names()).toEqual(fresh);
      const jenny = gateway.fixtures.shop?.jenny as { id: string; name: string };
      const read = await fetch(`${gateway.url}/v1/customers/${jenny.id}`, { headers: auth });
      expect(((await read.json()) as { name: string }).name).toBe('Jenny Rosen');
      // The other fixtures' references were resolved again, against the new answers.
      const acme = gateway.fixtures.shop?.acme as { custom_data: { contact: string } };
      expect(acme.custom_data.contact).toBe(jenny.id);
      expect(gateway.fixtures.bare).toBeUndefined();

      // Through the API, as gateway.reset(): the fixtures again, their answers in the reset's.
      expect((await post('/v1/customers', 'name=Extra')).status).toBe(200);
      const reset = await fetch(`${gateway.url}/gateway/v1/reset`, { method: 'POST', headers: auth });
      const answer = (await reset.json()) as { fixtures?: Record<string, { id: string }> };
      expect(reset.status).toBe(200);
      expect(await names()).toEqual(fresh);
      expect(answer.fixtures?.jenny?.id).toBe((gateway.fixtures.shop?.jenny as { id: string } | undefined)?.id);
      expect(answer.fixtures?.jenny?.id).not.toBe(jenny.id);
    } finally {
      await gateway.stop();
    }
  });
});
