import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../dialects/index.ts';
import { type ClientPage, GatewayError } from '../src/contract/dialect.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// #27: every client half walks its provider's customer list page by page (a pure request builder
// and page reader, beside create/update/retrieve). A gateway plays each provider: the walk sees
// every customer of the book exactly once, read into the canonical fields, and a page that is not
// one (no list, an item that is no customer, paging members missing) is an error, never a short walk.

const BOOK = Number(process.env.CUSTGATE_UPSTREAM_LIST_BOOK ?? 150);
let gw: TestGateway;

beforeAll(async () => {
  gw = await testGateway();
  const headers = { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` };
  for (let i = 0; i < BOOK; i++) {
    const res = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: `Book ${i}`, email: `c${i}@example.com` }, headers));
    expect(res.status).toBe(200);
  }
}, 120_000);

describe.each(Object.values(registry))('client half list: $dialect.name', ({ dialect }) => {
  const client = dialect.client;

  it('walks the whole book, each customer once, with its fields', async () => {
    const credentials = gw.tenant.credentials[dialect.name]!;
    const seen = new Map<string, string>();
    let next: string | undefined;
    let pages = 0;
    do {
      const req = client.list!(next, credentials);
      const res = await gw.request(`${dialect.routes.prefix}${req.path}`, { method: req.method, headers: req.headers });
      expect(res.status).toBe(200);
      const page = client.parseList!(await res.json());
      if (page instanceof GatewayError) throw page;
      for (const c of (page as ClientPage).customers) {
        expect(seen.has(c.id), `${c.id} twice`).toBe(false);
        seen.set(c.id, c.patch.name?.op === 'set' ? c.patch.name.value : '');
      }
      next = page.next;
      expect(++pages).toBeLessThanOrEqual(Math.ceil(BOOK / 100) + 1);
    } while (next !== undefined);
    expect(seen.size).toBe(BOOK);
    expect(new Set(seen.values())).toEqual(new Set(Array.from({ length: BOOK }, (_, i) => `Book ${i}`)));
  });

  it('a page that is not one is an error', () => {
    expect(client.parseList!({ nothing: [] })).toBeInstanceOf(GatewayError);
    expect(client.parseList!('<html>')).toBeInstanceOf(GatewayError);
    // A valid envelope with an item that is no customer, and one whose paging is missing.
    const real = { data: [{ id: 'x' }], customers: [{ id: 'x' }] };
    expect(client.parseList!({ ...real, data: [42], customers: [42] })).toBeInstanceOf(GatewayError);
    const noPaging = client.parseList!({ data: [], customers: [], next: 42, has_more: 'yes' });
    expect(noPaging, dialect.name).toBeInstanceOf(GatewayError);
  });
});
