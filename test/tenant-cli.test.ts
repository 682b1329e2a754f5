import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { testEnv } from './support/gateway.ts';
import { cli, runCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';

// The tenant lifecycle through the real CLI, on the database a gateway then serves from.

const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_KEY_CACHE_TTL_MS: '0' };
const json = async <T>(args: string[]): Promise<T> => JSON.parse(await runCli([...args, '--json'], env)) as T;

let store: Store;
let app: ReturnType<typeof createApp>;
let exported: Record<string, string>;

const wooshpayRead = (key: string) => app.request('/v1/customers/cus_none', { headers: { authorization: `Bearer ${key}` } });

beforeAll(async () => {
  // `tenant create --env` is what every documentation snippet starts from: eval it in a shell.
  const { stdout } = await promisify(execFile)('bash', ['-c', `eval "$("${process.execPath}" "${cli}" tenant create demo --env)" && env`], {
    env: { ...process.env, ...env },
  });
  exported = Object.fromEntries(stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  await runCli(['tenant', 'create', 'acme', '--json'], env);
  store = await openStore(env);
  app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined } });
}, 120_000);
afterAll(() => store?.executor.close());

describe('tenant create --env, tenant list', () => {
  it('exports the base URL, the tenant and every credential as shell variables', () => {
    expect(exported.CUSTGATE_URL).toBe('http://localhost:8787');
    expect(exported.CUSTGATE_TENANT_ID).toMatch(/^[0-9a-f-]{36}$/);
    expect(exported.WOOSHPAY_SECRET_KEY).toMatch(/^sk_test_/);
    expect(exported.METEROID_API_KEY).toMatch(/^pv_test_/);
    expect(exported.BIGCAPITAL_API_KEY).toMatch(/^bc_/);
    expect(exported.BIGCAPITAL_ORGANIZATION_ID).toBe(exported.CUSTGATE_TENANT_ID);
    expect(exported.CONNHEX_TOKEN).toMatch(/^ey/);
    expect(exported.ZENSKAR_API_KEY).toMatch(/^zsk_/);
  });

  it('lists both tenants with their active credentials', async () => {
    const tenants = await json<{ id: string; name: string; customers: number; active_credentials: number }[]>(['tenant', 'list']);
    expect(tenants.map((t) => t.name)).toEqual(['demo', 'acme']);
    expect(tenants[0]).toMatchObject({ id: exported.CUSTGATE_TENANT_ID, customers: 0, active_credentials: 4 });
  }, 60_000);
});

describe('credentials rotate and revoke', () => {
  it('rotate with a grace period: both keys work until it ends; revoke ends the new one at once', async () => {
    const old = exported.WOOSHPAY_SECRET_KEY!;
    expect((await wooshpayRead(old)).status).toBe(404);
    const rotated = await json<{ credentials: { secret_key: string }; revoked: string[]; revoked_at: string }>([
      'credentials',
      'rotate',
      'demo',
      '--dialect',
      'wooshpay',
      '--grace',
      '1h',
    ]);
    expect(rotated.credentials.secret_key).toMatch(/^sk_test_/);
    expect(rotated.revoked).toHaveLength(1);
    expect(Date.parse(rotated.revoked_at) - Date.now()).toBeGreaterThan(3500_000);
    expect((await wooshpayRead(old)).status).toBe(404);
    expect((await wooshpayRead(rotated.credentials.secret_key)).status).toBe(404);

    const listed = await json<{ id: string; revoked_at: string | null; prefix: string }[]>([
      'credentials',
      'list',
      'demo',
      '--dialect',
      'wooshpay',
    ]);
    expect(listed).toHaveLength(2);
    expect(JSON.stringify(listed)).not.toContain(rotated.credentials.secret_key);
    const fresh = listed.find((c) => c.revoked_at === null)!;
    expect(await json(['credentials', 'revoke', 'demo', '--id', fresh.id])).toMatchObject({ revoked: 1 });
    expect((await wooshpayRead(rotated.credentials.secret_key)).status).toBe(401);
    expect((await wooshpayRead(old)).status).toBe(404);
  }, 60_000);

  it('rotate without grace: the old key stops at once', async () => {
    const old = exported.METEROID_API_KEY!;
    const read = (key: string) => app.request('/meteroid/api/v1/customers/nope', { headers: { authorization: `Bearer ${key}` } });
    expect((await read(old)).status).toBe(404);
    const rotated = await json<{ credentials: { api_key: string } }>([
      'credentials',
      'rotate',
      exported.CUSTGATE_TENANT_ID!,
      '--dialect',
      'meteroid',
    ]);
    expect((await read(old)).status).toBe(401);
    expect((await read(rotated.credentials.api_key)).status).toBe(404);
  }, 60_000);
});

describe('token mint', () => {
  it('a Connhex token with only the read permission reads and may not update', async () => {
    const { token } = await json<{ token: string }>([
      'token',
      'mint',
      'acme',
      '--dialect',
      'connhex',
      '--permissions',
      'pay:customers:get',
      '--ttl',
      '10m',
    ]);
    const [, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { exp: number; iat: number; permissions: string[] };
    expect(claims.exp - claims.iat).toBe(600);
    expect(claims.permissions).toEqual(['pay:customers:get']);
    const headers = { authorization: `Bearer ${token}` };
    expect((await app.request('/connhex/customers/cus_none', { headers })).status).toBe(404);
    const update = await app.request('/connhex/customers/cus_none', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(update.status).toBe(403);
  }, 60_000);

  it('refuses what a dialect cannot mint, with one line and a non-zero exit', async () => {
    await expect(runCli(['token', 'mint', 'acme', '--dialect', 'wooshpay'], env)).rejects.toMatchObject({
      stderr: 'custgate: wooshpay does not authenticate with tokens\n',
    });
    await expect(runCli(['token', 'mint', 'nobody', '--dialect', 'connhex'], env)).rejects.toMatchObject({
      stderr: expect.stringContaining('no tenant with the id or name "nobody"'),
    });
  }, 60_000);
});
