import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import Stripe from 'stripe';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { GatewayError } from '../src/contract/errors.ts';
import type { DialectFixtures } from '../src/contract/fixtures.ts';
import { type CreatedTenant, mintToken } from '../src/gateway/tenants.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// #27: DELETE on a customer in every dialect that has one, as its provider answers it (Stripe's
// tombstone for Wooshpay and Connhex, Meteroid's archive, Bigcapital's removal; Zenskar documents
// none), through the real HTTP surface: the customer leaves the lists, keeps its history, another
// tenant cannot touch it, and a second delete answers as the provider does.

let gw: TestGateway;
const byName: Readonly<Record<string, { readonly dialect: AnyDialect; readonly fixtures: DialectFixtures }>> = registry;
/** Connhex authorises by permission: these tokens may also delete (`pay:customers:delete`). */
const deleters = new Map<CreatedTenant, string>();
const auth = (name: string, tenant = gw.tenant) =>
  name === 'connhex' ? { authorization: `Bearer ${deleters.get(tenant)}` } : byName[name]!.fixtures.auth(tenant.credentials[name]!);
const wooshpay = () => ({ authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` });

/** A new customer of the main tenant, as the dialect names it in a path, and its uuid. */
async function newCustomer(fixtures: DialectFixtures, name: string): Promise<{ ref: string; uuid: string }> {
  const res = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name }, wooshpay()));
  expect(res.status).toBe(200);
  const id = ((await res.json()) as { id: string }).id;
  const row = (await gw.store.findCustomer(gw.tenant.tenant.id, 'public_id', id))!;
  return { ref: fixtures.ref({ uuid: row.id, public_id: row.public_id, number: Number(row.number) }), uuid: row.id };
}

/** Every customer a list in this dialect shows (one page of 100 is the whole test book). */
async function listed(name: string): Promise<string> {
  const { dialect } = byName[name]!;
  const size = name === 'bigcapital' ? 'pageSize' : name === 'meteroid' ? 'per_page' : 'limit';
  const res = await gw.request(`${dialect.routes.prefix}${dialect.routes.collection}?${size}=100`, { headers: auth(name) });
  expect(res.status).toBe(200);
  return JSON.stringify(await res.json());
}

beforeAll(async () => {
  gw = await testGateway();
  for (const tenant of [gw.tenant, gw.other]) {
    const permissions = ['pay:customers:get', 'pay:customers:update', 'pay:customers:delete'];
    deleters.set(tenant, await mintToken(gw.store, gw.config, tenant.tenant, registry.connhex!.dialect, { permissions }));
  }
});

describe.each(Object.values(byName).filter(({ dialect }) => dialect.wire.delete))('delete: $dialect.name', ({ dialect, fixtures }) => {
  const spec = dialect.wire.delete!;
  const item = (ref: string) => `${dialect.routes.prefix}${dialect.routes.collection}/${encodeURIComponent(ref)}`;
  const notFoundStatus = dialect.wire.renderError(new GatewayError('not_found', 'x', { reference: 'x' })).status;

  it('deletes as the provider does, leaves the lists, keeps the history', async () => {
    const { ref, uuid } = await newCustomer(fixtures, `Doomed ${dialect.name}`);
    const keep = await newCustomer(fixtures, `Kept ${dialect.name}`);
    expect(await listed(dialect.name)).toContain(JSON.stringify(ref).slice(1, -1));

    const res = await gw.request(item(ref), { method: 'DELETE', headers: auth(dialect.name) });
    if (dialect.name === 'meteroid') {
      expect(res.status).toBe(204);
      expect(await res.text()).toBe('');
    } else if (dialect.name === 'bigcapital') {
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: Number(ref), message: 'The customer has been deleted successfully.' });
    } else {
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: ref, object: 'customer', deleted: true });
    }

    const listing = await listed(dialect.name);
    expect(listing).not.toContain(`Doomed ${dialect.name}`);
    expect(listing).toContain(`Kept ${dialect.name}`);
    expect(await gw.request(item(keep.ref), { headers: auth(dialect.name) }).then((r) => r.status)).toBe(200);

    // The history ends with the delete: nothing of it is lost.
    const history = await gw.request(`/gateway/v1/customers/${uuid}/events`, { headers: wooshpay() });
    expect(history.status).toBe(200);
    const events = ((await history.json()) as { data: { action: string; version: number }[] }).data;
    expect(events.map((e) => [e.action, e.version])).toEqual([
      ['create', 1],
      ['delete', 2],
    ]);

    const read = await gw.request(item(ref), { headers: auth(dialect.name) });
    if (spec.retrieve === 'tombstone') {
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual({ id: ref, object: 'customer', deleted: true });
    } else if (spec.retrieve === 'customer') {
      expect(read.status).toBe(200);
      expect(v.safeParse(fixtures.response, await read.json()).success).toBe(true);
    } else {
      expect(read.status).toBe(notFoundStatus);
      expect(v.safeParse(dialect.wire.openapi.errorResponse, await read.json()).success).toBe(true);
    }

    const again = await gw.request(item(ref), { method: 'DELETE', headers: auth(dialect.name) });
    if (spec.again === 'same') {
      expect(again.status).toBe(204);
    } else {
      expect(again.status).toBe(notFoundStatus);
      const body = await again.json();
      expect(v.safeParse(dialect.wire.openapi.errorResponse, body).success, JSON.stringify(body)).toBe(true);
    }
    // Nothing more was written by the second delete.
    const after = await gw.request(`/gateway/v1/customers/${uuid}/events`, { headers: wooshpay() });
    expect(((await after.json()) as { data: unknown[] }).data).toHaveLength(2);
  });

  it("another tenant's key cannot delete it, and an anonymous caller is refused", async () => {
    const { ref } = await newCustomer(fixtures, `Guarded ${dialect.name}`);
    const foreign = await gw.request(item(ref), { method: 'DELETE', headers: auth(dialect.name, gw.other) });
    expect(foreign.status).toBe(notFoundStatus);
    const anonymous = await gw.request(item(ref), { method: 'DELETE' });
    expect(anonymous.status).toBe(401);
    expect(await listed(dialect.name)).toContain(`Guarded ${dialect.name}`);
  });

  it('an update of a deleted customer is not found, in the provider envelope', async () => {
    const { ref } = await newCustomer(fixtures, `Gone ${dialect.name}`);
    expect((await gw.request(item(ref), { method: 'DELETE', headers: auth(dialect.name) })).status).toBeLessThan(300);
    const body = fixtures.setName('Back?');
    const res = await gw.request(item(ref), jsonInit(dialect.routes.update, body, auth(dialect.name)));
    expect(res.status).toBe(notFoundStatus);
    expect(v.safeParse(dialect.wire.openapi.errorResponse, await res.json()).success).toBe(true);
  });
});

describe('delete: permissions', () => {
  it('Connhex: a token without pay:customers:delete is refused (403) and nothing is deleted', async () => {
    const { fixtures } = registry.connhex!;
    const { ref } = await newCustomer(fixtures, 'Connhex guarded');
    const res = await gw.request(`/connhex/customers/${ref}`, { method: 'DELETE', headers: fixtures.auth(gw.tenant.credentials.connhex!) });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(await listed('connhex')).toContain('Connhex guarded');
  });
});

describe('delete: a provider without one', () => {
  it('Zenskar documents no delete: DELETE answers as an unknown route, and the customer stays', async () => {
    const { fixtures, dialect } = registry.zenskar!;
    const { ref } = await newCustomer(fixtures, 'Zenskar keeps');
    const res = await gw.request(`/zenskar/customers/${ref}`, { method: 'DELETE', headers: auth('zenskar') });
    expect(res.status).toBe(404);
    expect(v.safeParse(dialect.wire.openapi.errorResponse, await res.json()).success).toBe(true);
    expect((await gw.request(`/zenskar/customers/${ref}`, { headers: auth('zenskar') })).status).toBe(200);
  });
});

describe('delete: the stripe SDK', () => {
  let server: ReturnType<typeof serve>;
  let stripe: Stripe;
  beforeAll(async () => {
    server = serve({ fetch: gw.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    stripe = new Stripe(gw.tenant.credentials.wooshpay!.secret_key!, { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0 });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('customers.del answers the deleted object; retrieve shows it deleted; a second del is resource_missing', async () => {
    const customer = await stripe.customers.create({ name: 'SDK doomed', email: 'doomed@example.com' });
    const deleted = await stripe.customers.del(customer.id);
    expect(deleted).toMatchObject({ id: customer.id, object: 'customer', deleted: true });
    const retrieved = await stripe.customers.retrieve(customer.id);
    expect(retrieved.deleted).toBe(true);
    await expect(stripe.customers.del(customer.id)).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(stripe.customers.update(customer.id, { name: 'Back?' })).rejects.toMatchObject({ statusCode: 404 });
    const ids: string[] = [];
    for await (const c of stripe.customers.list({ limit: 100 })) ids.push(c.id);
    expect(ids).not.toContain(customer.id);
  });
});
