import { beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/auth/index.ts';
import { jsonInit, type TestGateway, testGateway } from '../../test/support/gateway.ts';

let gw: TestGateway;
let key: string;
let basic: Record<string, string>;

const form = (fields: Record<string, string>, headers = basic): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
});

async function create(fields: Record<string, string> = { name: 'Jenny Rosen' }) {
  const res = await gw.request('/v1/customers', form(fields));
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown> & { id: string };
}

beforeEach(async () => {
  gw = await testGateway();
  key = gw.tenant.credentials.wooshpay!.secret_key!;
  basic = { authorization: `Basic ${btoa(`${key}:`)}` };
});

describe('wooshpay: happy', () => {
  it('creates, updates and retrieves with form brackets as Stripe clients send them', async () => {
    const c = await create({
      name: 'Jenny',
      'metadata[plan]': 'gold',
      'metadata[seats]': '3',
      'address[city]': 'Berlin',
      'address[country]': 'DE',
    });
    expect(c).toMatchObject({
      object: 'customer',
      name: 'Jenny',
      metadata: { plan: 'gold', seats: '3' },
      address: { city: 'Berlin', country: 'DE' },
    });
    expect(c.id).toMatch(/^cus_[A-Za-z0-9]{14}$/);
    expect(typeof c.created).toBe('number');

    const updated = await gw.request(
      `/v1/customers/${c.id}`,
      form({ 'metadata[seats]': '', 'metadata[tier]': '1', phone: '+4930123', name: '' }),
    );
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ name: null, phone: '+4930123', metadata: { plan: 'gold', tier: '1' } });

    const read = await gw.request(`/v1/customers/${c.id}`, { headers: basic });
    const shown = (await read.json()) as Record<string, unknown>;
    expect(shown.metadata).toEqual({ plan: 'gold', tier: '1' });
    expect(shown.address).toEqual({ line1: null, line2: null, city: 'Berlin', state: null, postal_code: null, country: 'DE' });
  });

  it('takes JSON bodies (the seed) and Bearer keys (Stripe SDKs)', async () => {
    const c = await create();
    const res = await gw.request(
      `/wooshpay/v1/customers/${c.id}`,
      jsonInit(
        'POST',
        { email: 'j@example.com', shipping: { name: 'Dock 4', address: { line1: 'Pier 1', country: 'NO' } } },
        { authorization: `Bearer ${key}` },
      ),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      email: 'j@example.com',
      shipping: { name: 'Dock 4', phone: null, address: { line1: 'Pier 1', country: 'NO' } },
    });
  });

  it('clears all metadata with metadata=""', async () => {
    const c = await create({ 'metadata[a]': '1' });
    const res = await gw.request(`/v1/customers/${c.id}`, form({ metadata: '' }));
    expect(((await res.json()) as { metadata: unknown }).metadata).toEqual({});
  });

  it('shows livemode from the key: sk_live_ keys see livemode true', async () => {
    const { createTenant } = await import('../../test/support/registered.ts');
    const live = await createTenant(gw.store, gw.config, 'live', { livemode: true });
    const liveKey = live.credentials.wooshpay!.secret_key!;
    expect(liveKey).toMatch(/^sk_live_/);
    const res = await gw.request('/v1/customers', form({ name: 'L' }, { authorization: `Bearer ${liveKey}` }));
    expect(((await res.json()) as { livemode: boolean }).livemode).toBe(true);
    expect((await create()).livemode).toBe(false);
  });

  it('expands what it can expand', async () => {
    const c = await create();
    const res = await gw.request(`/v1/customers/${c.id}`, form({ 'expand[0]': 'tax_ids', 'expand[1]': 'cash_balance' }));
    expect(await res.json()).toMatchObject({ tax_ids: [], cash_balance: { object: 'cash_balance', customer: c.id } });
  });

  it('replays a repeated Idempotency-Key with the first response', async () => {
    const c = await create();
    const init = () => form({ description: 'first' }, { ...basic, 'idempotency-key': 'key-1' });
    const first = await gw.request(`/v1/customers/${c.id}`, init());
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await first.text();
    // A change in between must not show in the replay: it is the stored first response.
    await gw.request(`/v1/customers/${c.id}`, form({ description: 'second' }));
    const again = await gw.request(`/v1/customers/${c.id}`, init());
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(firstBody);
  });

  it('replays a create instead of creating twice', async () => {
    const init = () => form({ name: 'Once' }, { ...basic, 'idempotency-key': 'create-1' });
    const a = (await (await gw.request('/v1/customers', init())).json()) as { id: string };
    const b = (await (await gw.request('/v1/customers', init())).json()) as { id: string };
    expect(b.id).toBe(a.id);
  });

  it('replays a retry that sends the same parameters in another order', async () => {
    const c = await create();
    const headers = { ...basic, 'idempotency-key': 'reordered' };
    const first = await gw.request(`/v1/customers/${c.id}`, {
      ...form({}, headers),
      body: 'name=Jenny&email=jenny%40example.com&metadata[a]=1&metadata[b]=2',
    });
    expect(first.status).toBe(200);
    const again = await gw.request(`/v1/customers/${c.id}`, {
      ...form({}, headers),
      body: 'metadata[b]=2&email=jenny%40example.com&metadata[a]=1&name=Jenny',
    });
    expect(again.status, await again.clone().text()).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('replays a key first held to its parameters in wire order, before they were sorted', async () => {
    const c = await create();
    const now = new Date();
    const wireOrder = `POST /v1/customers/${c.id}\n${JSON.stringify({ name: 'Zed', email: 'zed@example.com' })}`;
    await gw.store.claimKey({
      tenant_id: gw.tenant.tenant.id,
      key: 'kept',
      request_hash: await sha256Hex(wireOrder),
      state: 'done',
      status: 200,
      body: '{"stored":"first answer"}',
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + 3600_000).toISOString(),
    });
    const res = await gw.request(`/v1/customers/${c.id}`, {
      ...form({}, { ...basic, 'idempotency-key': 'kept' }),
      body: 'name=Zed&email=zed%40example.com',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    expect(await res.json()).toEqual({ stored: 'first answer' });
  });

  it('keeps both of two concurrent metadata merges of different keys', async () => {
    const c = await create();
    const writes = Array.from({ length: 12 }, (_, i) => gw.request(`/v1/customers/${c.id}`, form({ [`metadata[k${i}]`]: String(i) })));
    for (const res of await Promise.all(writes)) expect(res.status).toBe(200);
    const shown = (await (await gw.request(`/v1/customers/${c.id}`, { headers: basic })).json()) as { metadata: Record<string, string> };
    expect(Object.keys(shown.metadata).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `k${i}`).sort());
    expect((await gw.canonical(c.id)).version).toBe(13);
  });
});

describe('wooshpay: errors', () => {
  it('names the parameter of an invalid value, in bracket form', async () => {
    const c = await create();
    const res = await gw.request(`/v1/customers/${c.id}`, form({ 'address[country]': 'Narnia' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: expect.objectContaining({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'address[country]' }),
    });
  });

  it('refuses unknown parameters with parameter_unknown', async () => {
    const c = await create();
    const res = await gw.request(`/v1/customers/${c.id}`, form({ 'address[planet]': 'Mars' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'parameter_unknown', param: 'address[planet]' } });
  });

  it('refuses an unknown expand path', async () => {
    const c = await create();
    const res = await gw.request(`/v1/customers/${c.id}`, form({ 'expand[0]': 'secrets' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: 'This property cannot be expanded (secrets).', param: 'expand[0]' } });
  });

  it('answers 404 resource_missing for an unknown customer', async () => {
    const res = await gw.request('/v1/customers/cus_nope', { headers: basic });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { type: 'invalid_request_error', code: 'resource_missing', message: "No such customer: 'cus_nope'", param: 'id' },
    });
  });

  it('refuses the same Idempotency-Key with other parameters, and writes nothing', async () => {
    const c = await create();
    await gw.request(`/v1/customers/${c.id}`, form({ description: 'a' }, { ...basic, 'idempotency-key': 'k' }));
    const before = await gw.canonical(c.id);
    const res = await gw.request(`/v1/customers/${c.id}`, form({ description: 'b' }, { ...basic, 'idempotency-key': 'k' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'idempotency_error' } });
    expect(await gw.canonical(c.id)).toEqual(before);
  });

  it('answers 409 while the first request with a key is still in flight', async () => {
    const c = await create();
    const tenantId = gw.tenant.tenant.id;
    await gw.store.claimKey({
      tenant_id: tenantId,
      key: 'busy',
      request_hash: 'h',
      state: 'pending',
      status: null,
      body: null,
      created_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
    });
    const res = await gw.request(`/v1/customers/${c.id}`, form({ description: 'x' }, { ...basic, 'idempotency-key': 'busy' }));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { type: 'idempotency_error', code: 'idempotency_key_in_use' } });
  });

  it('lets a key be used again after its request failed validation', async () => {
    const c = await create();
    const bad = await gw.request(`/v1/customers/${c.id}`, form({ email: 'nope' }, { ...basic, 'idempotency-key': 'retry' }));
    expect(bad.status).toBe(400);
    const good = await gw.request(`/v1/customers/${c.id}`, form({ email: 'ok@example.com' }, { ...basic, 'idempotency-key': 'retry' }));
    expect(good.status).toBe(200);
  });

  it('never answers a malformed body with a 5xx nor changes the customer', async () => {
    const c = await create();
    const before = await gw.canonical(c.id);
    const bodies: [string, string][] = [
      ['application/json', '{"name":'],
      ['application/json', '[1,2,3]'],
      ['application/json', 'null'],
      ['application/x-www-form-urlencoded', 'a[b][c][d][e][f][g]=1'],
      ['application/x-www-form-urlencoded', '%E0%A4%A'],
      ['text/plain', 'name=x'],
      ['application/json', '{"metadata":{"k":{"deep":1}}}'],
    ];
    for (const [type, body] of bodies) {
      const res = await gw.request(`/v1/customers/${c.id}`, { method: 'POST', headers: { ...basic, 'content-type': type }, body });
      expect(res.status, `${type} ${body}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${type} ${body}`).toBeLessThan(500);
      expect(await res.json()).toHaveProperty('error.message');
    }
    expect(await gw.canonical(c.id)).toEqual(before);
  });
});

describe('wooshpay: security', () => {
  it('refuses prototype-polluting keys in forms and JSON', async () => {
    const c = await create();
    const viaForm = await gw.request(`/v1/customers/${c.id}`, form({ '__proto__[polluted]': '1', 'metadata[__proto__]': 'x' }));
    expect(viaForm.status).toBe(400);
    const viaJson = await gw.request(`/v1/customers/${c.id}`, {
      method: 'POST',
      headers: { ...basic, 'content-type': 'application/json' },
      body: '{"metadata":{"__proto__":{"polluted":"1"}}}',
    });
    expect(viaJson.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keys of one tenant never reach idempotent responses of another', async () => {
    const c = await create();
    const otherKey = gw.other.credentials.wooshpay!.secret_key!;
    await gw.request(`/v1/customers/${c.id}`, form({ description: 'mine' }, { ...basic, 'idempotency-key': 'shared' }));
    const theirs = await gw.request(
      '/v1/customers',
      form({ name: 'Theirs' }, { authorization: `Bearer ${otherKey}`, 'idempotency-key': 'shared' }),
    );
    expect(theirs.status).toBe(200);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(((await theirs.json()) as { name: string }).name).toBe('Theirs');
  });

  it('refuses keys that are not secret keys, and malformed Basic headers', async () => {
    for (const authorization of ['Basic !!!', `Basic ${btoa('pk_test_abc:')}`, 'Bearer ', `Token ${key}`, `Bearer ${key}x`]) {
      const res = await gw.request('/v1/customers', form({ name: 'x' }, { authorization }));
      expect(res.status, authorization).toBe(401);
    }
  });

  it('stores keys only as hashes', async () => {
    const rows = await gw.store.executor.all<{ secret_hash: string }>({
      sql: 'select secret_hash from credentials',
      parameters: [],
      query: undefined as never,
      queryId: undefined as never,
    });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.secret_hash).not.toContain(key);
    }
  });
});
