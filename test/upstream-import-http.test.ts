import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialectNames, dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { openStore } from '../src/entries/node.ts';
import { type CreatedTenant, createApp, createTenant, type GatewayApp, addUpstream, reissueCredentials } from './support/registered.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { cli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';
import { type Provider, startProvider, switchableProxy } from './support/upstream.ts';

// #27 over HTTP: POST /gateway/v1/upstreams/{id}/import starts the import `custgate upstream
// import` runs, in the serving process's background, against a second custgate holding a book;
// GET of the same path shows its progress; a second start while it runs is a 409. A provider that
// throttles (429 with Retry-After) is waited for, and nothing is stored twice.
// GET …/reconciliation answers what `custgate upstream reconcile --json` prints.

const BOOK = 120;

let provider: Provider;
let store: Store;
let env: Record<string, string>;
let app: GatewayApp;
const remote: string[] = [];

beforeAll(async () => {
  provider = await startProvider();
  env = { ...testDatabaseEnv(), ...testEnv };
  store = await openStore(env);
  app = createApp({ store, config: loadConfig(env), logger: { error: () => undefined } });
  const key = { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}`, 'content-type': 'application/json' };
  for (let i = 0; i < BOOK; i++) {
    const res = await fetch(`${provider.baseUrl('wooshpay')}/v1/customers`, {
      method: 'POST',
      headers: key,
      body: JSON.stringify({ name: `Held ${i}`, email: `held${i}@example.com` }),
    });
    expect(res.status).toBe(200);
    remote.push(((await res.json()) as { id: string }).id);
  }
}, 120_000);

afterAll(async () => {
  // Lets a background import still running finish its page before the store closes.
  await new Promise((r) => setTimeout(r, 200));
  await store?.executor.close();
  await provider?.process.stop();
});

async function tenantWith(
  name: string,
  baseUrl: string,
  dialect: DialectName = 'wooshpay',
): Promise<{ created: CreatedTenant; upstreamId: string; auth: Record<string, string> }> {
  const config = loadConfig(env);
  const created = await createTenant(store, config, name);
  const upstream = await addUpstream(store, keyringFor(config, store.upstreams), created.tenant.id, {
    dialect,
    baseUrl,
    mode: 'mirror',
    credentials: provider.credentials[dialect],
  });
  return { created, upstreamId: upstream.id, auth: { authorization: `Bearer ${created.credentials.wooshpay!.secret_key}` } };
}

interface JobView {
  upstream: string;
  state: string;
  pages: number;
  seen: number;
  imported: number;
  error?: string;
  livemode: boolean;
}

async function finished(path: string, auth: Record<string, string>): Promise<JobView> {
  for (let i = 0; i < 600; i++) {
    const res = await app.request(path, { headers: auth });
    expect(res.status).toBe(200);
    const view = (await res.json()) as JobView;
    if (view.state !== 'running') return view;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${path} still running`);
}

describe('POST /gateway/v1/upstreams/{id}/import', () => {
  it('starts the import in the background, refuses a second start while it runs, and shows its progress', async () => {
    const { created, upstreamId, auth } = await tenantWith('import-http', provider.baseUrl('wooshpay'));
    const path = `/gateway/v1/upstreams/${upstreamId}/import`;
    const none = await app.request(path, { headers: auth });
    expect(none.status).toBe(404);

    // Slow enough (100 customers a second) to be running still when asked again.
    const started = await app.request(path, jsonInit('POST', { rate: 100 }, auth));
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(path);
    expect(await started.json()).toMatchObject({ upstream: upstreamId, state: 'running', pages: 0, seen: 0, livemode: false });

    const again = await app.request(path, jsonInit('POST', {}, auth));
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('running already'),
    });

    // Another tenant sees no such upstream, and cannot start it.
    const other = {
      authorization: `Bearer ${(await createTenant(store, loadConfig(env), 'import-http-other')).credentials.wooshpay!.secret_key}`,
    };
    expect((await app.request(path, { headers: other })).status).toBe(404);
    expect((await app.request(path, jsonInit('POST', {}, other))).status).toBe(404);

    const done = await finished(path, auth);
    expect(done).toMatchObject({ state: 'done', pages: 2, seen: BOOK, imported: BOOK });
    expect(done.error).toBeUndefined();
    const tenantId = created.tenant.id;
    expect(await store.countCustomers(tenantId)).toBe(BOOK);
    expect(await store.upstreams.linkCount(tenantId, upstreamId)).toBe(BOOK);

    // Started again once done: the whole list is walked, and nothing is stored twice.
    expect((await app.request(path, { method: 'POST', headers: auth })).status).toBe(202);
    expect(await finished(path, auth)).toMatchObject({ state: 'done', seen: BOOK, imported: 0 });
    expect(await store.countCustomers(tenantId)).toBe(BOOK);
  }, 120_000);

  it('started again as soon as GET shows it done: the last checkpoint seen before the job has left is not a 409', async () => {
    const { upstreamId, auth } = await tenantWith('import-http-again', provider.baseUrl('wooshpay'));
    const path = `/gateway/v1/upstreams/${upstreamId}/import`;
    // The final checkpoint is readable before the job that wrote it has finished (on SQLite the
    // writer thread's commit is seen by the reader before its answer is back): held open here.
    const imports = store.imports as { save: typeof store.imports.save };
    const save = imports.save;
    let held = 0;
    imports.save = async (...args: Parameters<typeof save>) => {
      // Counted before the save: its commit is readable (GET says done) before the save returns.
      const done = args[0].state === 'done';
      if (done) held++;
      const saved = await save.apply(store.imports, args);
      if (done) await new Promise((r) => setTimeout(r, 500));
      return saved;
    };
    try {
      expect((await app.request(path, { method: 'POST', headers: auth })).status).toBe(202);
      expect(await finished(path, auth)).toMatchObject({ state: 'done', seen: BOOK });
      const again = await app.request(path, { method: 'POST', headers: auth });
      expect(again.status, await again.clone().text()).toBe(202);
      expect(await finished(path, auth)).toMatchObject({ state: 'done', seen: BOOK, imported: 0 });
      expect(held).toBe(2);
    } finally {
      imports.save = save;
    }
  }, 120_000);

  it('bad input: an unknown upstream is a 404, a bad rate a 400, and neither starts anything', async () => {
    const { created, upstreamId, auth } = await tenantWith('import-http-bad', provider.baseUrl('wooshpay'));
    const unknown = await app.request('/gateway/v1/upstreams/ups_nope/import', jsonInit('POST', {}, auth));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain('ups_nope');
    // JSON null too: before, it was read as no parameters and the import started.
    // A rate under 0.01 a second: its wait between customers passed Node's longest timer, which then
    // waits 1 ms (1e-7 ran at full speed), or held the claim for weeks.
    for (const body of [{ rate: -1 }, { rate: 'fast' }, { speed: 3 }, [1], null, { rate: 1e-7 }, { rate: 0.009 }]) {
      const res = await app.request(`/gateway/v1/upstreams/${upstreamId}/import`, jsonInit('POST', body, auth));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
    }
    expect(await store.imports.find(created.tenant.id, upstreamId)).toBeUndefined();
  });
});

// The same job from each provider's list (its own pagination: cursors, page numbers), from the
// registry: the book the provider's one tenant holds, every customer stored once and linked.
describe.each(dialectNames.filter((d) => d !== 'wooshpay'))('POST …/import from %s', (dialect) => {
  it('imports the whole book in the background', async () => {
    const { created, upstreamId, auth } = await tenantWith(`import-http-${dialect}`, provider.baseUrl(dialect), dialect);
    const path = `/gateway/v1/upstreams/${upstreamId}/import`;
    expect((await app.request(path, { method: 'POST', headers: auth })).status).toBe(202);
    expect(await finished(path, auth)).toMatchObject({ state: 'done', seen: BOOK, imported: BOOK });
    expect(await store.countCustomers(created.tenant.id)).toBe(BOOK);
    expect(await store.upstreams.linkCount(created.tenant.id, upstreamId)).toBe(BOOK);
  }, 120_000);
});

/** A forwarder to the provider that answers the list's first request with 429 and `Retry-After: 1`. */
async function throttling(target: string) {
  const lists: number[] = [];
  let throttled = false;
  const server: Server = createServer(async (req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/v1/customers?')) {
      lists.push(Date.now());
      if (!throttled) {
        throttled = true;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ error: { type: 'rate_limit_error', message: 'Too many requests.' } }));
        return;
      }
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host'),
    );
    const answer = await fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, lists, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

it('a provider answering 429 with Retry-After is waited for, then read on; nothing is stored twice', async () => {
  const forwarder = await throttling(provider.baseUrl('wooshpay'));
  try {
    const { created, upstreamId, auth } = await tenantWith('import-http-throttled', forwarder.url);
    const path = `/gateway/v1/upstreams/${upstreamId}/import`;
    expect((await app.request(path, { method: 'POST', headers: auth })).status).toBe(202);
    expect(await finished(path, auth)).toMatchObject({ state: 'done', pages: 2, seen: BOOK, imported: BOOK });
    // The throttled request, its retry, and the second page: the retry came after the asked second.
    expect(forwarder.lists).toHaveLength(3);
    expect(forwarder.lists[1]! - forwarder.lists[0]!).toBeGreaterThanOrEqual(950);
    expect(await store.countCustomers(created.tenant.id)).toBe(BOOK);
    expect(await store.upstreams.linkCount(created.tenant.id, upstreamId)).toBe(BOOK);
  } finally {
    await forwarder.close();
  }
}, 120_000);

describe('GET /gateway/v1/upstreams/{id}/reconciliation', () => {
  it('answers what `custgate upstream reconcile --json` prints, planted differences and nothing else', async () => {
    const { created, upstreamId, auth } = await tenantWith('reconcile-http', provider.baseUrl('wooshpay'));
    const tenantId = created.tenant.id;
    const importPath = `/gateway/v1/upstreams/${upstreamId}/import`;
    expect((await app.request(importPath, { method: 'POST', headers: auth })).status).toBe(202);
    expect(await finished(importPath, auth)).toMatchObject({ state: 'done', imported: BOOK });

    const path = `/gateway/v1/upstreams/${upstreamId}/reconciliation`;
    const clean = await app.request(path, { headers: auth });
    expect(clean.status).toBe(200);
    const first = (await clean.json()) as { clean: boolean; counts: Record<string, number>; ids: [string, string][] };
    expect(first).toMatchObject({ clean: true, counts: { local: BOOK, upstream: BOOK, linked: BOOK, differing: 0 } });
    expect(first.ids.map(([, u]) => u).sort()).toEqual([...remote].sort());

    // Planted: a customer only here, a name changed only at the provider (restored afterwards:
    // the book is shared by this file's tests).
    const local = await app.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Only here' }, auth));
    expect(local.status).toBe(200);
    const key = { authorization: `Bearer ${provider.credentials.wooshpay.secret_key}`, 'content-type': 'application/json' };
    const rename = (name: string) =>
      fetch(`${provider.baseUrl('wooshpay')}/v1/customers/${remote[7]}`, { method: 'POST', headers: key, body: JSON.stringify({ name }) });
    expect((await rename('Renamed there')).status).toBe(200);
    try {
      const found = await app.request(path, { headers: auth });
      expect(found.status).toBe(200);
      const report = (await found.json()) as Record<string, unknown> & { counts: Record<string, number> };
      expect(report).toMatchObject({ clean: false, missing_local: [] });
      expect(report.counts).toEqual({
        local: BOOK + 1,
        upstream: BOOK,
        linked: BOOK,
        missing_upstream: 1,
        missing_local: 0,
        differing: 1,
        refused: 0,
      });
      expect(report.differences).toEqual([
        { customer: expect.any(String), upstream_id: remote[7], fields: [{ field: 'name', local: 'Held 7', upstream: 'Renamed there' }] },
      ]);

      // The CLI's JSON: the same report (but its time).
      const printed = await promisify(execFile)(process.execPath, [cli, 'upstream', 'reconcile', tenantId, upstreamId, '--json'], {
        env: { ...process.env, ...env },
      }).then(
        () => {
          throw new Error('reconcile exited 0 with differences');
        },
        (e: { code: number; stdout: string }) => e,
      );
      expect(printed.code).toBe(1);
      const { at: _a, ...fromCli } = JSON.parse(printed.stdout) as Record<string, unknown>;
      const { at: _b, ...fromHttp } = report;
      expect(fromHttp).toEqual(fromCli);
    } finally {
      await rename('Held 7');
    }

    const unknown = await app.request('/gateway/v1/upstreams/ups_nope/reconciliation', { headers: auth });
    expect(unknown.status).toBe(404);
  }, 120_000);
});

it('an import that stored customers for the live keys is resumed for them only: a test key is refused, not given the rest', async () => {
  // The provider refuses the list's second page (a 401) until the test lets it through.
  let refusing = true;
  let secondPage = false;
  const forwarder = await switchableProxy(provider.baseUrl('wooshpay'), {
    before: async (url) => {
      secondPage = url.includes('starting_after=');
    },
    refuse: () =>
      refusing && secondPage
        ? { status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' } } }
        : undefined,
  });
  try {
    const { created, upstreamId, auth } = await tenantWith('import-http-live', forwarder.url);
    const live = await reissueCredentials(store, loadConfig(env), created.tenant, dialects.wooshpay, { livemode: true });
    const liveAuth = { authorization: `Bearer ${live.secret_key}` };
    const path = `/gateway/v1/upstreams/${upstreamId}/import`;
    expect((await app.request(path, { method: 'POST', headers: liveAuth })).status).toBe(202);
    const stopped = await finished(path, liveAuth);
    expect(stopped).toMatchObject({ state: 'failed', pages: 1, imported: 100, livemode: true });

    refusing = false;
    // A test key of a live tenant starts no import (it would read the provider's live book as its own).
    const byTest = await app.request(path, { method: 'POST', headers: auth });
    expect(byTest.status).toBe(403);
    expect(((await byTest.json()) as { error: { message: string } }).error.message).toContain('Use a live key');
    expect(await finished(path, auth)).toMatchObject({ state: 'failed', pages: 1, livemode: true });

    expect((await app.request(path, { method: 'POST', headers: liveAuth })).status).toBe(202);
    expect(await finished(path, liveAuth)).toMatchObject({ state: 'done', pages: 2, seen: BOOK, imported: BOOK, livemode: true });
    // The whole book is the live keys': a live list holds every customer, a test list none.
    const total = async (headers: Record<string, string>) =>
      ((await (await app.request('/zenskar/customers?limit=1', { headers })).json()) as { total: number }).total;
    const zenskar = fixturesOf(dialects.zenskar);
    const liveZenskar = await reissueCredentials(store, loadConfig(env), created.tenant, dialects.zenskar, { livemode: true });
    expect(await total(zenskar.auth(liveZenskar))).toBe(BOOK);
    expect(await total(zenskar.auth(created.credentials.zenskar!))).toBe(0);
  } finally {
    await forwarder.close();
  }
}, 120_000);
