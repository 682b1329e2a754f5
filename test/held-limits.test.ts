import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../dialects/index.ts';
import { diffFields } from '../src/core/index.ts';
import { StoreBusy } from '../src/store/executor.ts';
import { dialectList, fixturesOf } from '../src/contract/registry.ts';
import { type CanonicalView, fieldsOf, itemPath, update } from './support/dialect-harness.ts';
import { echoBody } from './support/echo.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';

// A dialect's own limits bind what a write changes (docs/seams.md): a customer written through a
// dialect that allows more (Zenskar's custom_data has no limit, only Connhex limits a name or a
// phone, Bigcapital's workPhone is 5000 characters) reads and writes back through every dialect
// unchanged; a changed or new value past the limit is refused as it always was.

const dialects = dialectList(registry);
const named = (name: string) => dialects.find((d) => d.name === name)!;
const [wooshpay, connhex, bigcapital, zenskar] = ['wooshpay', 'connhex', 'bigcapital', 'zenskar'].map(named) as [
  ReturnType<typeof named>,
  ReturnType<typeof named>,
  ReturnType<typeof named>,
  ReturnType<typeof named>,
];

const long = (n: number, c = 'x') => c.repeat(n);
/** The widest each limit is crossed by: past Stripe's 500/40/50 metadata, Connhex's 256/20, Bigcapital's 5000. */
const wide = {
  name: long(300, 'n'),
  phone: long(5100, '5'),
  metadata: {
    ...Object.fromEntries(Array.from({ length: 55 }, (_, i) => [`k${i}`, `v${i}`])),
    long: long(600, 'l'),
    [long(60, 'K')]: 'short',
    // Shown through Wooshpay as JSON text past 500 characters.
    object: { text: long(520, 'o') },
  },
};

let gw: TestGateway;
beforeAll(async () => {
  gw = await testGateway();
});

/** A customer written through Zenskar (no limit on custom_data, a name or a phone). */
async function writtenThroughZenskar(extra: Record<string, unknown> = {}): Promise<CanonicalView> {
  const auth = fixturesOf(zenskar, registry).auth(gw.tenant.credentials.zenskar!);
  const res = await gw.request(`${zenskar.routes.prefix}${zenskar.routes.collection}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ customer_name: wide.name, phone_number: wide.phone, custom_data: wide.metadata, ...extra }),
  });
  expect(res.status).toBe(zenskar.wire.createdStatus);
  const { id } = (await res.json()) as { id: string };
  return gw.canonical(id);
}

async function read(dialect: ReturnType<typeof named>, view: CanonicalView): Promise<Record<string, unknown>> {
  const auth = fixturesOf(dialect, registry).auth(gw.tenant.credentials[dialect.name]!);
  const res = await gw.request(itemPath(dialect, view.ids, registry), { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('read-echo at the widest limits', () => {
  it.each(dialects.map((d) => [d.name, d] as const))(
    'a customer written past the limits writes back through %s unchanged',
    async (_, echo) => {
      const before = await writtenThroughZenskar();
      const body = echoBody(echo, fixturesOf(echo, registry), await read(echo, before));
      const res = await update(gw, echo, before.ids, body);
      expect(res.status, `${echo.name} echo: ${await res.clone().text()}`).toBe(200);
      const after = await gw.canonical(before.ids.uuid as string);
      expect(diffFields(fieldsOf(before), fieldsOf(after))).toEqual([]);
      expect(after.version).toBe(before.version);
    },
  );
});

/** What `dialect` answers `body` for a customer holding none of the long values: the refusal as it always was. */
async function refusedFresh(dialect: ReturnType<typeof named>, body: unknown): Promise<{ status: number; body: unknown }> {
  const auth = fixturesOf(zenskar, registry).auth(gw.tenant.credentials.zenskar!);
  const res = await gw.request(`${zenskar.routes.prefix}${zenskar.routes.collection}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ customer_name: 'Fresh' }),
  });
  const fresh = await gw.canonical(((await res.json()) as { id: string }).id);
  const answer = await update(gw, dialect, fresh.ids, body);
  return { status: answer.status, body: await answer.json() };
}

describe('Wooshpay metadata past Stripe limits', () => {
  it('the usual read-modify-write (the whole hash sent back, one key added) is taken', async () => {
    const before = await writtenThroughZenskar({ custom_data: { long: long(600, 'l'), object: { text: long(520, 'o') } } });
    const shown = (await read(wooshpay, before)).metadata as Record<string, string>;
    const res = await update(gw, wooshpay, before.ids, { metadata: { ...shown, plan: 'gold' } });
    expect(res.status, await res.clone().text()).toBe(200);
    const after = await gw.canonical(before.ids.uuid as string);
    // The object written through Zenskar stays an object: its text sent back keeps it.
    expect(after.metadata).toEqual({ long: long(600, 'l'), object: { text: long(520, 'o') }, plan: 'gold' });
  });

  it('a changed value past 500 characters is refused, as it always was, and nothing is written', async () => {
    const before = await writtenThroughZenskar();
    const body = { metadata: { long: long(600, 'm') } };
    const res = await update(gw, wooshpay, before.ids, body);
    expect({ status: res.status, body: await res.json() }).toEqual(await refusedFresh(wooshpay, body));
    expect(res.status).toBe(400);
    expect((await gw.canonical(before.ids.uuid as string)).version).toBe(before.version);
  });

  it('a new key past 40 characters, or a new key with a value past 500, is refused', async () => {
    const before = await writtenThroughZenskar();
    for (const metadata of [{ [long(41, 'N')]: 'a' }, { fresh: long(501) }]) {
      const res = await update(gw, wooshpay, before.ids, { metadata });
      expect({ status: res.status, body: await res.json() }).toEqual(await refusedFresh(wooshpay, { metadata }));
    }
    expect((await gw.canonical(before.ids.uuid as string)).version).toBe(before.version);
  });

  it('a held value beside a changed one: the refusal names the changed one', async () => {
    const before = await writtenThroughZenskar();
    const res = await update(gw, wooshpay, before.ids, { metadata: { long: long(600, 'l'), fresh: long(501) } });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { param: string } };
    expect(error.param).toBe('metadata[fresh]');
  });

  it('more than 50 keys sent back with one value changed is taken; 51 changed keys are not', async () => {
    const before = await writtenThroughZenskar();
    const shown = (await read(wooshpay, before)).metadata as Record<string, string>;
    const ok = await update(gw, wooshpay, before.ids, { metadata: { ...shown, k0: 'changed' } });
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect((await gw.canonical(before.ids.uuid as string)).metadata).toMatchObject({ k0: 'changed', k1: 'v1' });
    const changed = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, `w${i}`]));
    const refused = await update(gw, wooshpay, before.ids, { metadata: changed });
    expect({ status: refused.status, body: await refused.json() }).toEqual(await refusedFresh(wooshpay, { metadata: changed }));
  });

  it('a held key can be deleted; a form body is read alike', async () => {
    const before = await writtenThroughZenskar();
    const auth = fixturesOf(wooshpay, registry).auth(gw.tenant.credentials.wooshpay!);
    const form = new URLSearchParams({ [`metadata[${long(60, 'K')}]`]: '', 'metadata[long]': long(600, 'l') });
    const res = await gw.request(itemPath(wooshpay, before.ids, registry), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth },
      body: form.toString(),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(Object.keys((await gw.canonical(before.ids.uuid as string)).metadata as object)).not.toContain(long(60, 'K'));
  });
});

describe('Connhex name and phone, Bigcapital workPhone', () => {
  it('Connhex takes back the name and phone the customer holds; a changed one past 256 or 20 is refused', async () => {
    const before = await writtenThroughZenskar();
    const held = await update(gw, connhex, before.ids, { name: wide.name, phone: wide.phone, email: 'held@example.com' });
    expect(held.status, await held.clone().text()).toBe(200);
    const after = await gw.canonical(before.ids.uuid as string);
    expect([after.name, after.phone, after.email]).toEqual([wide.name, wide.phone, 'held@example.com']);
    for (const body of [{ name: long(257, 'm') }, { phone: long(21, '6') }]) {
      const res = await update(gw, connhex, before.ids, body);
      expect({ status: res.status, body: await res.json() }).toEqual(await refusedFresh(connhex, body));
    }
    const mixed = await update(gw, connhex, before.ids, { name: wide.name, phone: long(21, '6') });
    expect(mixed.status).toBe(400);
    expect(((await mixed.json()) as { error: { param: string } }).error.param).toBe('phone');
    expect((await gw.canonical(before.ids.uuid as string)).version).toBe(after.version);
  });

  it('Bigcapital takes back a workPhone past 5000 characters the customer holds; a changed one is refused', async () => {
    const before = await writtenThroughZenskar();
    const base = { customerType: 'business', displayName: wide.name };
    const held = await update(gw, bigcapital, before.ids, { ...base, workPhone: wide.phone, website: 'example.com' });
    expect(held.status, await held.clone().text()).toBe(200);
    const body = { ...base, workPhone: long(5001, '7') };
    const res = await update(gw, bigcapital, before.ids, body);
    expect({ status: res.status, body: await res.json() }).toEqual(await refusedFresh(bigcapital, body));
  });
});

describe('what a held value does not change', () => {
  it('If-Match: a stale version is a 412, a changed value past the limit still a 400', async () => {
    const before = await writtenThroughZenskar();
    const stale = { 'if-match': `"v${before.version - 1}"` };
    const held = await update(gw, connhex, before.ids, { name: wide.name }, stale);
    expect(held.status).toBe(412);
    const changed = await update(gw, connhex, before.ids, { name: long(257, 'm') }, stale);
    expect(changed.status).toBe(400);
    const current = await update(gw, connhex, before.ids, { name: wide.name }, { 'if-match': `"v${before.version}"` });
    expect(current.status).toBe(200);
  });

  it('an unknown customer, or another tenant’s, is refused as before: a 400 for the value, not a 404', async () => {
    const before = await writtenThroughZenskar();
    const body = { name: wide.name };
    const missing = await update(gw, connhex, { ...before.ids, public_id: 'cus_missing', uuid: crypto.randomUUID() }, body);
    expect({ status: missing.status, body: await missing.json() }).toEqual(await refusedFresh(connhex, body));
    const auth = fixturesOf(connhex, registry).auth(gw.other.credentials.connhex!);
    const res = await gw.request(itemPath(connhex, before.ids, registry), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
  });

  it('a store that fails as the customer is read: its 503, as a read answers, not a 400 for the values', async () => {
    const before = await writtenThroughZenskar();
    const auth = fixturesOf(connhex, registry).auth(gw.tenant.credentials.connhex!);
    const findCustomer = gw.store.findCustomer;
    // Another writer holds the database past the busy timeout (src/store/executor.ts).
    gw.store.findCustomer = () => Promise.reject(new StoreBusy());
    try {
      // A held value beside a fault: the customer is read to tell which is which.
      const res = await update(gw, connhex, before.ids, { name: wide.name, address: 'nowhere' });
      const read = await gw.request(itemPath(connhex, before.ids, registry), { headers: auth });
      expect(read.status).toBe(503);
      expect([res.status, res.headers.get('retry-after')], await res.clone().text()).toEqual([503, '1']);
      expect(await res.json()).toEqual(await read.json());
    } finally {
      gw.store.findCustomer = findCustomer;
    }
    expect((await update(gw, connhex, before.ids, { name: wide.name })).status).toBe(200);
  });

  it('an Idempotency-Key replays the answer, even after the held value changed', async () => {
    const before = await writtenThroughZenskar({ custom_data: { long: long(600, 'l') } });
    const key = { 'idempotency-key': crypto.randomUUID() };
    const body = { metadata: { long: long(600, 'l'), plan: 'gold' } };
    const first = await update(gw, wooshpay, before.ids, body, key);
    expect(first.status, await first.clone().text()).toBe(200);
    const changed = await update(gw, zenskar, before.ids, { custom_data: { long: long(700, 'z') } });
    expect(changed.status).toBe(200);
    const again = await update(gw, wooshpay, before.ids, body, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // Without the key, the value is a change now: refused.
    expect((await update(gw, wooshpay, before.ids, body)).status).toBe(400);
  });
});

describe('a held value beside an ordinary fault', () => {
  it.each([
    ['connhex', { name: wide.name, address: 'nowhere' }],
    ['wooshpay', { metadata: { long: long(600, 'l') }, shipping: 'nowhere' }],
    ['bigcapital', { customerType: 'business', displayName: 'Held Co', workPhone: wide.phone, email: 'not-an-email' }],
  ] as const)('%s: the refusal names the fault, not the value the customer holds', async (name, body) => {
    const dialect = named(name);
    const before = await writtenThroughZenskar({ custom_data: { long: long(600, 'l') } });
    const res = await update(gw, dialect, before.ids, body);
    const answer = { status: res.status, body: await res.json() };
    // The same body without the held value: the fault alone, as this dialect refuses it.
    const faultOnly = Object.fromEntries(Object.entries(body).filter(([k]) => !['name', 'metadata', 'workPhone'].includes(k)));
    expect(answer).toEqual(await refusedFresh(dialect, faultOnly));
    expect((await gw.canonical(before.ids.uuid as string)).version).toBe(before.version);
  });

  it('a changed value past its limit beside an ordinary fault: both are named', async () => {
    const before = await writtenThroughZenskar();
    const body = { customerType: 'business', displayName: 'Held Co', workPhone: long(5001, '7'), email: 'not-an-email' };
    const res = await update(gw, bigcapital, before.ids, body);
    expect({ status: res.status, body: await res.json() }).toEqual(await refusedFresh(bigcapital, body));
    expect(JSON.stringify(await refusedFresh(bigcapital, body))).toContain('workPhone');
  });
});
