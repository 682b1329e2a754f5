import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import Stripe from 'stripe';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jsonInit, type TestGateway, testGateway } from '../support/gateway.ts';

// #27: the official stripe SDK's auto-pagination walks a whole book through a real HTTP server,
// unchanged: `for await (const c of stripe.customers.list())` passes the last id as
// `starting_after` until `has_more` is false. CUSTGATE_LIST_BOOK sets the book's size.

const BOOK = Number(process.env.CUSTGATE_LIST_BOOK ?? 1000);
let gw: TestGateway;
let server: ReturnType<typeof serve>;
let stripe: Stripe;
const created: string[] = [];

beforeAll(async () => {
  gw = await testGateway();
  const headers = { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` };
  // One writer: concurrent creates in one tenant can collide on the customer number (a 409).
  for (let i = 0; i < BOOK; i++) {
    const res = await gw.request('/v1/customers', jsonInit('POST', { name: `Customer ${i}` }, headers));
    expect(res.status).toBe(200);
    created.push(((await res.json()) as { id: string }).id);
  }
  const otherHeaders = { authorization: `Bearer ${gw.other.credentials.wooshpay!.secret_key}` };
  expect((await gw.request('/v1/customers', jsonInit('POST', { name: 'Not yours' }, otherHeaders))).status).toBe(200);
  server = serve({ fetch: gw.app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  stripe = new Stripe(gw.tenant.credentials.wooshpay!.secret_key!, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

it(`stripe.customers.list() auto-paginates over ${BOOK} customers, each once, newest first`, async () => {
  const seen: string[] = [];
  for await (const customer of stripe.customers.list({ limit: 100 })) {
    expect(customer.object).toBe('customer');
    seen.push(customer.id);
  }
  expect(seen).toHaveLength(BOOK);
  expect(new Set(seen).size).toBe(BOOK);
  expect([...seen].sort()).toEqual([...created].sort());
  // Newest first: the last customer created comes first, the first one last.
  const last = await stripe.customers.retrieve(seen[0]!);
  expect((last as Stripe.Customer).created).toBeGreaterThanOrEqual(
    ((await stripe.customers.retrieve(seen.at(-1)!)) as Stripe.Customer).created,
  );
}, 120_000);

it('the default page is 10 and has_more says there is more', async () => {
  const page = await stripe.customers.list();
  expect(page.data).toHaveLength(10);
  expect(page.has_more).toBe(BOOK > 10);
  expect(page.url).toBe('/v1/customers');
});

it('a bad limit is a StripeInvalidRequestError naming the parameter', async () => {
  await expect(stripe.customers.list({ limit: 1000 })).rejects.toMatchObject({
    type: 'StripeInvalidRequestError',
    statusCode: 400,
    param: 'limit',
  });
});
