import { beforeAll, describe, expect, it } from 'vitest';
import { jsonInit, type TestGateway, testGateway } from './support/gateway.ts';

// #27: concurrent creates in one tenant all succeed (the customer number used to be the stored
// maximum plus one, so parallel creates collided and answered 409), each with its own number; and
// a list walk started while creates are still running returns every customer that existed when it
// started exactly once. CUSTGATE_CONCURRENT_CREATES sets how many run at once.

const PARALLEL = Number(process.env.CUSTGATE_CONCURRENT_CREATES ?? 60);
let gw: TestGateway;
const wooshpay = () => ({ authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` });
const bigcapital = () => ({ authorization: `Bearer ${gw.tenant.credentials.bigcapital!.api_key}` });

const create = (name: string) => gw.request('/v1/customers', jsonInit('POST', { name }, wooshpay()));

beforeAll(async () => {
  gw = await testGateway();
});

describe('concurrent creates in one tenant', () => {
  it(`${PARALLEL} creates at once all succeed, each with its own number`, async () => {
    const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => create(`Parallel ${i}`)));
    const bodies = await Promise.all(answers.map(async (res) => ({ status: res.status, body: (await res.json()) as { id: string } })));
    expect(bodies.filter((b) => b.status !== 200)).toEqual([]);
    const rows = await Promise.all(bodies.map((b) => gw.store.findCustomer(gw.tenant.tenant.id, 'public_id', b.body.id)));
    const numbers = rows.map((r) => Number(r!.number));
    expect(new Set(numbers).size).toBe(PARALLEL);
    // Bigcapital names customers by that number: each one reads back as its own customer.
    for (const [i, n] of numbers.slice(0, 5).entries()) {
      const res = await gw.request(`/bigcapital/api/customers/${n}`, { headers: bigcapital() });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { displayName: string }).displayName).toBe(`Parallel ${i}`);
    }
  });
});

describe('a list walk while creates run', () => {
  it('Stripe-like cursors: every customer that existed when the walk started, exactly once', async () => {
    const before = (await gw.store.listCustomers(gw.tenant.tenant.id, { order: 'asc', limit: 10_000 })).map((r) => r.public_id);
    let n = 0;
    const writers: Promise<Response>[] = [];
    const seen: string[] = [];
    let url: string | undefined = '/v1/customers?limit=7';
    for (let pages = 0; url !== undefined; pages++) {
      if (pages > 200) throw new Error('the walk does not end');
      // Creates in flight while each page is read, not only between pages.
      for (let i = 0; i < 4; i++) writers.push(create(`During ${n++}`));
      const body = (await (await gw.request(url, { headers: wooshpay() })).json()) as { data: { id: string }[]; has_more: boolean };
      seen.push(...body.data.map((c) => c.id));
      url = body.has_more ? `/v1/customers?limit=7&starting_after=${body.data.at(-1)!.id}` : undefined;
    }
    expect((await Promise.all(writers)).every((r) => r.status === 200)).toBe(true);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen.filter((s) => s === id)).toHaveLength(1);
  });
});
