import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTenant } from '../src/gateway/tenants.ts';
import { type DevServer, localD1Tenant, repoRoot, startWranglerDev, wrangler } from './support/wrangler.ts';

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
    tenant = JSON.parse(await localD1Tenant(state, "O'Brien & Co")) as CreatedTenant;
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

  it('runs the cron trigger as docs/workers.md says to locally: a webhook delivery that failed is sent again', async () => {
    // wrangler dev never fires the cron by itself, so retries wait for whoever runs the documented command.
    const doc = readFileSync(join(repoRoot, 'docs/workers.md'), 'utf8');
    const trigger = /curl\s+"?http:\/\/localhost:8787(\/[^\s"`]+)/.exec(doc)?.[1];
    expect(trigger, 'docs/workers.md names the local cron trigger').toBeDefined();

    let answer = 503;
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = answer;
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const server = await serve();
      const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
      const made = await fetch(`${server.url}/gateway/v1/webhook_endpoints`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`, format: 'stripe' }),
      });
      expect(made.status, server.output()).toBe(201);
      const endpoint = (await made.json()) as { id: string };
      const attempts = async () => {
        const res = await fetch(`${server.url}/gateway/v1/webhook_endpoints/${endpoint.id}/attempts`, { headers: auth });
        return ((await res.json()) as { data: { status: number | null }[] }).data.map((a) => a.status);
      };
      const written = await fetch(`${server.url}/v1/customers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=Retried',
      });
      expect(written.status).toBe(200);
      // The write's own attempt (in waitUntil) is answered 503.
      for (let i = 0; i < 100 && (await attempts()).length === 0; i++) await new Promise((r) => setTimeout(r, 200));
      expect(await attempts()).toEqual([503]);

      answer = 200;
      // Its retry is due after the backoff; each documented trigger runs the cron once.
      for (let i = 0; i < 100 && (await attempts()).length === 1; i++) {
        const ran = await fetch(`${server.url}${trigger}`);
        expect(ran.status, server.output()).toBe(200);
        await ran.text();
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(await attempts()).toEqual([200, 503]);
    } finally {
      receiver.close();
    }
  }, 400_000);
});
