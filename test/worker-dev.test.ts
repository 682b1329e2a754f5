import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTenant } from '../src/gateway/tenants.ts';
import { type DevServer, runNode, startWranglerDev, wrangler } from './support/wrangler.ts';

// The edge path end to end, as a user runs it: D1 migrations applied locally, a tenant written
// with `custgate tenant create --d1`, the worker served by `wrangler dev`, and the data still there
// after wrangler dev restarts on the same persisted local D1.

const probe = await wrangler(['--version'], 60_000);
const cannotRun = probe.code !== 0;
if (cannotRun) console.warn(`Skipping wrangler dev tests: wrangler cannot start here.\n${probe.output}`);

describe.skipIf(cannotRun)('wrangler dev with a persisted local D1', () => {
  const state = mkdtempSync(join(tmpdir(), 'custgate-wrangler-'));
  const servers: DevServer[] = [];
  let tenant: CreatedTenant;

  beforeAll(async () => {
    const migrated = await wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state]);
    expect(migrated.code, migrated.output).toBe(0);
    const created = await runNode(
      ['bin/custgate.js', 'tenant', 'create', "O'Brien & Co", '--json', '--d1', 'custgate', '--local', '--persist-to', state],
      { timeoutMs: 120_000 },
    );
    expect(created.code, created.output).toBe(0);
    tenant = JSON.parse(created.output.trim().split('\n').at(-1)!) as CreatedTenant;
  }, 300_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(state, { recursive: true, force: true });
  });

  async function serve(): Promise<DevServer> {
    const server = await startWranglerDev(state);
    servers.push(server);
    return server;
  }

  it('serves a tenant made by `custgate tenant create --d1`, and keeps its customers across a restart', async () => {
    const key = tenant.credentials.wooshpay?.secret_key;
    expect(key).toMatch(/^sk_test_/);
    const auth = { authorization: `Bearer ${key}` };

    const first = await serve();
    const created = await fetch(`${first.url}/v1/customers`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Edge+Customer&email=edge%40example.com&metadata[plan]=pro',
    });
    expect(created.status, first.output()).toBe(200);
    const customer = (await created.json()) as { id: string; name: string };
    expect(customer.name).toBe('Edge Customer');
    await first.stop();

    const second = await serve();
    const read = await fetch(`${second.url}/v1/customers/${customer.id}`, { headers: auth });
    expect(read.status, second.output()).toBe(200);
    expect(await read.json()).toEqual(customer);
    const refused = await fetch(`${second.url}/v1/customers/${customer.id}`, { headers: { authorization: 'Bearer sk_test_nope' } });
    expect(refused.status).toBe(401);
  }, 400_000);
});
