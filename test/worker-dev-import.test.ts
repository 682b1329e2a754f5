import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedTenant } from '../src/gateway/tenants.ts';
import { stripeLikePage } from './support/stripe-like-pages.ts';
import { type DevServer, localD1Tenant, startWranglerDev, wrangler } from './support/wrangler.ts';

// An import started over HTTP on a real `wrangler dev`, as docs/workers.md has a team run it: the
// upstream added over the gateway API, the import started by POST, then carried on by the local
// cron trigger. Each of those is a request of its own, which the workerd tests (one test, one
// request context) cannot show: the import's stop signal, an AbortSignal made by whichever request
// built the isolate's gateway, made every later start a 500 and failed the import on the cron.

const PAGES = 7;
const PER_PAGE = 2;

/** A Stripe-like provider of PAGES pages of PER_PAGE customers; anything else is a 404. */
function provider(): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://provider');
    res.setHeader('content-type', 'application/json');
    if (req.method !== 'GET' || url.pathname !== '/v1/customers') {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such customer' } }));
      return;
    }
    res.end(JSON.stringify(stripeLikePage(url.searchParams, PAGES, PER_PAGE)));
  });
}

const probe = await wrangler(['--version'], 60_000);
const cannotRun = probe.code !== 0;
if (cannotRun) console.warn(`Skipping wrangler dev tests: wrangler cannot start here.\n${probe.output}`);

describe.skipIf(cannotRun)('an import over HTTP on wrangler dev', () => {
  const state = mkdtempSync(join(tmpdir(), 'custgate-wrangler-import-'));
  const upstream = provider();
  let server: DevServer | undefined;
  let tenant: CreatedTenant;

  beforeAll(async () => {
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    tenant = JSON.parse(await localD1Tenant(state, 'importer')) as CreatedTenant;
    server = await startWranglerDev(state);
  }, 300_000);

  afterAll(async () => {
    await server?.stop();
    upstream.close();
    rmSync(state, { recursive: true, force: true });
  });

  it('starts with 202 in a later request than the one that built the gateway, and the cron finishes it', async () => {
    const { url, output } = server!;
    const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    const json = { ...auth, 'content-type': 'application/json' };
    // This request builds the isolate's gateway; every call below is another request.
    const added = await fetch(`${url}/gateway/v1/upstreams`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        dialect: 'wooshpay',
        base_url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        mode: 'mirror',
        credentials: { secret_key: 'sk_test_provider' },
      }),
    });
    expect(added.status, output()).toBe(201);
    const path = `${url}/gateway/v1/upstreams/${((await added.json()) as { id: string }).id}/import`;

    const started = await fetch(path, { method: 'POST', headers: auth });
    expect(started.status, `${await started.clone().text()}\n${output()}`).toBe(202);
    expect(await started.json()).toMatchObject({ state: 'running', pages: 0 });

    type Progress = { state: string; pages: number; seen: number; imported: number; held: boolean; error?: string };
    const progress = async () => (await (await fetch(path, { headers: auth })).json()) as Progress;
    // The request's waitUntil reads a few pages (pagesPerRun, 5) and lets go of the job.
    let now = await progress();
    for (let i = 0; i < 150 && now.held; i++) {
      await new Promise((r) => setTimeout(r, 200));
      now = await progress();
    }
    expect(now).toMatchObject({ state: 'running', pages: 5, held: false });

    // The rest on the cron trigger, run as docs/workers.md says to run it locally.
    const ran = await fetch(`${url}/cdn-cgi/handler/scheduled`);
    expect(ran.status, output()).toBe(200);
    await ran.text();
    expect(await progress()).toMatchObject({ state: 'done', pages: PAGES, seen: PAGES * PER_PAGE, imported: PAGES * PER_PAGE });
  }, 400_000);
});
