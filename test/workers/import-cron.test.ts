import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createTenant, addUpstream } from '../support/registered.ts';
import { keyringFor } from '../../src/upstream/secrets.ts';
import worker from '../../src/entries/worker.ts';
import { testStore } from '../support/store.ts';
import { stripeLikePage } from '../support/stripe-like-pages.ts';
import { checkpointFrom, type StartedBy } from '../../src/upstream/import.ts';

// src/entries/worker.ts as deployed: POST /gateway/v1/upstreams/{id}/import answers 202 and reads
// a few pages of the provider's list inside the request's waitUntil; each cron run reads a few
// more, until the list ends. The provider is a Stripe-like list of 12 pages of 3 customers,
// answered by the isolate's fetch (workerd cannot start a second custgate process).

const PAGES = 12;
const PER_PAGE = 3;
const listRequests: string[] = [];

function stripeLikeList(input: RequestInfo | URL): Response {
  const url = new URL(input instanceof Request ? input.url : String(input));
  listRequests.push(url.search);
  return Response.json(stripeLikePage(url.searchParams, PAGES, PER_PAGE));
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('an import started over HTTP on Workers', () => {
  it('reads a few pages in waitUntil, then a few on each cron run, until the list ends', async () => {
    vi.stubGlobal('fetch', async (input: RequestInfo | URL) => stripeLikeList(input));
    const store = await testStore();
    const config = loadConfig({ NODE_ENV: 'test' });
    const tenant = await createTenant(store, config, 'edge-import');
    const upstream = await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
      dialect: 'wooshpay',
      baseUrl: 'https://provider.example',
      mode: 'mirror',
      credentials: { secret_key: 'sk_test_edge' },
    });
    const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
    const path = `https://custgate.test/gateway/v1/upstreams/${upstream.id}/import`;

    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request(path, { method: 'POST', headers: auth }), env, ctx);
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ upstream: upstream.id, state: 'running', pages: 0 });
    await waitOnExecutionContext(ctx);
    const progress = async () => {
      const r = await worker.fetch(new Request(path, { headers: auth }), env, createExecutionContext());
      expect(r.status).toBe(200);
      return (await r.json()) as { state: string; pages: number; seen: number; imported: number; held: boolean };
    };
    // Between runs it is not finished, and held by no one until the next run (or start) carries it on.
    expect(await progress()).toMatchObject({ state: 'running', pages: 5, seen: 5 * PER_PAGE, held: false, held_until: null });

    // Between runs nobody holds it (each run releases it at its page limit), so another start
    // resumes it where it stopped rather than beginning again: nothing is asked twice.
    const resumed = createExecutionContext();
    const again = await worker.fetch(new Request(path, { method: 'POST', headers: auth }), env, resumed);
    expect(again.status).toBe(202);
    expect(await again.json()).toMatchObject({ state: 'running', pages: 5 });
    await waitOnExecutionContext(resumed);
    expect(await progress()).toMatchObject({ state: 'running', pages: 10 });

    await worker.scheduled({ scheduledTime: Date.now() }, env);
    expect(await progress()).toMatchObject({ state: 'done', pages: PAGES, seen: PAGES * PER_PAGE, imported: PAGES * PER_PAGE });
    // Each page asked once; every customer stored once, linked.
    expect(listRequests).toHaveLength(PAGES);
    expect(await store.countCustomers(tenant.tenant.id)).toBe(PAGES * PER_PAGE);
    expect(await store.upstreams.linkCount(tenant.tenant.id, upstream.id)).toBe(PAGES * PER_PAGE);

    // A cron run with nothing running reads nothing.
    await worker.scheduled({ scheduledTime: Date.now() }, env);
    expect(listRequests).toHaveLength(PAGES);
  });

  it('carries on imports started over HTTP (and from before origins were kept), not one the CLI started', async () => {
    // A CLI import's ^C means stop: the Node server's sweep leaves it, and so does the cron now.
    // Before, the cron advanced every running import, the CLI's too.
    const asked: string[] = [];
    vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
      asked.push(new URL(input instanceof Request ? input.url : String(input)).host);
      return stripeLikeList(input);
    });
    const store = await testStore();
    const config = loadConfig({ NODE_ENV: 'test' });
    /** A running import nobody holds (its claim lapsed), started as `started` says. */
    const stopped = async (name: string, started: StartedBy) => {
      const tenant = await createTenant(store, config, name);
      const upstream = await addUpstream(store, keyringFor(config, store.upstreams), tenant.tenant.id, {
        dialect: 'wooshpay',
        baseUrl: `https://${name}.example`,
        mode: 'mirror',
        credentials: { secret_key: 'sk_test_edge' },
      });
      const row = (await store.upstreams.find(tenant.tenant.id, upstream.id))!;
      const at = new Date(Date.now() - 3600_000);
      const checkpoint = {
        ...checkpointFrom(undefined, row, false, at, 'report', started),
        lease_owner: 'isolate:gone',
        lease_until: at.toISOString(),
      };
      expect(await store.imports.claim(checkpoint, undefined, at.toISOString())).toBe(true);
      const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
      const view = async () => {
        const r = await worker.fetch(
          new Request(`https://custgate.test/gateway/v1/upstreams/${upstream.id}/import`, { headers: auth }),
          env,
          createExecutionContext(),
        );
        expect(r.status).toBe(200);
        return r.json();
      };
      return { checkpoint, view, tenantId: tenant.tenant.id, upstreamId: upstream.id };
    };
    const cli = await stopped('cli-started', { rate: null, origin: 'cli' });
    const http = await stopped('http-started', { rate: null, origin: 'http' });
    const older = await stopped('before-origins', { rate: null, origin: null });

    await worker.scheduled({ scheduledTime: Date.now() }, env);
    expect(asked).not.toContain('cli-started.example');
    expect(await store.imports.find(cli.tenantId, cli.upstreamId)).toEqual(cli.checkpoint);
    expect(await cli.view()).toMatchObject({ state: 'running', pages: 0, held: false });
    expect(await store.countCustomers(cli.tenantId)).toBe(0);
    // The others read their next pages (five a run).
    expect(await http.view()).toMatchObject({ state: 'running', pages: 5, seen: 5 * PER_PAGE });
    expect(await older.view()).toMatchObject({ state: 'running', pages: 5, seen: 5 * PER_PAGE });
  });
});
