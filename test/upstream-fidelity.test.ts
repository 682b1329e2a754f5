import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import type { CustomerFields } from '../schemas/index.ts';
import { type CreatedTenant, createTenant, addUpstream } from './support/registered.ts';
import { asCarried } from '../src/upstream/fidelity.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { type CanonicalView, fieldsOf } from './support/dialect-harness.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';
import { type Provider, startProvider } from './support/upstream.ts';

// The proxy rule: an acknowledged proxied write means the provider now holds what the client
// asked for, on every field it carries; what its API cannot carry is refused before anything is
// sent, in the client's envelope, and neither side changes. A second custgate process plays each
// provider; both copies are read through the gateway API (canonical fields).

let provider: Provider;
let gw: TestGateway;
const tenants = new Map<DialectName, CreatedTenant>();

beforeAll(async () => {
  provider = await startProvider();
  gw = await testGateway();
  const keyring = keyringFor(gw.config, gw.store.upstreams);
  for (const upstream of ['wooshpay', 'zenskar', 'bigcapital', 'meteroid'] as const) {
    const tenant = await createTenant(gw.store, gw.config, `proxy-to-${upstream}`);
    await addUpstream(gw.store, keyring, tenant.tenant.id, {
      dialect: upstream,
      baseUrl: provider.baseUrl(upstream),
      mode: 'proxy',
      credentials: provider.credentials[upstream],
    });
    tenants.set(upstream, tenant);
  }
});
afterAll(async () => {
  await provider?.process.stop();
});

async function canonical(request: (path: string, init?: RequestInit) => Promise<Response>, ref: string, key: string) {
  const res = await request(`/gateway/v1/customers/${encodeURIComponent(ref)}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as CanonicalView;
}

/** The customer on A (local) and at the provider (B, read through B's gateway API by its link). */
async function bothSides(upstream: DialectName, id: string): Promise<{ local: CustomerFields; remote: CustomerFields }> {
  const key = tenants.get(upstream)!.credentials.wooshpay!.secret_key!;
  const local = await canonical(gw.request, id, key);
  const links = await gw.request(`/gateway/v1/customers/${local.ids.uuid}/links`, { headers: { authorization: `Bearer ${key}` } });
  const [link] = ((await links.json()) as { data: { remote_id: string }[] }).data;
  const onB = (path: string, init?: RequestInit) => fetch(`${provider.base}${path}`, init);
  const remote = await canonical(onB, link!.remote_id, provider.credentials.wooshpay.secret_key!);
  return { local: fieldsOf(local), remote: fieldsOf(remote) };
}

const write = (client: DialectName, upstream: DialectName, method: string, path: string, body: unknown) => {
  const dialect = dialects[client];
  const auth = fixturesOf(dialect).auth(tenants.get(upstream)!.credentials[client]!);
  return gw.request(`${dialect.routes.prefix}${dialect.routes.collection}${path}`, jsonInit(method, body, auth));
};

describe('proxy: the provider holds what was acknowledged', () => {
  const billing = { line1: '10 Rue de Rivoli', city: 'Paris', zip_code: '75004', country: 'FR' };
  it.each(['wooshpay', 'zenskar', 'bigcapital'] as const)(
    'Meteroid same_as_billing into a %s upstream: the provider ships to the billing address',
    async (upstream) => {
      const created = await write('meteroid', upstream, 'POST', '', {
        name: 'Ship Co',
        // The provider's own currency: Wooshpay shows one but takes none (test/upstream-exact.test.ts).
        currency: 'USD',
        billing_address: billing,
        shipping_address: { same_as_billing: false, address: { line1: '1 Old Wharf', city: 'Lyon', country: 'FR' } },
      });
      const createdBody = await created.json();
      expect(created.status, JSON.stringify(createdBody)).toBe(201);
      const { id } = createdBody as { id: string };
      const res = await write('meteroid', upstream, 'PATCH', `/${id}`, { shipping_address: { same_as_billing: true } });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBe(200);
      const { local, remote } = await bothSides(upstream, id);
      expect(remote.shipping?.address).toMatchObject({ line1: '10 Rue de Rivoli', city: 'Paris' });
      expect(asCarried(dialects[upstream], local).shipping?.address).toMatchObject({ line1: '10 Rue de Rivoli', city: 'Paris' });
    },
  );

  it('a Zenskar custom_data replace into a Wooshpay upstream removes the keys it left out', async () => {
    const created = await write('zenskar', 'wooshpay', 'POST', '', {
      customer_name: 'Data Co',
      custom_data: { plan: 'gold', region: 'eu', seats: '5' },
    });
    expect(created.status).toBe(dialects.zenskar.wire.createdStatus);
    const { id } = (await created.json()) as { id: string };
    const res = await write('zenskar', 'wooshpay', 'PATCH', `/${id}`, { custom_data: { plan: 'platinum' } });
    expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
    const { local, remote } = await bothSides('wooshpay', id);
    expect(remote.metadata).toEqual({ plan: 'platinum' });
    expect(local.metadata).toEqual({ plan: 'platinum' });
  });

  it('a clear of the email into a Meteroid upstream is refused in the client’s envelope, and neither side changes', async () => {
    const created = await write('wooshpay', 'meteroid', 'POST', '', { name: 'Keep Mail', email: 'keep@example.com' });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    const before = await bothSides('meteroid', id);
    const res = await write('wooshpay', 'meteroid', 'POST', `/${id}`, { email: '' });
    const answer = (await res.json()) as { error: { type: string; param?: string; message: string } };
    expect(res.status, JSON.stringify(answer)).toBe(400);
    expect(answer.error).toMatchObject({ type: 'invalid_request_error', param: 'email' });
    expect(answer.error.message).toContain('meteroid');
    // Zenskar's clear is a JSON null; its refusal is its own 422 naming its own field.
    const nulled = await write('zenskar', 'meteroid', 'PATCH', `/${id}`, { email: null });
    const detail = (await nulled.json()) as { detail: { loc: string[]; msg: string }[] };
    expect(nulled.status, JSON.stringify(detail)).toBe(422);
    expect(detail.detail[0]).toMatchObject({ loc: ['body', 'email'], msg: expect.stringContaining('meteroid') });
    const after = await bothSides('meteroid', id);
    expect(after).toEqual(before);
    expect(after.remote.email).toBe('keep@example.com');
  });
});
