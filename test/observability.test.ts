import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { createApp, type CreatedTenant, createTenant } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import type { AccessEntry } from '../src/http/access.ts';
import { GatewayMetrics } from '../src/metrics.ts';
import { Store } from '../src/store/index.ts';
import { observedExecutor } from '../src/store/observed.ts';
import { probeAuth, testEnv } from './support/gateway.ts';
import { type GatewayProcess, startGatewayProcess } from './support/processes.ts';
import { testDatabaseEnv, testStore } from './support/store.ts';

const all = Object.values(dialects) as AnyDialect[];
const stripeLike = new Set(['wooshpay', 'connhex']);

async function observedGateway() {
  const base = await testStore();
  const metrics = new GatewayMetrics({ processMetrics: false });
  const store = new Store(observedExecutor(base.executor, metrics.storeError));
  const config = loadConfig(testEnv);
  const entries: AccessEntry[] = [];
  const errors: unknown[] = [];
  const app = createApp({
    store,
    config,
    logger: { error: (event, fields) => errors.push({ event, ...fields }), access: (entry) => entries.push(entry) },
    observers: [metrics.observe],
    metrics,
  });
  const tenant = await createTenant(store, config, 'acme');
  return { app, store, metrics, entries, errors, tenant };
}

describe('request ids and access entries', () => {
  let g: Awaited<ReturnType<typeof observedGateway>>;
  beforeAll(async () => {
    g = await observedGateway();
  });

  const create = (dialect: AnyDialect, tenant: CreatedTenant, headers: Record<string, string> = {}) =>
    g.app.request(`${dialect.routes.prefix}${dialect.routes.collection}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...fixturesOf(dialect).auth(tenant.credentials[dialect.name]!), ...headers },
      body: JSON.stringify(fixturesOf(dialect).create),
    });

  it.each(all.map((d) => [d.name, d] as const))("%s: the dialect's request-id header, and one access entry", async (_name, dialect) => {
    const res = await create(dialect, g.tenant);
    expect(res.status).toBe(dialect.wire.createdStatus);
    const header = stripeLike.has(dialect.name) ? 'request-id' : 'x-request-id';
    const id = res.headers.get(header);
    expect(id).toMatch(/^req_[A-Za-z0-9]{14}$/);
    const entry = g.entries.find((e) => e.request_id === id);
    expect(entry).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      request_id: id,
      tenant: g.tenant.tenant.id,
      dialect: dialect.name,
      method: 'POST',
      route: `${dialect.routes.prefix}${dialect.routes.collection}`,
      status: dialect.wire.createdStatus,
      duration_ms: expect.any(Number),
    });
  });

  it('honours an incoming X-Request-Id, and replaces one that is not a plain token', async () => {
    const wooshpay = dialects.wooshpay as AnyDialect;
    const honoured = await create(wooshpay, g.tenant, { 'x-request-id': 'lb-7f3a.42' });
    expect(honoured.headers.get('request-id')).toBe('lb-7f3a.42');
    const replaced = await create(wooshpay, g.tenant, { 'x-request-id': 'a b<script>' });
    expect(replaced.headers.get('request-id')).toMatch(/^req_/);
  });

  it('errors carry the id too, and log no credential, body or query', async () => {
    const wooshpay = dialects.wooshpay as AnyDialect;
    const secret = g.tenant.credentials.wooshpay!.secret_key!;
    const refused = await g.app.request('/v1/customers/cus_missing?email=secret%40example.com', {
      headers: { authorization: `Bearer ${secret}x` },
    });
    expect(refused.status).toBe(401);
    const id = refused.headers.get('request-id');
    expect(g.entries.find((e) => e.request_id === id)).toMatchObject({
      tenant: null,
      dialect: 'wooshpay',
      status: 401,
      route: '/v1/customers/:id',
    });
    await create(wooshpay, g.tenant);
    const logged = JSON.stringify(g.entries);
    expect(logged).not.toContain(secret.slice(8, 30));
    expect(logged).not.toContain('jenny.rosen');
    expect(logged).not.toContain('secret%40example.com');
    const missing = await g.app.request('/no/such/route');
    expect(missing.headers.get('x-request-id')).toMatch(/^req_/);
    expect(g.entries.at(-1)).toMatchObject({ dialect: 'none', route: 'unmatched', status: 404 });
  });
});

describe('readiness, health and metrics', () => {
  it('ready and health ping the database: 200 while it answers, 503 once it cannot', async () => {
    const g = await observedGateway();
    expect(await (await g.app.request('/gateway/v1/ready')).json()).toEqual({ ready: true });
    const health = await g.app.request('/gateway/v1/health', { headers: probeAuth });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'ok' });

    const before = await (await g.app.request('/metrics', { headers: probeAuth })).text();
    expect(before).toMatch(/^custgate_store_errors_total 0$/m);
    await g.store.executor.close();
    const ready = await g.app.request('/gateway/v1/ready');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, database: 'unreachable' });
    const down = await g.app.request('/gateway/v1/health', { headers: probeAuth });
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ status: 'degraded', database: 'unreachable' });
    const after = await (await g.app.request('/metrics', { headers: probeAuth })).text();
    expect(after).toMatch(/^custgate_store_errors_total 2$/m);
  });

  it('/metrics: requests by dialect, route and status, and a latency histogram, in Prometheus text', async () => {
    const g = await observedGateway();
    const meteroid = dialects.meteroid as AnyDialect;
    const auth = fixturesOf(meteroid).auth(g.tenant.credentials.meteroid!);
    for (let i = 0; i < 3; i++) await g.app.request('/meteroid/api/v1/customers/nope', { headers: auth });
    const res = await g.app.request('/metrics', { headers: probeAuth });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('custgate_http_requests_total{dialect="meteroid",route="/meteroid/api/v1/customers/:id",status="404"} 3');
    expect(text).toContain('custgate_http_request_duration_seconds_count{dialect="meteroid",route="/meteroid/api/v1/customers/:id"} 3');
    expect(text).toMatch(/custgate_http_request_duration_seconds_bucket\{le="0\.005",dialect="meteroid"/);
  });

  it('a gauge hook reads its value at scrape time (outbox depth, later)', async () => {
    const metrics = new GatewayMetrics({ processMetrics: false });
    let depth = 4;
    metrics.gauge('custgate_test_depth', 'a depth', () => depth);
    expect((await metrics.render()).body).toMatch(/^custgate_test_depth 4$/m);
    depth = 9;
    expect((await metrics.render()).body).toMatch(/^custgate_test_depth 9$/m);
  });

  it('readiness and up/down need no credentials; /metrics and the detailed health need the probe token', async () => {
    const g = await observedGateway();
    await g.app.request('/v1/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${g.tenant.credentials.wooshpay!.secret_key}` },
    });
    expect((await g.app.request('/gateway/v1/ready')).status).toBe(200);
    const anonymous = await g.app.request('/gateway/v1/health');
    expect(await anonymous.json()).toEqual({ status: 'ok' });
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-token-0123456789abcdef' },
      { authorization: probeAuth.authorization.slice(0, -1) },
    ]) {
      const metrics = await g.app.request('/metrics', { headers });
      expect(metrics.status).toBe(401);
      expect(await metrics.text()).not.toContain('custgate_http_requests_total');
      expect(await (await g.app.request('/gateway/v1/health', { headers })).json()).toEqual({ status: 'ok' });
    }
    // A tenant's API key is not the probe token.
    const tenantKey = { authorization: `Bearer ${g.tenant.credentials.wooshpay!.secret_key}` };
    expect((await g.app.request('/metrics', { headers: tenantKey })).status).toBe(401);
    expect((await g.app.request('/metrics', { headers: probeAuth })).status).toBe(200);
    // The scheme's case is the sender's (RFC 9110 §11.1): `bearer` was a 401 and the health said nothing.
    const lower = { authorization: probeAuth.authorization.replace(/^Bearer/, 'bearer') };
    expect((await g.app.request('/metrics', { headers: lower })).status).toBe(200);
    expect(await (await g.app.request('/gateway/v1/health', { headers: lower })).json()).toMatchObject({ database: 'ok' });
    expect((await g.app.request('/gateway/v1/customers/x')).status).toBe(401);
  });

  it('without CUSTGATE_PROBE_TOKEN neither /metrics nor the detail is served to anyone', async () => {
    const store = await testStore();
    const metrics = new GatewayMetrics({ processMetrics: false });
    const app = createApp({ store, config: loadConfig({ NODE_ENV: 'test' }), logger: { error: () => undefined }, metrics });
    for (const headers of [{}, probeAuth, { authorization: 'Bearer ' }]) {
      const res = await app.request('/metrics', { headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('CUSTGATE_PROBE_TOKEN');
      expect(await (await app.request('/gateway/v1/health', { headers })).json()).toEqual({ status: 'ok' });
    }
  });
});

describe('the Node server logs JSON lines (pino) on stdout', () => {
  let gateway: GatewayProcess;
  beforeAll(async () => {
    gateway = await startGatewayProcess({ ...testEnv, ...testDatabaseEnv() });
  }, 120_000);
  afterAll(() => gateway?.stop());

  // `custgate serve` hands startNode metrics of its own, and the gauges were registered only on
  // metrics startNode made: the server docs/operations.md describes scraped none of them.
  it('/metrics of `custgate serve` has the outbox and webhook gauges', async () => {
    const body = await (await fetch(`${gateway.base}/metrics`, { headers: probeAuth })).text();
    for (const gauge of [
      'custgate_outbox_pending',
      'custgate_outbox_dead',
      'custgate_webhook_pending',
      'custgate_webhook_endpoints_disabled',
    ]) {
      expect(body).toMatch(new RegExp(`^${gauge} 0$`, 'm'));
    }
  });

  it('one line per request, with the request id the client got', async () => {
    const res = await fetch(`${gateway.base}/gateway/v1/ready`, { headers: { 'x-request-id': 'probe-1' } });
    expect(res.headers.get('x-request-id')).toBe('probe-1');
    await expect.poll(() => gateway.output(), { timeout: 5000 }).toContain('"request_id":"probe-1"');
    const line = gateway
      .output()
      .split('\n')
      .find((l) => l.includes('"request_id":"probe-1"'))!;
    expect(JSON.parse(line)).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      event: 'request',
      request_id: 'probe-1',
      tenant: null,
      dialect: 'gateway',
      method: 'GET',
      route: '/gateway/v1/ready',
      status: 200,
      duration_ms: expect.any(Number),
    });
  });
});
