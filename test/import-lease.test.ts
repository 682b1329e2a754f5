import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import type { Store } from '../src/store/index.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { failingCli, startGatewayProcess } from './support/processes.ts';
import { createApp, type GatewayApp } from './support/registered.ts';
import { testDatabaseEnv } from './support/store.ts';
import { importingTenant, type Provider, startProvider, switchableProxy } from './support/upstream.ts';

// #27: an import runs in one place at a time across processes. Two gateways on one database
// racing a start: exactly one runs, the other answers 409, and the CLI started meanwhile exits
// non-zero saying so. A gateway process stopped with SIGTERM finishes its current page, checkpoints
// and releases the import, so the next start (another gateway) resumes it at once, not after the
// lease lapses; every customer ends up stored once.

const BOOK = 120;

let provider: Provider;
let env: Record<string, string>;
let storeA: Store;
let storeB: Store;
let appA: GatewayApp;
let appB: GatewayApp;

beforeAll(async () => {
  provider = await startProvider();
  env = { ...testDatabaseEnv(), ...testEnv };
  // Two gateways over one database, each with its own connection (as two processes have).
  storeA = await openStore(env);
  storeB = await openStore(env);
  const config = loadConfig(env);
  appA = createApp({ store: storeA, config, logger: { error: () => undefined } });
  appB = createApp({ store: storeB, config, logger: { error: () => undefined } });
  const key = { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}`, 'content-type': 'application/json' };
  for (let i = 0; i < BOOK; i++) {
    const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers`, {
      method: 'POST',
      headers: key,
      body: JSON.stringify({ name: `Leased ${i}`, email: `leased${i}@example.com` }),
    });
    expect(res.status).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await storeA?.executor.close();
  await storeB?.executor.close();
  await provider?.process.stop();
});

const tenantWith = (name: string, baseUrl = provider.baseUrl('wooshpay')) => importingTenant(storeA, env, provider, name, baseUrl);

interface JobView {
  state: string;
  pages: number;
  seen: number;
  imported: number;
}

async function view(app: GatewayApp, path: string, auth: Record<string, string>): Promise<JobView> {
  const res = await app.request(path, { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as JobView;
}

async function until(app: GatewayApp, path: string, auth: Record<string, string>, done: (v: JobView) => boolean): Promise<JobView> {
  for (let i = 0; i < 1200; i++) {
    const v = await view(app, path, auth);
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} never reached the state waited for`);
}

it('two gateways on one database racing a start: exactly one runs, the other gets 409, the CLI exits non-zero', async () => {
  // The provider's list is held until the others have tried: the import runs (claimed) all along.
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const proxy = await switchableProxy(provider.baseUrl('wooshpay'), {
    before: (url) => (url.startsWith('/v1/customers?') ? held : Promise.resolve()),
  });
  try {
    const { tenantId, upstreamId, auth, path } = await tenantWith('lease-race', proxy.url);
    const answers = await Promise.all([appA.request(path, jsonInit('POST', {}, auth)), appB.request(path, jsonInit('POST', {}, auth))]);
    expect(answers.map((r) => r.status).sort()).toEqual([202, 409]);
    const refused = answers.find((r) => r.status === 409)!;
    expect(((await refused.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('running already'),
    });

    const cli = await failingCli(['upstream', 'import', tenantId, upstreamId, '--json'], env);
    expect(cli, 'the CLI import ran beside the running one').toBeDefined();
    expect(cli!.code).not.toBe(0);
    expect(cli!.stderr).toContain('running already');

    release();
    const done = await until(appA, path, auth, (v) => v.state !== 'running');
    expect(done).toMatchObject({ state: 'done', pages: 2, seen: BOOK, imported: BOOK });
    expect(await storeA.countCustomers(tenantId)).toBe(BOOK);
    expect(await storeA.upstreams.linkCount(tenantId, upstreamId)).toBe(BOOK);
  } finally {
    release();
    await proxy.close();
  }
}, 120_000);

it('SIGTERM stops a gateway process after its current page and releases the import: the next start resumes at once', async () => {
  // The signal goes once the first page is being read: sent earlier (the job's row is there before
  // its first page is asked for), the import stops with no page to finish, as it should.
  let listed = () => {};
  const reading = new Promise<void>((resolve) => {
    listed = resolve;
  });
  const proxy = await switchableProxy(provider.baseUrl('wooshpay'), {
    before: (url) => {
      if (url.startsWith('/v1/customers?')) listed();
      return Promise.resolve();
    },
  });
  onTestFinished(() => proxy.close());
  const { tenantId, upstreamId, auth, path } = await tenantWith('lease-sigterm', proxy.url);
  const gateway = await startGatewayProcess(env);
  try {
    // 40 customers a second: the first page of 100 takes about 2.5 s, the shutdown bound is 10 s.
    const started = await fetch(`${gateway.base}${path}`, jsonInit('POST', { rate: 40 }, auth));
    expect(started.status).toBe(202);
    await reading;
    gateway.child.kill('SIGTERM');
    await new Promise<void>((resolve) => (gateway.child.exitCode !== null ? resolve() : gateway.child.once('exit', () => resolve())));
    expect(gateway.child.exitCode).toBe(0);
  } finally {
    await gateway.stop();
  }
  // Checkpointed after the page it was on, still to finish, held by no one.
  const row = await storeA.imports.find(tenantId, upstreamId);
  expect(row).toMatchObject({ state: 'running', pages: 1, seen: 100, imported: 100, lease_owner: null, lease_until: null });

  const again = await appB.request(path, { method: 'POST', headers: auth });
  expect(again.status).toBe(202);
  const done = await until(appB, path, auth, (v) => v.state !== 'running');
  expect(done).toMatchObject({ state: 'done', pages: 2, seen: BOOK, imported: BOOK });
  expect(await storeA.countCustomers(tenantId)).toBe(BOOK);
  expect(await storeA.upstreams.linkCount(tenantId, upstreamId)).toBe(BOOK);
}, 120_000);
