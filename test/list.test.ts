import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { GatewayError } from '../src/contract/errors.ts';
import type { DialectFixtures } from '../src/contract/fixtures.ts';
import type { CreatedTenant } from '../src/gateway/tenants.ts';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// #27: listing a tenant's customers in every dialect, with each provider's own parameters and
// envelope, through the real HTTP surface: a walk page by page returns the whole book exactly
// once, stays exact while customers are created during it, never shows another tenant's
// customers, and bad parameters are refused in the dialect's own error envelope.

type Body = Record<string, unknown>;

/** How a caller walks each provider's list: the first page, the items, the next page (if any). */
interface Walker {
  readonly limitParam: string;
  first(base: string, limit: number): string;
  items(body: Body): unknown[];
  next(body: Body, url: string, fixtures: DialectFixtures): string | undefined;
}

const withParam = (url: string, name: string, value: string | number) => {
  const u = new URL(url, 'http://x');
  u.searchParams.set(name, String(value));
  return `${u.pathname}${u.search}`;
};

const stripeLike: Walker = {
  limitParam: 'limit',
  first: (base, limit) => `${base}?limit=${limit}`,
  items: (body) => body.data as unknown[],
  next: (body, url, fixtures) => {
    const data = body.data as unknown[];
    return body.has_more === true ? withParam(url, 'starting_after', fixtures.idOf(data.at(-1))) : undefined;
  },
};

const walkers: Record<string, Walker> = {
  wooshpay: stripeLike,
  connhex: stripeLike,
  meteroid: {
    limitParam: 'per_page',
    first: (base, limit) => `${base}?per_page=${limit}&page=0`,
    items: (body) => body.data as unknown[],
    next: (body, url) => {
      const meta = body.pagination_meta as { page: number; total_pages: number };
      return meta.page + 1 < meta.total_pages ? withParam(url, 'page', meta.page + 1) : undefined;
    },
  },
  bigcapital: {
    limitParam: 'pageSize',
    first: (base, limit) => `${base}?pageSize=${limit}&page=1`,
    items: (body) => body.customers as unknown[],
    next: (body, url) => {
      const p = body.pagination as { page: number; pageSize: number; total: number };
      return p.page * p.pageSize < p.total ? withParam(url, 'page', p.page + 1) : undefined;
    },
  },
  zenskar: {
    limitParam: 'limit',
    first: (base, limit) => `${base}?limit=${limit}`,
    items: (body) => body.data as unknown[],
    next: (body, url) => (typeof body.next === 'string' ? withParam(url, 'cursor', body.next) : undefined),
  },
};

const BOOK = 23;
let gw: TestGateway;
const byName: Readonly<Record<string, { readonly fixtures: DialectFixtures }>> = registry;
const auth = (name: string) => byName[name]!.fixtures.auth(gw.tenant.credentials[name]!);

async function createCustomers(tenant: CreatedTenant, count: number, tag: string): Promise<void> {
  const headers = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
  for (let i = 0; i < count; i++) {
    const res = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: `${tag} ${i}` }, headers));
    expect(res.status).toBe(200);
  }
}

/** Every customer of the tenant, as the dialect names it in a path. */
async function refsOf(tenant: CreatedTenant, fixtures: DialectFixtures): Promise<string[]> {
  const rows = await gw.store.listCustomers(tenant.tenant.id, { order: 'asc', limit: 10_000 });
  return rows.map((r) => fixtures.ref({ uuid: r.id, public_id: r.public_id, number: Number(r.number) }));
}

async function walk(dialect: AnyDialect, fixtures: DialectFixtures, limit: number, between?: () => Promise<void>) {
  const walker = walkers[dialect.name]!;
  const headers = auth(dialect.name);
  const seen: string[] = [];
  let url: string | undefined = walker.first(`${dialect.routes.prefix}${dialect.routes.collection}`, limit);
  let pages = 0;
  while (url !== undefined) {
    const res = await gw.request(url, { headers });
    const body = (await res.json()) as Body;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(v.safeParse(dialect.wire.list!.response, body).success, JSON.stringify(body)).toBe(true);
    const items = walker.items(body);
    expect(items.length).toBeLessThanOrEqual(limit);
    for (const item of items) {
      expect(v.safeParse(fixtures.response, item).success).toBe(true);
      seen.push(fixtures.idOf(item));
    }
    url = walker.next(body, url, fixtures);
    if (++pages > 100) throw new Error('the walk does not end');
    await between?.();
  }
  return seen;
}

beforeAll(async () => {
  gw = await testGateway();
  await createCustomers(gw.tenant, BOOK, 'book');
  await createCustomers(gw.other, 3, 'other');
});

describe.each(Object.values(registry))('list customers: $dialect.name', ({ dialect, fixtures }) => {
  const walker = walkers[dialect.name]!;
  const base = `${dialect.routes.prefix}${dialect.routes.collection}`;
  // The status this provider gives any invalid parameter.
  const invalidStatus = dialect.wire.renderError(new GatewayError('invalid_request', 'x')).status;

  it('walks the whole book page by page, each customer once, none of another tenant', async () => {
    const seen = await walk(dialect, fixtures, 5);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual((await refsOf(gw.tenant, fixtures)).sort());
  });

  it('a walk started before customers are created returns every one that existed, once', async () => {
    const before = await refsOf(gw.tenant, fixtures);
    let n = 0;
    const seen = await walk(dialect, fixtures, 4, () => createCustomers(gw.tenant, 2, `during ${dialect.name} ${n++}`));
    expect(new Set(seen).size).toBe(seen.length);
    for (const ref of before) expect(seen.filter((s) => s === ref)).toHaveLength(1);
  });

  it('the default page and the largest', async () => {
    const headers = auth(dialect.name);
    const small = walker.items((await (await gw.request(base, { headers })).json()) as Body);
    expect(small.length).toBe(Math.min(dialect.name === 'bigcapital' ? 12 : 10, BOOK));
    const big = await gw.request(`${base}?${walker.limitParam}=100`, { headers });
    expect(big.status).toBe(200);
    expect(walker.items((await big.json()) as Body).length).toBeGreaterThanOrEqual(BOOK);
  });

  it.each(['0', '101', 'ten', '-1', '1.5'])(`refuses ${walker.limitParam}=%s in its own error envelope`, async (value) => {
    const res = await gw.request(`${base}?${walker.limitParam}=${value}`, { headers: auth(dialect.name) });
    const body = await res.json();
    expect(res.status).toBe(invalidStatus);
    expect(v.safeParse(dialect.wire.openapi.errorResponse, body).success, JSON.stringify(body)).toBe(true);
    expect(JSON.stringify(body)).toContain(walker.limitParam);
  });

  // Read into a plain object, these names were there already (its prototype's): skipped, not refused.
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'refuses %s, a name every object has, as any other parameter it does not take',
    async (name) => {
      const res = await gw.request(`${base}?${name}=x`, { headers: auth(dialect.name) });
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBe(invalidStatus);
      expect(v.safeParse(dialect.wire.openapi.errorResponse, body).success).toBe(true);
      expect(JSON.stringify(body)).toContain(name);
    },
  );

  it('refuses a parameter it does not take, and an anonymous caller', async () => {
    const res = await gw.request(`${base}?email__in=a@b.example`, { headers: auth(dialect.name) });
    expect(res.status).toBe(invalidStatus);
    expect(v.safeParse(dialect.wire.openapi.errorResponse, await res.json()).success).toBe(true);
    const anonymous = await gw.request(base);
    expect(anonymous.status).toBe(401);
  });
});

describe('list customers: cursors', () => {
  it("Stripe-like: a cursor naming another tenant's customer names nothing", async () => {
    const { fixtures } = registry.wooshpay!;
    const [foreign] = await refsOf(gw.other, fixtures);
    const res = await gw.request(`/wooshpay/v1/customers?starting_after=${foreign}`, { headers: auth('wooshpay') });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'starting_after' } });
  });

  it('Stripe-like: ending_before walks back to the newest', async () => {
    const { fixtures } = registry.wooshpay!;
    const headers = auth('wooshpay');
    const first = (await (await gw.request('/v1/customers?limit=3', { headers })).json()) as Body;
    const firstIds = (first.data as unknown[]).map((c) => fixtures.idOf(c));
    const second = (await (await gw.request(`/v1/customers?limit=3&starting_after=${firstIds[2]}`, { headers })).json()) as Body;
    const back = (await (
      await gw.request(`/v1/customers?limit=3&ending_before=${fixtures.idOf((second.data as unknown[])[0])}`, { headers })
    ).json()) as Body;
    expect((back.data as unknown[]).map((c) => fixtures.idOf(c))).toEqual(firstIds);
    expect(back).toMatchObject({ object: 'list', has_more: false, url: '/v1/customers' });
    const both = await gw.request(`/v1/customers?starting_after=${firstIds[0]}&ending_before=${firstIds[1]}`, { headers });
    expect(both.status).toBe(400);
  });

  it("Zenskar: a refused limit is located in the query, as FastAPI's loc says, and a cursor naming no customer too", async () => {
    const headers = auth('zenskar');
    const limit = await gw.request('/zenskar/customers?limit=101', { headers });
    expect(limit.status).toBe(422);
    expect(((await limit.json()) as { detail: { loc: unknown }[] }).detail.map((d) => d.loc)).toEqual([['query', 'limit']]);
    const gone = Buffer.from('after:00000000-0000-4000-8000-000000000000').toString('base64');
    const unknown = await gw.request(`/zenskar/customers?cursor=${encodeURIComponent(gone)}`, { headers });
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as { detail: { loc: unknown }[] }).detail[0]?.loc).toEqual(['query', 'cursor']);
    // A body's refusal is still the body's.
    const body = await gw.request('/zenskar/customers', jsonInit('POST', { customer_name: 5 }, headers));
    expect(((await body.json()) as { detail: { loc: unknown[] }[] }).detail[0]?.loc[0]).toBe('body');
  });

  it('Zenskar: a cursor it did not give is refused; previous goes back', async () => {
    const { fixtures } = registry.zenskar!;
    const headers = auth('zenskar');
    const bad = await gw.request('/zenskar/customers?cursor=not-a-cursor', { headers });
    expect(bad.status).toBe(422);
    // FastAPI locates a query parameter's error in the query, not the body.
    expect(((await bad.json()) as { detail: { loc: unknown }[] }).detail[0]?.loc).toEqual(['query', 'cursor']);
    const first = (await (await gw.request('/zenskar/customers?limit=2', { headers })).json()) as Body;
    expect(first.previous).toBeNull();
    const second = (await (await gw.request(`/zenskar/customers?limit=2&cursor=${first.next}`, { headers })).json()) as Body;
    const back = (await (await gw.request(`/zenskar/customers?limit=2&cursor=${second.previous}`, { headers })).json()) as Body;
    expect((back.data as unknown[]).map((c) => fixtures.idOf(c))).toEqual((first.data as unknown[]).map((c) => fixtures.idOf(c)));
    expect(back.total).toBe((await refsOf(gw.tenant, fixtures)).length);
  });
});
