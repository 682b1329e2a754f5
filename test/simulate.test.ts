import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { loadConfig } from '../src/config.ts';
import { createTenant, createApp } from './support/registered.ts';
import { testEnv, type TestGateway, testGateway } from './support/gateway.ts';
import { testStore } from './support/store.ts';
import { type SdkGateway, startSdkGateway } from './support/stripe-sdk.ts';
import { listTenants } from '../src/store/tenant-admin.ts';

// Custgate-Simulate through the real app: each failure as each provider renders it, and the
// official Stripe SDK retrying a simulated 503 to success.

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});
afterAll(() => gw?.store.executor.close());

const all = Object.values(dialects) as AnyDialect[];

/** A create through a dialect, with the simulate header (and any other headers). */
const create = (g: TestGateway, dialect: AnyDialect, simulate: string | undefined, extra: Record<string, string> = {}) =>
  g.request(`${dialect.routes.prefix}${dialect.routes.collection}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...fixturesOf(dialect).auth(g.tenant.credentials[dialect.name] ?? {}),
      ...(dialect.name === 'bigcapital' ? { 'organization-id': g.tenant.tenant.id } : {}),
      ...(simulate ? { 'custgate-simulate': simulate } : {}),
      ...extra,
    },
    body: JSON.stringify(fixturesOf(dialect).create),
  });

describe.each(all.map((d) => [d.name, d] as const))('%s', (_name, dialect) => {
  const envelope = (body: unknown) => v.safeParse(dialect.wire.openapi.errorResponse, body).success;

  it('status=503 and status=500: the status in the provider envelope; nothing is written', async () => {
    const customers = async () => (await listTenants(gw.store, new Date())).find((t) => t.id === gw.tenant.tenant.id)?.customers;
    const before = await customers();
    for (const status of [503, 500]) {
      const res = await create(gw, dialect, `status=${status}`);
      expect(res.status).toBe(status);
      expect(envelope(await res.json())).toBe(true);
    }
    expect(await customers()).toBe(before);
  });

  // Zenskar (FastAPI) answers a refusal naming no field, and a body of another media type, as a 422:
  // status=400 and status=415 answered 422 there.
  it('status=<code>: every code that can be simulated is answered with that status, in the provider envelope', async () => {
    for (const status of [400, 401, 403, 404, 409, 412, 413, 415, 429, 500, 502, 503, 504]) {
      const res = await create(gw, dialect, `status=${status}`);
      expect(res.status, `status=${status}`).toBe(status);
      expect(envelope(await res.json()), `status=${status}`).toBe(true);
    }
  });

  it('rate_limit: a 429 with Retry-After, in the provider envelope', async () => {
    const res = await create(gw, dialect, 'rate_limit');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(envelope(await res.json())).toBe(true);
  });

  it('an unknown simulation is a 400 that names the header and what it takes', async () => {
    const res = await create(gw, dialect, 'status=999');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const text = await res.text();
    expect(text).toContain('custgate-simulate');
    expect(envelope(JSON.parse(text))).toBe(true);
  });

  it('times=0 is refused as a rule refuses --times 0 (with an Idempotency-Key it failed nothing); nothing is written', async () => {
    const before = await gw.store.countCustomers(gw.tenant.tenant.id);
    for (const times of ['0', '10001', 'x']) {
      const res = await create(gw, dialect, `status=503; times=${times}`, { 'idempotency-key': `times-${times}-${dialect.name}` });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const text = await res.text();
      expect(text).toContain(`custgate-simulate: times=${times}: a count from 1 to 10000`);
      expect(envelope(JSON.parse(text))).toBe(true);
    }
    expect(await gw.store.countCustomers(gw.tenant.tenant.id)).toBe(before);
  });
});

describe('provider-specific and timing simulations', () => {
  it('card_declined: the Stripe-like dialects answer 402 card_error; the others refuse the name', async () => {
    for (const dialect of [dialects.wooshpay, dialects.connhex]) {
      const res = await create(gw, dialect, 'card_declined');
      expect(res.status).toBe(402);
      expect(await res.json()).toMatchObject({ error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline' } });
    }
    const meteroid = await create(gw, dialects.meteroid, 'card_declined');
    expect(meteroid.status).toBe(400);
    expect(await meteroid.text()).toContain('Unknown simulation');
  });

  it('Meteroid names the header once in a refused simulation (it read "header.custgate-simulate: custgate-simulate: …")', async () => {
    const res = await create(gw, dialects.meteroid, 'status=999');
    expect(res.status).toBe(400);
    const { message } = (await res.json()) as { message: string };
    expect(message).toMatch(/^Invalid input: custgate-simulate: status=999 cannot be simulated; one of 400, /);
  });

  it('latency:<ms> answers normally, that much later; timeout:<ms> answers 504 after it', async () => {
    let started = Date.now();
    const slow = await create(gw, dialects.meteroid, 'latency:300');
    expect(slow.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    started = Date.now();
    const timedOut = await create(gw, dialects.zenskar, 'timeout:200');
    expect(timedOut.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('with an Idempotency-Key only the first attempt fails (times=N: the first N); without one every attempt does', async () => {
    const wooshpay = dialects.wooshpay;
    expect((await create(gw, wooshpay, 'status=503', { 'idempotency-key': 'retry-1' })).status).toBe(503);
    const retried = await create(gw, wooshpay, 'status=503', { 'idempotency-key': 'retry-1' });
    expect(retried.status).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await create(gw, wooshpay, 'status=503; times=2', { 'idempotency-key': 'retry-2' })).status).toBe(503);
    expect((await create(gw, wooshpay, 'status=503; times=2', { 'idempotency-key': 'retry-2' })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await create(gw, wooshpay, 'status=503')).status).toBe(503);
  });

  it('with NODE_ENV=production the header is ignored, and logged', async () => {
    const store = await testStore();
    const logged: { event: string; fields: Readonly<Record<string, unknown>> }[] = [];
    const config = loadConfig({ ...testEnv, NODE_ENV: 'production' });
    const app = createApp({ store, config, logger: { error: (event, fields) => logged.push({ event, fields }) } });
    const tenant = await createTenant(store, config, 'prod');
    const res = await app.request('/v1/customers', {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.credentials.wooshpay?.secret_key}`, 'custgate-simulate': 'status=503' },
      body: new URLSearchParams({ name: 'Real' }),
    });
    expect(res.status).toBe(200);
    // With the id the response gives, to find the request the line is about.
    const id = res.headers.get('request-id');
    expect(id).toBeTruthy();
    expect(logged).toEqual([
      { event: 'simulate_ignored', fields: expect.objectContaining({ request_id: id, dialect: 'wooshpay', value: 'status=503' }) },
    ]);
  });
});

describe('the stripe SDK against a simulated 503', () => {
  let gateway: SdkGateway | undefined;
  beforeAll(async () => {
    gateway = await startSdkGateway(testEnv, await testStore());
  });
  afterAll(() => gateway?.node.close());

  it('retries (same Idempotency-Key) and then succeeds; with retries off it raises the 503 as a StripeAPIError', async () => {
    const stripe = gateway!.stripe(2);
    const headers = { 'Custgate-Simulate': 'status=503' };
    const created = await stripe.customers.create({ name: 'Retried' }, { headers });
    expect(created.name).toBe('Retried');
    expect(created.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    await expect(stripe.customers.create({ name: 'Not retried' }, { headers, maxNetworkRetries: 0 })).rejects.toMatchObject({
      type: 'StripeAPIError',
      statusCode: 503,
    });
  });
});
