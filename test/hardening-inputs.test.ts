import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { fieldDefaults } from '../schemas/index.ts';
import { GatewayError } from '../src/contract/errors.ts';
import { createApp } from './support/registered.ts';
import { loadConfig } from '../src/config.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { jsonInit, type TestGateway, testEnv, testGateway } from './support/gateway.ts';
import { runCli } from './support/processes.ts';
import { testStore } from './support/store.ts';

// Bad input that broke something (issue #13), on whichever backend this project runs.

const all = Object.values(dialects) as AnyDialect[];
const collection = (d: AnyDialect) => `${d.routes.prefix}${d.routes.collection}`;

let gw: TestGateway;
const auth = (d: AnyDialect, tenant = gw.tenant) => fixturesOf(d).auth(tenant.credentials[d.name]!);

async function create(d: AnyDialect, body: unknown = fixturesOf(d).create): Promise<{ id: string; uuid: string }> {
  const res = await gw.request(collection(d), jsonInit('POST', body, auth(d)));
  expect(res.status, await res.clone().text()).toBe(d.wire.createdStatus);
  const id = fixturesOf(d).idOf(await res.json());
  return { id, uuid: (await gw.canonical(id.startsWith('cus_') ? id : String(id))).ids.uuid as string };
}

beforeAll(async () => {
  gw = await testGateway();
});

describe('NUL characters', () => {
  it('in a path id: 404 in every dialect and the gateway API', async () => {
    for (const d of all) {
      const res = await gw.request(`${collection(d)}/abc%00def`, { headers: auth(d) });
      expect(res.status, d.name).toBe(404);
    }
    const res = await gw.request('/gateway/v1/customers/abc%00def', { headers: auth(dialects.wooshpay) });
    expect(res.status).toBe(404);
  });

  it('in an alias or external_id: 400 in the dialect’s envelope, nothing written', async () => {
    const meteroid = await gw.request(
      collection(dialects.meteroid),
      jsonInit('POST', { ...(fixturesOf(dialects.meteroid).create as object), alias: 'a\u0000b' }, auth(dialects.meteroid)),
    );
    expect(meteroid.status).toBe(400);
    expect(await meteroid.json()).toMatchObject({ code: 'BAD_REQUEST' });
    const zenskar = await gw.request(
      collection(dialects.zenskar),
      jsonInit('POST', { ...(fixturesOf(dialects.zenskar).create as object), external_id: 'e\u0000x' }, auth(dialects.zenskar)),
    );
    expect(zenskar.status).toBe(422);
    expect(((await zenskar.json()) as { detail: { loc: string[] }[] }).detail[0]!.loc).toEqual(['body', 'external_id']);
  });
});

describe('dialect names from the outside', () => {
  it('answers 400 naming the unknown dialect for __proto__, toString, constructor, hasOwnProperty', async () => {
    for (const name of ['__proto__', 'toString', 'constructor', 'hasOwnProperty']) {
      for (const query of [`from=${name}&to=wooshpay`, `from=wooshpay&to=${name}`]) {
        const res = await gw.request(`/gateway/v1/translate?${query}`, jsonInit('POST', { name: 'x' }, auth(dialects.wooshpay)));
        expect(res.status, query).toBe(400);
        expect(((await res.json()) as { error: { message: string } }).error.message).toContain(`Unknown dialect '${name}'`);
      }
    }
  });

  it('custgate translate --from __proto__ exits with the same message, not a crash', async () => {
    const error = await runCli(['translate', '--from', '__proto__', '--to', 'wooshpay', '/dev/null'], {}).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(error?.code).toBe(2);
    expect(error?.stderr).toContain("Unknown dialect '__proto__'");
  }, 30_000);
});

describe('lone surrogates', () => {
  it('are refused (400) instead of being stored as something other than what was shown', async () => {
    const res = await gw.request('/v1/customers', {
      method: 'POST',
      headers: { ...auth(dialects.wooshpay), 'content-type': 'application/json' },
      body: '{"name":"x\\ud800"}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const alias = await gw.request(collection(dialects.meteroid), {
      method: 'POST',
      headers: { ...auth(dialects.meteroid), 'content-type': 'application/json' },
      body: '{"name":"Acme","currency":"EUR","alias":"x\\udc00y"}',
    });
    expect(alias.status).toBe(400);
    const key = await gw.request('/v1/customers', {
      method: 'POST',
      headers: { ...auth(dialects.wooshpay), 'content-type': 'application/json' },
      body: '{"metadata":{"k\\ud800":"v"}}',
    });
    expect(key.status).toBe(400);
  });

  it('a well-formed pair (an emoji) is stored and shown alike', async () => {
    const { id } = await create(dialects.wooshpay, { name: 'x😀' });
    expect((await gw.canonical(id)).name).toBe('x😀');
  });
});

describe('form bodies whose percent-encoding does not decode', () => {
  it('are refused (400) in the Stripe-like dialects instead of storing the escapes as text', async () => {
    for (const d of [dialects.wooshpay, dialects.connhex]) {
      const { id, uuid } = await create(d, { name: 'Before' });
      for (const body of ['name=%FF', 'name=%E0%A4%A', 'name=100%', 'name=%ED%A0%80', 'metadata[%FF]=x']) {
        const res = await gw.request(`${collection(d)}/${id}`, {
          method: 'POST',
          headers: { ...auth(d), 'content-type': 'application/x-www-form-urlencoded' },
          body,
        });
        expect(res.status, `${d.name} ${body}`).toBe(400);
        expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/percent-encoded/);
      }
      const after = await gw.canonical(uuid);
      expect(after.name).toBe('Before');
      expect(after.metadata).toEqual({});
      expect(after.version).toBe(1);
    }
  });

  it('still decodes what is well-formed: %-escapes, + as a space, brackets escaped or not', async () => {
    const { id, uuid } = await create(dialects.wooshpay, { name: 'Before' });
    const res = await gw.request(`/v1/customers/${id}`, {
      method: 'POST',
      headers: { ...auth(dialects.wooshpay), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Jos%C3%A9+M%2B&metadata%5Bplan%5D=gold&metadata[pct]=50%25',
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const after = await gw.canonical(uuid);
    expect(after.name).toBe('José M+');
    expect(after.metadata).toEqual({ plan: 'gold', pct: '50%' });
  });
});

describe('a form parameter given both as a value and as a hash', () => {
  it('is refused in either order (400 naming it), not resolved by the order: nothing written', async () => {
    const { id, uuid } = await create(dialects.wooshpay, { name: 'Both', metadata: { keep: '1' }, address: { line1: '1 Main St' } });
    const before = await gw.canonical(uuid);
    const cases = [
      ['metadata=&metadata[k]=v', 'metadata'],
      ['metadata[k]=v&metadata=', 'metadata'],
      ['address[city]=Berlin&address=', 'address'],
      ['address=&address[city]=Berlin', 'address'],
      ['shipping[address]=&shipping[address][line1]=Dock', 'shipping[address]'],
    ] as const;
    for (const [body, param] of cases) {
      const res = await gw.request(`/v1/customers/${id}`, {
        method: 'POST',
        headers: { ...auth(dialects.wooshpay), 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'parameter_invalid_type', param } });
    }
    expect(await gw.canonical(uuid)).toEqual(before);
  });
});

describe('a compressed request body', () => {
  it('is refused as compressed, in each dialect’s envelope, not read as text; nothing written', async () => {
    for (const d of all) {
      const { id, uuid } = await create(d);
      const before = await gw.canonical(uuid);
      const body = new Uint8Array(
        await new Response(
          new Blob([JSON.stringify(fixturesOf(d).setName('Zipped'))]).stream().pipeThrough(new CompressionStream('gzip')),
        ).arrayBuffer(),
      );
      const res = await gw.request(`${collection(d)}/${id}`, {
        method: d.routes.update,
        headers: { ...auth(d), 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body,
      });
      const expected = d.wire.renderError(new GatewayError('malformed_body', 'x'));
      expect(res.status, d.name).toBe(expected.status);
      const text = await res.text();
      expect(Object.keys(JSON.parse(text) as object).sort(), text).toEqual(Object.keys(expected.body as object).sort());
      if (d.name !== 'zenskar' && d.name !== 'bigcapital') expect(text, d.name).toMatch(/Content-Encoding gzip is not supported/);
      // A body declared compressed that is not is refused too, rather than guessed at.
      const plain = await gw.request(`${collection(d)}/${id}`, {
        ...jsonInit(d.routes.update, fixturesOf(d).setName('Zipped'), auth(d)),
        headers: { ...auth(d), 'content-type': 'application/json', 'content-encoding': 'br' },
      });
      expect(plain.status, d.name).toBe(expected.status);
      expect(await gw.canonical(uuid)).toEqual(before);
    }
  });
});

describe('a JSON array where a Stripe-like dialect takes a hash', () => {
  it('is refused as the wrong type (400 naming it), not read as an empty hash that clears', async () => {
    const full = { name: 'Hashes', address: { line1: '1 Main St', country: 'DE' } };
    const cases: [AnyDialect, Record<string, unknown>, Record<string, unknown>, string][] = [
      [dialects.wooshpay, { ...full, shipping: { name: 'Dock', address: { line1: 'Dock 4' } } }, { shipping: [] }, 'shipping'],
      [dialects.wooshpay, full, { address: [] }, 'address'],
      [
        dialects.wooshpay,
        { ...full, shipping: { name: 'Dock', address: { line1: 'Dock 4' } } },
        { shipping: { name: 'Dock', address: [] } },
        'shipping[address]',
      ],
      [dialects.connhex, full, { address: [] }, 'address'],
    ];
    for (const [d, body, update, param] of cases) {
      const { id, uuid } = await create(d, body);
      const before = await gw.canonical(uuid);
      const res = await gw.request(`${collection(d)}/${id}`, jsonInit('POST', update, auth(d)));
      expect(res.status, `${d.name} ${JSON.stringify(update)}`).toBe(400);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'parameter_invalid_type', param } });
      expect(await gw.canonical(uuid)).toEqual(before);
    }
  });
});

describe('a JSON body that is not an object, in a Stripe-like dialect', () => {
  it('is refused (400 saying so), not read as no parameters: no update, no blank customer', async () => {
    for (const d of [dialects.wooshpay, dialects.connhex]) {
      const { id, uuid } = await create(d);
      const before = await gw.canonical(uuid);
      for (const body of ['[]', '["name","x"]', '"name=x"', '7']) {
        for (const path of [`${collection(d)}/${id}`, collection(d)]) {
          const res = await gw.request(path, { method: 'POST', headers: { ...auth(d), 'content-type': 'application/json' }, body });
          expect(res.status, `${d.name} ${path} ${body}`).toBe(400);
          expect(await res.json()).toEqual({
            error: {
              type: 'invalid_request_error',
              code: 'parameter_invalid_type',
              message: 'The request body must be a JSON object of parameters, or a form.',
            },
          });
        }
      }
      expect(await gw.canonical(uuid)).toEqual(before);
    }
  });
});

describe('JSON numbers a double cannot hold exactly', () => {
  it('are refused where they would be kept (Zenskar custom_data, Stripe metadata), not stored as other digits', async () => {
    const cases: [AnyDialect, string, string, number][] = [
      [dialects.zenskar, '{"custom_data":{"crm_id":12345678901234567890}}', 'custom_data', 422],
      [dialects.zenskar, '{"custom_data":{"deep":{"list":[1e400]}}}', 'custom_data', 422],
      [dialects.wooshpay, '{"metadata":{"crm_id":12345678901234567890}}', 'metadata', 400],
      [dialects.wooshpay, '{"metadata":{"x":-1e400}}', 'metadata', 400],
    ];
    for (const [d, body, field, status] of cases) {
      const { id, uuid } = await create(d);
      const before = await gw.canonical(uuid);
      const res = await gw.request(`${collection(d)}/${id}`, {
        method: d.routes.update,
        headers: { ...auth(d), 'content-type': 'application/json' },
        body,
      });
      const text = await res.text();
      expect(res.status, `${d.name} ${body}: ${text}`).toBe(status);
      expect(text).toContain(field);
      expect(await gw.canonical(uuid)).toEqual(before);
    }
    // Within ±(2^53 - 1), integers and fractions are kept as sent.
    const { id, uuid } = await create(dialects.zenskar);
    const res = await gw.request(`${collection(dialects.zenskar)}/${id}`, {
      method: 'PATCH',
      headers: { ...auth(dialects.zenskar), 'content-type': 'application/json' },
      body: '{"custom_data":{"max":9007199254740991,"min":-9007199254740991,"f":0.1}}',
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await gw.canonical(uuid)).metadata).toEqual({ max: 9007199254740991, min: -9007199254740991, f: 0.1 });
  });
});

describe('Wooshpay credentials with trailing text', () => {
  it('refuses `Bearer <key> garbage` and `Basic <b64> extra` (401), accepts the clean forms', async () => {
    const key = gw.tenant.credentials.wooshpay!.secret_key!;
    const basic = btoa(`${key}:`);
    for (const authorization of [`Bearer ${key} trailing-garbage`, `Basic ${basic} extra`, `Bearer ${key} ${key}`]) {
      expect((await gw.request('/v1/customers/cus_nothing', { headers: { authorization } })).status, authorization).toBe(401);
    }
    for (const authorization of [`Bearer ${key}`, `Basic ${basic}`, `  Bearer   ${key}  `]) {
      expect((await gw.request('/v1/customers/cus_nothing', { headers: { authorization } })).status, authorization).toBe(404);
    }
  });
});

describe('Zenskar external_id that is another customer’s UUID', () => {
  it('is refused on create and update, so a path names one customer only', async () => {
    const zenskar = dialects.zenskar;
    const a = await create(zenskar, { customer_name: 'A' });
    const b = await create(zenskar, { customer_name: 'B' });
    const patch = await gw.request(`/zenskar/customers/${a.uuid}`, jsonInit('PATCH', { external_id: b.uuid }, auth(zenskar)));
    expect(patch.status).toBe(422);
    const upper = await gw.request(`/zenskar/customers/${a.uuid}`, jsonInit('PATCH', { external_id: b.uuid.toUpperCase() }, auth(zenskar)));
    expect(upper.status).toBe(422);
    const created = await gw.request(collection(zenskar), jsonInit('POST', { customer_name: 'C', external_id: b.uuid }, auth(zenskar)));
    expect(created.status).toBe(422);
    // The customer's own UUID, or a UUID no customer has, is fine.
    expect((await gw.request(`/zenskar/customers/${a.uuid}`, jsonInit('PATCH', { external_id: a.uuid }, auth(zenskar)))).status).toBe(200);
    expect(
      (await gw.request(`/zenskar/customers/${a.uuid}`, jsonInit('PATCH', { external_id: crypto.randomUUID() }, auth(zenskar)))).status,
    ).toBe(200);
    const viaB = await gw.request(`/zenskar/customers/${b.uuid}`, jsonInit('PATCH', { customer_name: 'Still B' }, auth(zenskar)));
    expect(((await viaB.json()) as { customer_name: string }).customer_name).toBe('Still B');
    expect((await gw.canonical(a.uuid)).name).toBe('A');
  });
});

describe('a valid token for a tenant that does not exist', () => {
  it('answers 401, not a conflict after retries (foreign keys classified by code)', async () => {
    const secret = 'an-operator-secret-of-at-least-32-bytes!';
    const store = await testStore();
    const app = createApp({ store, config: loadConfig({ ...testEnv, CUSTGATE_JWT_SECRET: secret }), logger: { error: () => undefined } });
    const ghost = crypto.randomUUID();
    // The tenant's key as the gateway derives it from CUSTGATE_JWT_SECRET: a token only the operator could make.
    const master = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    const key = new Uint8Array(await crypto.subtle.sign('HMAC', master, new TextEncoder().encode(`custgate-jwt:${ghost}`)));
    const token = await new SignJWT({ tenant: ghost, permissions: ['pay:customers:update'] })
      .setProtectedHeader({ alg: 'HS256', kid: ghost })
      .setIssuer('custgate')
      .setAudience('custgate:connhex')
      .setSubject('svc')
      .setExpirationTime('1h')
      .sign(key);
    const res = await app.request('/connhex/customers', jsonInit('POST', { name: 'Ghost' }, { authorization: `Bearer ${token}` }));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });
});

describe('bounded growth', () => {
  it('Wooshpay keeps a customer at 50 metadata keys, as Stripe does (400 naming metadata)', async () => {
    // Connhex carries no metadata; Wooshpay is the Stripe-like dialect that does.
    for (const d of [dialects.wooshpay]) {
      const keys = (from: number, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${from + i}`, 'v']));
      const { id } = await create(d, { name: 'Meta', metadata: keys(0, 30) });
      const path = `${collection(d)}/${id}`;
      const over = await gw.request(path, jsonInit('POST', { metadata: keys(30, 30) }, auth(d)));
      expect(over.status, d.name).toBe(400);
      expect(((await over.json()) as { error: { param: string } }).error.param).toBe('metadata');
      expect(Object.keys((await gw.canonical(id)).metadata as object)).toHaveLength(30);
      expect((await gw.request(path, jsonInit('POST', { metadata: keys(30, 20) }, auth(d)))).status).toBe(200);
      // Replacing a value, or deleting, at the limit is fine.
      expect((await gw.request(path, jsonInit('POST', { metadata: { k0: 'w', k1: '' } }, auth(d)))).status).toBe(200);
      for (const bad of [{ ['x'.repeat(41)]: 'v' }, { k: 'v'.repeat(501) }]) {
        expect((await gw.request(path, jsonInit('POST', { metadata: bad }, auth(d)))).status).toBe(400);
      }
    }
  });

  it('caps a customer’s stored size in every dialect, refused in its own envelope (413)', async () => {
    const base = new TextEncoder().encode(JSON.stringify({ ...fieldDefaults, name: 'x' })).byteLength;
    const capped = await testGateway({ CUSTGATE_MAX_CUSTOMER_BYTES: String(base + 400) });
    for (const d of all) {
      const res = await capped.request(
        collection(d),
        jsonInit('POST', fixturesOf(d).create, fixturesOf(d).auth(capped.tenant.credentials[d.name]!)),
      );
      expect(res.status, d.name).toBe(d.wire.createdStatus);
      const ref = fixturesOf(d).idOf(await res.json());
      const path = `${collection(d)}/${ref}`;
      const big = await capped.request(
        path,
        jsonInit(d.routes.update, fixturesOf(d).setName('n'.repeat(250)), fixturesOf(d).auth(capped.tenant.credentials[d.name]!)),
      );
      // Plus the example's own fields, 250 more bytes exceed the cap.
      const small = await capped.request(
        path,
        jsonInit(d.routes.update, fixturesOf(d).setName('short'), fixturesOf(d).auth(capped.tenant.credentials[d.name]!)),
      );
      expect(small.status, d.name).toBe(200);
      expect([413], `${d.name}: ${await big.clone().text()}`).toContain(big.status);
    }
  });

  it('records only the metadata keys that changed in the history, not the whole map', async () => {
    const d = dialects.wooshpay;
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`key${i}`, 'x'.repeat(400)]));
    const { id } = await create(d, { name: 'History', metadata: big });
    expect((await gw.request(`/v1/customers/${id}`, jsonInit('POST', { metadata: { key3: 'changed', key39: '' } }, auth(d)))).status).toBe(
      200,
    );
    const res = await gw.request(`/gateway/v1/customers/${id}/events`, { headers: auth(d) });
    const { data } = (await res.json()) as { data: { changes: { field: string; before: unknown; after: unknown }[] }[] };
    expect(data[1]!.changes).toEqual([
      { field: 'metadata', before: { key3: 'x'.repeat(400), key39: 'x'.repeat(400) }, after: { key3: 'changed', key39: null } },
    ]);
  });

  it('refuses a form body with more parameters than it would apply (400 naming the limit)', async () => {
    const { id } = await create(dialects.wooshpay, { name: 'Form' });
    const res = await gw.request(`/v1/customers/${id}`, {
      method: 'POST',
      headers: { ...auth(dialects.wooshpay), 'content-type': 'application/x-www-form-urlencoded' },
      body: `${'&'.repeat(1000)}name=SMUGGLED`,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('1000');
    expect((await gw.canonical(id)).name).toBe('Form');
  });

  it('drops history older than the retention when purged', async () => {
    const { id, uuid } = await create(dialects.wooshpay, { name: 'Old' });
    expect(await gw.store.purgeEventsBefore(new Date(Date.now() + 60_000).toISOString())).toBeGreaterThan(0);
    expect(await gw.store.listEvents(gw.tenant.tenant.id, uuid)).toEqual([]);
    // The customer lives on and takes updates: versions continue past the purged rows.
    expect((await gw.request(`/v1/customers/${id}`, jsonInit('POST', { name: 'New' }, auth(dialects.wooshpay)))).status).toBe(200);
    expect((await gw.store.listEvents(gw.tenant.tenant.id, uuid)).map((e) => Number(e.version))).toEqual([2]);
  });
});
