import { readFileSync } from 'node:fs';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { wooshpayClientTypes } from '../bin/openapi-client-types.ts';
import { type NodeGateway, startNode } from '../src/entries/node.ts';
import { type CreatedTenant, createTenant } from './support/registered.ts';
import { testEnv } from './support/gateway.ts';
import type { components, paths } from './support/openapi-wooshpay.ts';
import { testStore } from './support/store.ts';

// A client typed by nothing but the Wooshpay OpenAPI document (openapi-typescript's types,
// openapi-fetch's client) compiles under `tsc` and talks to a real gateway server.

let gateway: NodeGateway;
let tenant: CreatedTenant;
let client: ReturnType<typeof createClient<paths>>;

beforeAll(async () => {
  const store = await testStore();
  gateway = await startNode({ ...testEnv }, { port: 0, hostname: '127.0.0.1', store });
  tenant = await createTenant(store, gateway.config, 'acme');
  const key = tenant.credentials.wooshpay!.secret_key!;
  client = createClient<paths>({
    baseUrl: `http://127.0.0.1:${gateway.port}`,
    headers: { authorization: `Basic ${btoa(`${key}:`)}` },
  });
});
afterAll(() => gateway?.close());

it('test/support/openapi-wooshpay.ts is what openapi-typescript makes of the document (run `npm run docs` when this fails)', async () => {
  const committed = readFileSync(new URL('./support/openapi-wooshpay.ts', import.meta.url), 'utf8');
  expect(committed).toBe(await wooshpayClientTypes());
});

it('creates, retrieves and updates a customer through the typed client, as JSON and as a form', async () => {
  const created = await client.POST('/wooshpay/v1/customers', { body: { name: 'Typed Client', email: 'typed@example.com' } });
  expect(created.response.status).toBe(200);
  const id = created.data!.id;
  expect(id).toMatch(/^cus_/);

  const read = await client.GET('/wooshpay/v1/customers/{id}', { params: { path: { id } } });
  expect(read.data?.email).toBe('typed@example.com');

  const updated = await client.POST('/wooshpay/v1/customers/{id}', {
    params: { path: { id }, header: { 'If-Match': read.response.headers.get('etag')! } },
    body: { phone: '+15555550100', metadata: { plan: 'gold' }, address: { city: 'Berlin', country: 'DE' } },
    bodySerializer: (body) =>
      new URLSearchParams({ phone: body?.phone ?? '', 'metadata[plan]': 'gold', 'address[city]': 'Berlin', 'address[country]': 'DE' }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  expect(updated.response.status).toBe(200);
  expect(updated.data).toMatchObject({ id, phone: '+15555550100', metadata: { plan: 'gold' }, address: { city: 'Berlin', country: 'DE' } });
});

it("answers errors in the document's error type", async () => {
  const missing = await client.GET('/wooshpay/v1/customers/{id}', { params: { path: { id: 'cus_doesnotexist00' } } });
  expect(missing.response.status).toBe(404);
  expect(missing.error?.error.code).toBe('resource_missing');

  // @ts-expect-error: the document says Wooshpay has no such parameter, and tsc holds a client to it
  const typo: components['schemas']['CreateRequest'] = { nmae: 'typo' };
  const refused = await client.POST('/wooshpay/v1/customers', { body: typo });
  expect(refused.response.status).toBe(400);
  expect(refused.error?.error).toMatchObject({ code: 'parameter_unknown', param: 'nmae' });
});
