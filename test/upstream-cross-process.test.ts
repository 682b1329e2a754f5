import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { jsonInit } from './support/gateway.ts';
import { addUpstreamByCli, type GatewayProcess, runCli, startGatewayProcess } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// A server process keeps each tenant's upstreams (opened, decrypted) between writes and checks
// them with one point read (src/upstream/tenant-upstreams.ts). Changed by another process — the
// CLI, here — the very next write through the running server follows the change: no restart, no
// cache lifetime to wait out.

let provider: Provider;
let gateway: GatewayProcess;
let env: Record<string, string>;
let tenant: { tenant: { id: string }; credentials: Record<string, IssuedCredentials> };

beforeAll(async () => {
  provider = await startProvider();
  env = { NODE_ENV: 'test', ...testDatabaseEnv() };
  tenant = JSON.parse(await runCli(['tenant', 'create', 'cross-process', '--json'], env));
  gateway = await startGatewayProcess(env);
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await provider?.process.stop();
});

const auth = () => ({ authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` });

async function create(name: string): Promise<string> {
  const res = await fetch(`${gateway.base}/wooshpay/v1/customers`, jsonInit('POST', { name }, auth()));
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

/** The names of the provider's customers (a second custgate playing Wooshpay). */
async function atProvider(): Promise<string[]> {
  const headers = { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}` };
  const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers?limit=100`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { name: string | null }[] }).data.map((c) => c.name ?? '');
}

describe('upstreams changed by another process while the server runs', () => {
  it('a proxy upstream the CLI adds takes the next write; once the CLI removes it, the next write stays local', async () => {
    // Served (and its tenant's upstreams kept) before any upstream exists.
    await create('Before the upstream');
    expect(await atProvider()).not.toContain('Before the upstream');

    const added = await addUpstreamByCli(env, tenant.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: provider.baseUrl('wooshpay'),
      mode: 'proxy',
      credentials: provider.credentials.wooshpay,
    });
    await create('Through the proxy');
    expect(await atProvider()).toContain('Through the proxy');

    // Made a mirror: the local store is the system of record again, and the write is recorded for
    // delivery, which the server sends after answering.
    await runCli(['upstream', 'mode', tenant.tenant.id, added.id, 'mirror'], env);
    await create('Delivered to the mirror');
    const until = Date.now() + 20_000;
    while (!(await atProvider()).includes('Delivered to the mirror') && Date.now() < until) await sleep(200);
    expect(await atProvider()).toContain('Delivered to the mirror');

    await runCli(['upstream', 'remove', tenant.tenant.id, added.id], env);
    await create('After the removal');
    expect(await atProvider()).not.toContain('After the removal');
  }, 120_000);
});
