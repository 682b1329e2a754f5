import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { createTenant, createApp } from './support/registered.ts';
import { listTenants } from '../src/store/tenant-admin.ts';
import { testEnv } from './support/gateway.ts';
import { cli, failingCli, freePort, runCli } from './support/processes.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// What a newcomer trips on at the command line, through the real CLI and a real `serve` process.

// Which stream says what, and option checks, do not depend on the store: run once, on SQLite.
describe.skipIf(testBackend() !== 'sqlite')('serve: JSON logs on stdout, the human text on stderr', () => {
  it('prints the banner, the demo credentials and the curl lines on stderr; stdout carries only log lines, no secret', async () => {
    const port = await freePort();
    const env = { PATH: process.env.PATH ?? '', ...testEnv, ...testDatabaseEnv() };
    const child = spawn(process.execPath, [cli, 'serve', '-H', '127.0.0.1', '-p', String(port)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    try {
      await expect.poll(() => err, { timeout: 60_000, interval: 100 }).toContain('curl -s');
      expect(err).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
      expect(err).toContain('Created the demo tenant "demo"');
      const key = /"secret_key": "(sk_test_[A-Za-z0-9]+)"/.exec(err)?.[1];
      expect(key).toBeDefined();
      const res = await fetch(`http://127.0.0.1:${port}/v1/customers/cus_missing`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(404);
      await expect.poll(() => out, { timeout: 10_000, interval: 100 }).toContain('"event":"request"');
      const lines = out.split('\n').filter((line) => line !== '');
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      expect(out).not.toContain('sk_test_');
      expect(out).not.toContain('listening on');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    expect(err).toMatch(/drained in \d+ ms; stopped/);
  }, 90_000);
});

describe.skipIf(testBackend() !== 'sqlite')('tenant create without --json or --env', () => {
  it('names the tenant it made, not a demo tenant, with its credentials and a curl line per dialect', async () => {
    const out = await runCli(['tenant', 'create', 'billing-svc'], { ...testEnv, ...testDatabaseEnv() });
    expect(out).toMatch(/^Created the tenant "billing-svc" \([0-9a-f-]{36}\)\. Its credentials, shown once:$/m);
    expect(out).not.toContain('demo');
    expect(out).toContain('curl -s http://localhost:');
  });
});

describe.skipIf(testBackend() !== 'sqlite')('token mint --ttl and --permissions', () => {
  it('refuses a lifetime of 0 (expired when issued) and a --permissions naming none', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    const store = await openStore(env);
    await createTenant(store, loadConfig(env), 'acme').finally(() => store.executor.close());
    const failed = await failingCli(['token', 'mint', 'acme', '--dialect', 'connhex', '--ttl', '0'], env);
    expect(failed?.code).not.toBe(0);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toContain('at least 1 second');
    // An empty --permissions (an unset shell variable) minted a token that could do nothing, exit 0.
    const none = await failingCli(['token', 'mint', 'acme', '--dialect', 'connhex', '--permissions', ' , '], env);
    expect(none?.code).toBe(1);
    expect(none?.stdout).toBe('');
    expect(none?.stderr.trim()).toBe(
      'custgate: --permissions names no permission: give patterns such as pay:customers:get, or leave it out',
    );
    const minted = JSON.parse(await runCli(['token', 'mint', 'acme', '--dialect', 'connhex', '--ttl', '1m', '--json'], env)) as {
      token: string;
    };
    expect(minted.token).toMatch(/^ey/);
  }, 60_000);
});

describe('tenant create with known credentials', () => {
  const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_KEY_CACHE_TTL_MS: '0' };
  const organisation = 'b4b1e1a4-3f5c-4c8e-9d6a-2f0e8c7a1b23';
  const keys = {
    wooshpay: 'sk_test_ServiceTestConfig0001',
    meteroid: 'pv_test_ServiceTestConfig0001',
    zenskar: 'zenskar-key-from-the-service-config',
  };
  const refused = (args: string[], extra: Record<string, string> = {}) =>
    promisify(execFile)(process.execPath, [cli, 'tenant', 'create', ...args], { env: { ...process.env, ...env, ...extra } }).then(
      () => '',
      (error: { stderr: string }) => error.stderr,
    );

  it('the given keys and organisation authenticate through the HTTP surface; bad, reused or production keys are refused, writing nothing; reset empties the tenant', async () => {
    const given = ['--wooshpay-key', keys.wooshpay, '--meteroid-key', keys.meteroid, '--zenskar-key', keys.zenskar];
    const created = JSON.parse(await runCli(['tenant', 'create', 'svc', ...given, '--organisation', organisation, '--json'], env)) as {
      tenant: { id: string };
      credentials: Record<string, Record<string, string>>;
    };
    expect(created.tenant.id).toBe(organisation);
    expect(created.credentials.wooshpay?.secret_key).toBe(keys.wooshpay);
    expect(created.credentials.zenskar).toEqual({ api_key: keys.zenskar, organisation });
    expect(created.credentials.bigcapital?.organization_id).toBe(organisation);

    const store = await openStore(env);
    try {
      const app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined } });
      const made = await app.request('/v1/customers', {
        method: 'POST',
        headers: { authorization: `Basic ${btoa(`${keys.wooshpay}:`)}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=Known+Keys',
      });
      expect(made.status).toBe(200);
      const { id } = (await made.json()) as { id: string };
      const viaMeteroid = await app.request(`/api/v1/customers/${id}`, { headers: { authorization: `Bearer ${keys.meteroid}` } });
      expect(((await viaMeteroid.json()) as { name: string }).name).toBe('Known Keys');
      const viaZenskar = await app.request('/zenskar/customers', {
        method: 'POST',
        headers: { 'x-api-key': keys.zenskar, organisation, 'content-type': 'application/json' },
        body: JSON.stringify({ customer_name: 'Also known' }),
      });
      expect(viaZenskar.status).toBe(200);
      // The same checks without a process each: every refusal writes nothing.
      const config = loadConfig(env);
      const attempt = (keys: Record<string, string>, livemode = false) =>
        createTenant(store, config, 'refused', { livemode, given: { keys } }).then(
          () => '',
          (error: Error) => error.message,
        );
      expect(await attempt({ wooshpay: 'not-a-stripe-key' })).toContain('does not have the shape wooshpay keys have');
      expect(await attempt({ wooshpay: 'sk_live_ServiceTestConfig0002' })).toContain('add --live');
      expect(await attempt({ meteroid: 'pv_test_ServiceTestConfig0002' }, true)).toContain('drop --live');
      expect(await attempt({ meteroid: keys.meteroid })).toContain('already in use');
      expect(await refused(['prod', '--wooshpay-key', 'sk_test_ServiceTestConfig0003'], { NODE_ENV: 'production' })).toContain(
        '--allow-given-keys',
      );
      expect((await listTenants(store, new Date())).map((t) => t.name)).toEqual(['svc']);

      // `custgate reset` empties the tenant; its given keys keep working.
      const reset = JSON.parse(await runCli(['reset', '--tenant', 'svc', '--json'], env)) as { deleted: { customers: number } };
      expect(reset.deleted.customers).toBe(2);
      expect((await app.request(`/api/v1/customers/${id}`, { headers: { authorization: `Bearer ${keys.meteroid}` } })).status).toBe(404);
    } finally {
      await store.executor.close();
    }
  }, 120_000);
});

describe.skipIf(testBackend() !== 'sqlite')('logs tail --interval', () => {
  it('refuses an interval that is not a number of milliseconds, rather than polling at some other rate', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    const store = await openStore(env);
    await createTenant(store, loadConfig(env), 'tailer').finally(() => store.executor.close());
    for (const interval of ['abc', '50']) {
      const failed = await failingCli(['logs', 'tail', '--tenant', 'tailer', '--url', 'http://127.0.0.1:9', '--interval', interval], env);
      expect(failed?.code, interval).toBe(1);
      expect(failed?.stderr, interval).toContain('not a number of milliseconds, 100 or more');
    }
  }, 60_000);
});
