import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { createApp, createTenant } from './support/registered.ts';
import { openStore } from '../src/open-store.ts';
import { insertSimulateRule } from '../src/store/simulate-rules.ts';
import { listTenants } from '../src/store/tenant-admin.ts';
import { testEnv, type TestGateway, testGateway } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { type SdkGateway, startSdkGateway } from './support/stripe-sdk.ts';
import { testDatabaseEnv, testStore } from './support/store.ts';

// A tenant's simulate rules (`custgate simulate …`, /gateway/v1/simulate) for clients that cannot
// send the Custgate-Simulate header: through the real app, the CLI against a running server, and
// the official Stripe SDK retrying a rule-made 503.

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});
afterAll(() => gw?.store.executor.close());

const all = Object.values(dialects) as AnyDialect[];
const wooshpayAuth = (g: TestGateway, which: 'tenant' | 'other' = 'tenant') => ({
  authorization: `Bearer ${g[which].credentials.wooshpay?.secret_key}`,
});

const rules = (g: TestGateway, init: { method?: string; body?: unknown; path?: string; which?: 'tenant' | 'other' } = {}) =>
  g.request(`/gateway/v1/simulate${init.path ?? ''}`, {
    method: init.method ?? (init.body ? 'POST' : 'GET'),
    headers: { 'content-type': 'application/json', ...wooshpayAuth(g, init.which) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });

const create = (g: TestGateway, dialect: AnyDialect) =>
  g.request(`${dialect.routes.prefix}${dialect.routes.collection}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...fixturesOf(dialect).auth(g.tenant.credentials[dialect.name] ?? {}),
      ...(dialect.name === 'bigcapital' ? { 'organization-id': g.tenant.tenant.id } : {}),
    },
    body: JSON.stringify(fixturesOf(dialect).create),
  });

const customers = async (g: TestGateway) =>
  (await listTenants(g.store, new Date())).find((t) => t.id === g.tenant.tenant.id)?.customers ?? 0;

describe.each(all.map((d) => [d.name, d] as const))('%s', (_name, dialect) => {
  it('--every 3rd --status 500: every third matching request fails in the provider envelope, and writes nothing', async () => {
    const added = await rules(gw, { body: { status: '500', path: dialect.routes.prefix, method: 'post', every: '3rd' } });
    expect(added.status).toBe(201);
    const rule = (await added.json()) as { id: string; status: string; every: number; method: string };
    expect(rule).toMatchObject({ object: 'simulate_rule', status: 'status=500', every: 3, method: 'POST' });
    try {
      const before = await customers(gw);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await create(gw, dialect);
        statuses.push(res.status);
        if (res.status === 500) expect(v.safeParse(dialect.wire.openapi.errorResponse, await res.json()).success).toBe(true);
      }
      const ok = dialect.wire.createdStatus;
      expect(statuses).toEqual([ok, ok, 500, ok, ok, 500]);
      expect(await customers(gw)).toBe(before + 4);
    } finally {
      expect((await rules(gw, { method: 'DELETE', path: `/${rule.id}` })).status).toBe(200);
    }
    expect((await create(gw, dialect)).status).toBe(dialect.wire.createdStatus);
  });
});

describe('simulate rules through /gateway/v1/simulate', () => {
  it('a status rule answers that status: Zenskar, whose FastAPI answers a body of another media type 422, answers a 415 rule 415', async () => {
    const added = await rules(gw, { body: { status: '415', path: '/zenskar', times: 1 } });
    expect(added.status).toBe(201);
    const res = await create(gw, dialects.zenskar);
    expect(res.status).toBe(415);
    expect(v.safeParse(dialects.zenskar.wire.openapi.errorResponse, await res.json()).success).toBe(true);
    expect((await rules(gw, { method: 'DELETE', path: `/${((await added.json()) as { id: string }).id}` })).status).toBe(200);
  });

  it("are the tenant's own: listed for it, invisible to and not removable by another tenant, and never applied to it", async () => {
    const added = (await (await rules(gw, { body: { status: 'rate_limit', path: '/v1/*', times: 1 } })).json()) as { id: string };
    const other = await gw.request('/v1/customers', {
      method: 'POST',
      headers: wooshpayAuth(gw, 'other'),
      body: new URLSearchParams({ name: 'O' }),
    });
    expect(other.status).toBe(200);
    expect(((await (await rules(gw, { which: 'other' })).json()) as { data: unknown[] }).data).toEqual([]);
    expect((await rules(gw, { method: 'DELETE', path: `/${added.id}`, which: 'other' })).status).toBe(404);
    const listed = (await (await rules(gw)).json()) as { data: { id: string; times: number }[] };
    expect(listed.data).toEqual([expect.objectContaining({ id: added.id, times: 1, path: '/v1/*' })]);
    // --times 1: the first matching request gets a 429 with Retry-After, the next goes through.
    const first = await gw.request('/v1/customers', {
      method: 'POST',
      headers: wooshpayAuth(gw),
      body: new URLSearchParams({ name: 'A' }),
    });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(((await first.json()) as { error: { type: string } }).error.type).toBeTruthy();
    const second = await gw.request('/v1/customers', {
      method: 'POST',
      headers: wooshpayAuth(gw),
      body: new URLSearchParams({ name: 'B' }),
    });
    expect(second.status).toBe(200);
    expect((await rules(gw, { method: 'DELETE', path: `/${added.id}` })).status).toBe(200);
  });

  it('card_declined fails the Stripe-like dialects as the provider would; the others go through', async () => {
    const added = (await (await rules(gw, { body: { status: 'card_declined' } })).json()) as { id: string };
    try {
      const declined = await create(gw, dialects.wooshpay);
      expect(declined.status).toBe(402);
      expect(await declined.json()).toMatchObject({ error: { type: 'card_error', code: 'card_declined' } });
      expect((await create(gw, dialects.zenskar)).status).toBe(dialects.zenskar.wire.createdStatus);
    } finally {
      await rules(gw, { method: 'DELETE', path: `/${added.id}` });
    }
  });

  it('a glob path matches as a glob, and one of many stars does not hold the process on a long path', async () => {
    const auth = wooshpayAuth(gw);
    const stars = `/wooshpay/${'*a'.repeat(12)}*b`;
    const cases: [string, string, number][] = [
      ['/wooshpay/v1/*/cus_glob*', '/wooshpay/v1/customers/cus_glob0000000000', 503],
      ['/wooshpay/v1/*/cus_glob*', '/wooshpay/v1/customers/cus_other000000000', 404],
      ['/wooshpay/*s/*x', '/wooshpay/v1/customers/cus_x', 503],
      ['/wooshpay/*s/*x', '/wooshpay/v1/customers/cus_y', 404],
      // Before: a RegExp of `.*`s, which backtracked for minutes on the first path below.
      [stars, `/wooshpay/v1/customers/${'a'.repeat(60)}`, 404],
      [stars, `/wooshpay/v1/customers/${'a'.repeat(12)}b`, 503],
    ];
    for (const [path, request, status] of cases) {
      const added = (await (await rules(gw, { body: { status: '503', path, method: 'GET' } })).json()) as { id: string };
      try {
        expect((await gw.request(request, { headers: auth })).status, `${path} ${request}`).toBe(status);
      } finally {
        await rules(gw, { method: 'DELETE', path: `/${added.id}` });
      }
    }
  }, 30_000);

  it('a rule that cannot work is a 400 that says what a rule takes; nothing is stored', async () => {
    for (const body of [
      { status: '999' },
      { status: '500', every: 'often' },
      { status: '500', every: 2, times: 2 },
      { status: 'latency:x' },
    ]) {
      const res = await rules(gw, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/status|every|times|latency/);
    }
    expect(((await (await rules(gw)).json()) as { data: unknown[] }).data).toEqual([]);
  });

  it('a method no dialect route takes (a typo) is a 400 naming the methods, not a rule that never fires', async () => {
    // Before: any three to seven letters were stored, and the rule matched no request at all.
    for (const method of ['POTS', 'FETCH', 'OPTIONS']) {
      const res = await rules(gw, { body: { status: '503', method } });
      expect(res.status, method).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
        `method ${method}: one of GET, HEAD, POST, PUT, PATCH, DELETE`,
      );
    }
    expect(((await (await rules(gw)).json()) as { data: unknown[] }).data).toEqual([]);
    // A method in any case is the method.
    const added = (await (await rules(gw, { body: { status: '503', method: 'patch' } })).json()) as { id: string; method: string };
    expect(added.method).toBe('PATCH');
    expect((await rules(gw, { method: 'DELETE', path: `/${added.id}` })).status).toBe(200);
  });

  it('a body that is not a rule says plainly what is wrong, naming the member; nothing is stored', async () => {
    const refusal = async (body: unknown) => {
      const res = await rules(gw, { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      return ((await res.json()) as { error: { message: string; issues?: { path: string[] }[] } }).error;
    };
    // An array was read as an object whose `every` was Array.prototype.every: "received Function".
    expect((await refusal([1])).message).toBe('A rule is a JSON object: {"status": "503", "path": "/v1/customers", "times": 1}.');
    expect(await refusal({ status: '500', evrey: 3 })).toMatchObject({
      message: 'Unknown parameter: evrey; this call takes status, path, method, every, times.',
      issues: [{ path: ['evrey'] }],
    });
    expect(await refusal({ path: '/v1/customers' })).toMatchObject({ issues: [{ path: ['status'] }] });
    expect(await refusal({ status: '500', path: 7 })).toMatchObject({ issues: [{ path: ['path'] }] });
    // 418 is a 4xx code: the refusal names the codes there are.
    expect((await refusal({ status: '418' })).message).toContain('one of the status codes 400, 401, 403, 404, 409');
    // A number is a status as its text is.
    const added = await rules(gw, { body: { status: 503, times: 1 } });
    expect(await added.json()).toMatchObject({ status: 'status=503', times: 1 });
    const rule = ((await (await rules(gw)).json()) as { data: { id: string }[] }).data[0]!;
    expect((await rules(gw, { method: 'DELETE', path: `/${rule.id}` })).status).toBe(200);
    expect(((await (await rules(gw)).json()) as { data: unknown[] }).data).toEqual([]);
  });

  it('with NODE_ENV=production: the API answers 403, and a stored rule is ignored and logged', async () => {
    const store = await testStore();
    const logged: { event: string; fields: Readonly<Record<string, unknown>> }[] = [];
    const config = loadConfig({ ...testEnv, NODE_ENV: 'production' });
    const app = createApp({ store, config, logger: { error: (event, fields) => logged.push({ event, fields }) } });
    const tenant = await createTenant(store, config, 'prod');
    const auth = { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}` };
    const refused = await app.request('/gateway/v1/simulate', { method: 'POST', headers: auth, body: JSON.stringify({ status: '503' }) });
    expect(refused.status).toBe(403);
    await insertSimulateRule(store, {
      id: 'sim_prod',
      tenant_id: tenant.tenant.id,
      path: null,
      method: null,
      simulate: 'status=503',
      every: null,
      times: null,
      created_at: new Date().toISOString(),
    });
    const ids: (string | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await app.request('/v1/customers', { method: 'POST', headers: auth, body: new URLSearchParams({ name: 'Real' }) });
      expect(res.status).toBe(200);
      ids.push(res.headers.get('request-id'));
    }
    // Logged once per rule, with the id of the first request that met it.
    expect(ids[0]).toBeTruthy();
    expect(logged).toEqual([
      { event: 'simulate_rule_ignored', fields: expect.objectContaining({ request_id: ids[0], dialect: 'wooshpay', rule: 'sim_prod' }) },
    ]);
    await store.executor.close();
  });
});

describe('a rule added by the CLI, obeyed by a running server', () => {
  let gateway: SdkGateway | undefined;
  const env = { ...testEnv, ...testDatabaseEnv() };
  beforeAll(async () => {
    gateway = await startSdkGateway(env, await openStore(env));
  });
  afterAll(() => gateway?.node.close());

  it('the stripe SDK retries a rule-made 503 and then succeeds; `simulate remove` removes the rule', async () => {
    const rule = JSON.parse(
      await runCli(['simulate', 'add', '--tenant', 'sdk', '--path', '/v1/customers', '--every', '2nd', '--status', '503', '--json'], env),
    ) as { id: string };
    const stripe = gateway!.stripe(0);
    // The server reads the tenant's rules at most once a second: wait until it has seen this one,
    // which is when a request fails. Every 2nd: the next one then goes through, the one after fails.
    await expect
      .poll(
        async () =>
          stripe.customers.create({ name: 'Polled' }).then(
            () => 200,
            (e: { statusCode?: number }) => e.statusCode,
          ),
        {
          timeout: 10_000,
          interval: 200,
        },
      )
      .toBe(503);
    expect((await stripe.customers.create({ name: 'Between' })).name).toBe('Between');
    // The next one is the 2nd again: its first attempt fails, the SDK's retry (the 3rd) goes through.
    expect((await stripe.customers.create({ name: 'Retried' }, { maxNetworkRetries: 2 })).name).toBe('Retried');
    await expect(stripe.customers.create({ name: 'Not retried' })).rejects.toMatchObject({ type: 'StripeAPIError', statusCode: 503 });
    expect(await runCli(['simulate', 'remove', rule.id, '--tenant', 'sdk'], env)).toContain(rule.id);
    expect(JSON.parse(await runCli(['simulate', 'list', '--tenant', 'sdk', '--json'], env))).toEqual([]);
  }, 60_000);
});
