import { addUpstream } from './support/registered.ts';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DialectName, dialects, fixturesOf } from '../dialects/index.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { loadConfig } from '../src/config.ts';
import { jsonInit, type TestGateway, testEnv, testGateway } from './support/gateway.ts';

// What a proxy upstream answers, as the client hears it: a provider's failure is never the
// client's mistake. A 429 stays a 429 with the provider's Retry-After; a 404 to a create, and any
// 4xx outside the provider's documented error envelope, is a 502 quoting the status and a short
// excerpt, in the client's own envelope; nothing is stored locally.

type Answer = { status: number; body: string; headers?: Record<string, string> };
let answer: Answer = { status: 200, body: '{}' };
/** Requests the provider received. */
let received = 0;
let server: Server;
let base = '';
let gw: TestGateway;

beforeAll(async () => {
  server = createServer((req, res) => {
    received++;
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  gw = await testGateway({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '3000' });
  const keyring = keyringFor(gw.config, gw.store.upstreams);
  await addUpstream(gw.store, keyring, gw.tenant.tenant.id, {
    dialect: 'zenskar',
    baseUrl: base,
    mode: 'proxy',
    credentials: { api_key: 'zsk_upstream', organisation: '00000000-0000-4000-8000-000000000001' },
  });
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

const clients: DialectName[] = ['wooshpay', 'meteroid', 'bigcapital'];

async function create(name: DialectName) {
  const d = dialects[name];
  const auth = fixturesOf(d).auth(gw.tenant.credentials[name] ?? {});
  const res = await gw.request(`${d.routes.prefix}${d.routes.collection}`, jsonInit('POST', fixturesOf(d).create, auth));
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function localCount(): Promise<number> {
  const db = queryBuilder(gw.store.executor.backend);
  const rows = await gw.store.executor.all(db.selectFrom('customers').select('id').where('tenant_id', '=', gw.tenant.tenant.id).compile());
  return rows.length;
}

describe('a proxy upstream answering with its own failure', () => {
  it.each(clients)('429 with Retry-After reaches a %s client as 429 with the same Retry-After, in its envelope', async (name) => {
    answer = { status: 429, body: '{"message":"Too Many Requests"}', headers: { 'retry-after': '7' } };
    const before = await localCount();
    const res = await create(name);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(JSON.stringify(res.body)).toContain('429');
    expect(await localCount()).toBe(before);
  });

  it.each(clients)('404 to a create is a 502 for a %s client, not "no such customer"', async (name) => {
    answer = { status: 404, body: '{"detail":"Not Found"}' };
    const res = await create(name);
    expect(res.status).toBe(502);
    expect(JSON.stringify(res.body)).toContain('HTTP 404');
  });

  it.each([
    [400, '<html><body>Bad Request from the load balancer</body></html>'],
    [422, '{"errors":[{"field":"email"}]}'],
    [404, 'no route'],
  ])('a %i outside the envelope is a 502 quoting the status and a bounded excerpt', async (status, body) => {
    answer = { status, body: `${body}${'x'.repeat(5000)}` };
    const before = await localCount();
    const res = await create('wooshpay');
    expect(res.status).toBe(502);
    const error = (res.body as { error: { type: string; message: string } }).error;
    expect(error.type).toBe('api_error');
    expect(error.message).toContain(`HTTP ${status}`);
    expect(error.message).toContain(body.slice(0, 20));
    expect(error.message.length).toBeLessThan(400);
    expect(await localCount()).toBe(before);
  });

  it.each([500, 403])(
    'a %i shaped as a validation refusal is the provider’s failure (502), never a refusal of the client’s parameter',
    async (status) => {
      answer = { status, body: '{"detail":[{"loc":["body","email"],"msg":"value is not a valid email address","type":"value_error"}]}' };
      const before = await localCount();
      const res = await create('wooshpay');
      const error = (res.body as { error: { type: string; param?: string; message: string } }).error;
      expect(res.status, JSON.stringify(res.body)).toBe(502);
      expect(error.type).toBe('api_error');
      expect(error.param).toBeUndefined();
      expect(error.message).toContain(`HTTP ${status}`);
      expect(await localCount()).toBe(before);
      // Bigcapital's validation list, under a status that refuses no value, is the same.
      const validation = { statusCode: status, message: [{ property: 'email', constraints: { isEmail: 'email must be an email' } }] };
      expect(dialects.bigcapital.client.parseError({ status, body: validation }).code).toBe('bad_gateway');
      expect(dialects.bigcapital.client.parseError({ status: 400, body: validation }).code).toBe('invalid_request');
    },
  );

  it("the provider's own refusal in its envelope still reaches the client as a refusal of its parameter", async () => {
    answer = {
      status: 422,
      body: JSON.stringify({ detail: [{ loc: ['body', 'email'], msg: 'value is not a valid email address', type: 'value_error' }] }),
    };
    const res = await create('wooshpay');
    expect(res.status).toBe(400);
    expect((res.body as { error: { param?: string } }).error.param).toBe('email');
  });
});

describe('a proxy upstream answering with a value the canonical model cannot hold', () => {
  let n = 0;
  const zenskarCustomer = (phone: string) =>
    JSON.stringify({
      // A new customer at the provider each time: its id is the local copy's id.
      id: `7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2b${String(++n).padStart(2, '0')}`,
      external_id: null,
      customer_name: 'Ext Number',
      custom_data: {},
      address: null,
      ship_to_address: null,
      tax_info: [],
      email: null,
      phone_number: phone,
      communications_enabled: true,
      auto_charge_enabled: true,
    });

  it.each(clients)('a %s client that sent no phone is never told its request was invalid', async (name) => {
    answer = { status: 200, body: zenskarCustomer('+1 (555) 123-4567 ext. 890') };
    const before = await localCount();
    const res = await create(name);
    // Stored as the provider holds it where the canonical phone can hold it, else the provider's problem.
    expect([200, 201, 502]).toContain(res.status);
    if (res.status === 502) {
      const text = JSON.stringify(res.body);
      expect(text).toContain('phone_number');
      expect(text).not.toContain('body.');
      expect(await localCount()).toBe(before);
    } else {
      expect(await localCount()).toBe(before + 1);
    }
  });
});

describe('a Zenskar upstream answering a 26-character phone', () => {
  it('the client is never blamed, the customer is linked once, and a retry with the same key sends nothing', async () => {
    const id = '7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2c01';
    answer = {
      status: 200,
      body: JSON.stringify({
        id,
        external_id: null,
        customer_name: 'Long Phone',
        custom_data: {},
        phone_number: '+1 (555) 123-4567 ext. 890',
      }),
    };
    const d = dialects.wooshpay;
    const init = () =>
      jsonInit(
        'POST',
        { name: 'Long Phone' },
        { ...fixturesOf(d).auth(gw.tenant.credentials.wooshpay ?? {}), 'idempotency-key': 'phone-26' },
      );
    const before = { local: await localCount(), received };
    const first = await gw.request(`${d.routes.prefix}${d.routes.collection}`, init());
    expect(first.status).toBe(200);
    const customer = await gw.canonical(((await first.json()) as { id: string }).id);
    expect(customer.phone).toBe('+1 (555) 123-4567 ext. 890');
    expect(await gw.store.upstreams.linksOf(gw.tenant.tenant.id, customer.ids.uuid as string)).toHaveLength(1);
    const retry = await gw.request(`${d.routes.prefix}${d.routes.collection}`, init());
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(received).toBe(before.received + 1);
    expect(await localCount()).toBe(before.local + 1);
  });
});

describe("a proxy upstream's answer passes the checks a client's body passes", () => {
  it.each([
    ['a NUL in the customer id', '{"id":"cus_ab\\u0000cd","customer_name":"x"}'],
    ['a __proto__ key', '{"id":"7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2a12","customer_name":"x","custom_data":{"__proto__":{"polluted":true}}}'],
    ['a NUL in a value', '{"id":"7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2a13","customer_name":"x\\u0000y"}'],
  ])('%s: a 502 on every backend alike, nothing stored', async (_what, body) => {
    answer = { status: 200, body };
    const before = await localCount();
    const res = await create('wooshpay');
    expect(res.status).toBe(502);
    expect((res.body as { error: { type: string } }).error.type).toBe('api_error');
    expect(await localCount()).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('CUSTGATE_UPSTREAM_MAX_ANSWER_BYTES', () => {
  it('bounds the answer a proxy upstream may give: under it the write goes through, over it a 502 and nothing stored', async () => {
    const small = await testGateway({ CUSTGATE_UPSTREAM_TIMEOUT_MS: '3000', CUSTGATE_UPSTREAM_MAX_ANSWER_BYTES: String(64 * 1024) });
    await addUpstream(small.store, keyringFor(small.config, small.store.upstreams), small.tenant.tenant.id, {
      dialect: 'zenskar',
      baseUrl: base,
      mode: 'proxy',
      credentials: { api_key: 'zsk_upstream', organisation: '00000000-0000-4000-8000-000000000001' },
    });
    // A customer padded past 64 KiB (whitespace is valid JSON), far under the 1 MiB default.
    const padded = (id: string) =>
      `${' '.repeat(70 * 1024)}${JSON.stringify({ id, external_id: null, customer_name: 'Padded', custom_data: {} })}`;
    const d = dialects.wooshpay;
    const post = (g: TestGateway) =>
      g.request(
        `${d.routes.prefix}${d.routes.collection}`,
        jsonInit('POST', { name: 'Padded' }, fixturesOf(d).auth(g.tenant.credentials.wooshpay ?? {})),
      );

    answer = { status: 200, body: padded(crypto.randomUUID()) };
    const accepted = await post(gw);
    expect(accepted.status, await accepted.clone().text()).toBe(200);

    answer = { status: 200, body: padded(crypto.randomUUID()) };
    const refused = await post(small);
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({ error: { type: 'api_error', message: expect.stringMatching(/more than a customer/) } });
    const db = queryBuilder(small.store.executor.backend);
    expect(
      await small.store.executor.all(db.selectFrom('customers').select('id').where('tenant_id', '=', small.tenant.tenant.id).compile()),
    ).toEqual([]);
  });

  it('is refused at start outside 64 KiB to 64 MiB', () => {
    for (const value of ['1000', String(128 * 1024 * 1024), 'lots']) {
      expect(() => loadConfig({ ...testEnv, CUSTGATE_UPSTREAM_MAX_ANSWER_BYTES: value })).toThrow(/CUSTGATE_UPSTREAM_MAX_ANSWER_BYTES/);
    }
    expect(loadConfig({ ...testEnv, CUSTGATE_UPSTREAM_MAX_ANSWER_BYTES: String(4 * 1024 * 1024) }).upstreamMaxAnswerBytes).toBe(
      4 * 1024 * 1024,
    );
  });
});

describe('a proxy upstream answering with another customer than the one written', () => {
  // A provider (or a cache or router in front of it) that answers an update or a read of one
  // customer with another one's: the write is not known to have reached the customer asked for,
  // and the other customer's values are not this one's. Before, the answer was stored as this
  // customer's state and the client told 200 with the other customer's name.
  const zenskar = (id: string, name: string) =>
    JSON.stringify({ id, external_id: null, customer_name: name, custom_data: {}, email: null, phone_number: null });
  const ours = '7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2d01';
  const theirs = '7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2d02';
  const d = dialects.wooshpay;
  const auth = () => fixturesOf(d).auth(gw.tenant.credentials.wooshpay ?? {});

  it('an update answered with another customer is a 502 naming both ids, and nothing changes here; so is a refresh', async () => {
    answer = { status: 200, body: zenskar(ours, 'Ours') };
    const created = await gw.request(`${d.routes.prefix}${d.routes.collection}`, jsonInit('POST', { name: 'Ours' }, auth()));
    expect(created.status, await created.clone().text()).toBe(200);
    const id = ((await created.json()) as { id: string }).id;
    const before = await gw.canonical(id);
    expect(before.name).toBe('Ours');

    answer = { status: 200, body: zenskar(theirs, 'Somebody Else') };
    const updated = await gw.request(`${d.routes.prefix}${d.routes.collection}/${id}`, jsonInit('POST', { name: 'Renamed' }, auth()));
    const error = ((await updated.json()) as { error: { type: string; message: string } }).error;
    expect(updated.status).toBe(502);
    expect(error.type).toBe('api_error');
    expect(error.message).toContain(theirs);
    expect(error.message).toContain(ours);
    const refreshed = await gw.request(`/gateway/v1/customers/${id}?refresh=true`, { headers: auth() });
    expect(refreshed.status).toBe(502);
    expect(await refreshed.text()).toContain(theirs);

    const after = await gw.canonical(id);
    expect(after.name).toBe('Ours');
    expect(after.version).toBe(before.version);
    const links = await gw.store.upstreams.linksOf(gw.tenant.tenant.id, String(before.ids.uuid));
    expect(links.map((l) => l.remote_id)).toEqual([ours]);

    // The provider answering for the customer again: the write goes through.
    answer = { status: 200, body: zenskar(ours, 'Renamed') };
    const again = await gw.request(`${d.routes.prefix}${d.routes.collection}/${id}`, jsonInit('POST', { name: 'Renamed' }, auth()));
    expect(again.status, await again.clone().text()).toBe(200);
    expect((await gw.canonical(id)).name).toBe('Renamed');
  });
});

describe('a proxy upstream answering a first reference with another customer', () => {
  // A customer only the provider holds is fetched by the id the client named and stored here,
  // linked to the answer's id. An answer showing another customer (a router or cache mixing answers
  // up) would store that one under the name the client used: a 502, nothing stored. An answer that
  // shows the reference as its external id is the customer asked for (its id there is its own).
  const zenskar = (id: string, externalId: string | null) =>
    JSON.stringify({ id, external_id: externalId, customer_name: 'Known There', custom_data: {}, email: null, phone_number: null });
  const asked = '7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2e01';
  const theirs = '7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2e02';
  const d = dialects.zenskar;
  const auth = () => fixturesOf(d).auth(gw.tenant.credentials.zenskar ?? {});

  it('a 502 naming both ids, and nothing stored or linked', async () => {
    answer = { status: 200, body: zenskar(theirs, null) };
    const before = await localCount();
    const res = await gw.request(`${d.routes.prefix}${d.routes.collection}/${asked}`, { headers: auth() });
    const text = await res.text();
    expect(res.status, text).toBe(502);
    expect(text).toContain(theirs);
    expect(text).toContain(asked);
    expect(await localCount()).toBe(before);
  });

  it('an answer showing the reference as its external id is taken', async () => {
    const own = '7b0c5a4e-2f55-4f0e-9a57-0c1f6f3f2e03';
    answer = { status: 200, body: zenskar(own, asked) };
    const before = await localCount();
    const res = await gw.request(`${d.routes.prefix}${d.routes.collection}/${asked}`, { headers: auth() });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { id: string }).id).toBe(own);
    expect(await localCount()).toBe(before + 1);
  });
});
