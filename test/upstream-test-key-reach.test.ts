import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyStep } from '../src/upstream/registry.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { drainUntil } from './support/drain-until.ts';
import { jsonInit } from './support/gateway.ts';
import { bottomlessMeteroid, localProvider } from './support/local-provider.ts';
import { addUpstream, type CreatedTenant, createTenant, registeredDialects, reissueCredentials } from './support/registered.ts';
import { type ReplicatingGateway, replicatingGateway } from './support/upstream.ts';

// What a test key is shown of the upstreams of a tenant that has anything live (docs/gateway-api.md,
// "Who may change an upstream"): not the provider's ids no customer here is linked to (the
// provider's live data, as Stripe shows a test key no live object), not a base URL's path, which
// may hold a token; and the creates a mirror recorded are of their customer's mode. A tenant with
// test keys only is shown all of it, as before.

let gw: ReplicatingGateway;
beforeAll(async () => {
  gw = await replicatingGateway();
}, 60_000);
afterAll(async () => {
  await gw?.store.executor.close();
});

const bearer = (key: string | undefined) => ({ authorization: `Bearer ${key}` });

/** A new tenant's test key, and (`live`) a live key issued to it: the tenant is live from then on. */
async function tenantWithKeys(name: string, live: boolean) {
  const tenant = await createTenant(gw.store, gw.config, name);
  const test = bearer(tenant.credentials.wooshpay?.secret_key);
  if (!live) return { tenant, test, live: undefined };
  const wooshpay = registeredDialects.find((d) => d.name === 'wooshpay');
  if (!wooshpay) throw new Error('wooshpay is not registered');
  const issued = await reissueCredentials(gw.store, gw.config, tenant.tenant, wooshpay, { livemode: true });
  return { tenant, test, live: bearer(issued.secret_key) };
}

const meteroidMirror = (tenant: CreatedTenant, baseUrl: string) =>
  addUpstream(gw.store, keyringFor(gw.config, gw.store.upstreams), tenant.tenant.id, {
    dialect: 'meteroid',
    baseUrl,
    mode: 'mirror',
    credentials: { api_key: 'test-key' },
  });

/** A Meteroid holding two customers no gateway created: one of them with a NUL in its name, which no gateway can store. */
const book = localProvider((req, res) => {
  const url = new URL(req.url ?? '/', 'http://provider');
  if (req.method === 'GET' && url.pathname === '/api/v1/customers') {
    const page = Number(url.searchParams.get('page') ?? '0');
    const data =
      page === 0
        ? [
            { id: 'cus_onlythere', name: 'Only There', currency: 'EUR' },
            { id: 'cus_nulthere', name: 'Nul\u0000There', currency: 'EUR' },
          ]
        : [];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data, pagination_meta: { page, per_page: 100, total_items: 2, total_pages: 1 } }));
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: 'NOT_FOUND', message: 'not found' }));
});

interface Reconciled {
  counts: { upstream: number; missing_local: number; refused: number };
  missing_local: string[];
  refused: { upstream_id: string; reason: string }[];
  unlinked_withheld: boolean;
}

async function reconciled(upstreamId: string, auth: Record<string, string>): Promise<Reconciled> {
  const res = await gw.request(`/gateway/v1/upstreams/${upstreamId}/reconciliation`, { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as Reconciled;
}

describe("GET …/reconciliation: the provider's customers no one here is linked to", () => {
  it('are counted, not named, to a test key once the tenant has anything live; a live key is shown them', async () => {
    const { tenant, test, live } = await tenantWithKeys('reach-reconcile-live', true);
    const upstream = await meteroidMirror(tenant, book.base);
    const whole = { upstream: 2, missing_local: 2, refused: 1 };
    const toTest = await reconciled(upstream.id, test);
    expect(toTest).toMatchObject({ counts: whole, missing_local: [], refused: [], unlinked_withheld: true });
    const toLive = await reconciled(upstream.id, live ?? {});
    expect(toLive).toMatchObject({ counts: whole, unlinked_withheld: false });
    expect([...toLive.missing_local].sort()).toEqual(['cus_nulthere', 'cus_onlythere']);
    expect(toLive.refused.map((r) => r.upstream_id)).toEqual(['cus_nulthere']);
  });

  it('are named to the test key of a tenant with test keys only, as before', async () => {
    const { tenant, test } = await tenantWithKeys('reach-reconcile-test', false);
    const upstream = await meteroidMirror(tenant, book.base);
    const toTest = await reconciled(upstream.id, test);
    expect(toTest).toMatchObject({ counts: { upstream: 2, missing_local: 2, refused: 1 }, unlinked_withheld: false });
    expect([...toTest.missing_local].sort()).toEqual(['cus_nulthere', 'cus_onlythere']);
    expect(toTest.refused.map((r) => r.upstream_id)).toEqual(['cus_nulthere']);
  });
});

describe("POST and GET …/import: the provider's book", () => {
  it("is imported by no test key once the tenant has anything live, nor named to one in an import's refusals", async () => {
    const { tenant, test, live } = await tenantWithKeys('reach-import', true);
    const upstream = await meteroidMirror(tenant, book.base);
    const path = `/gateway/v1/upstreams/${upstream.id}/import`;
    const byTest = await gw.request(path, { method: 'POST', headers: test });
    expect(byTest.status).toBe(403);
    expect(await byTest.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect((await gw.request(path, { method: 'POST', headers: live ?? {} })).status).toBe(202);
    type Job = { state: string; refused: { upstream_id: string }[]; unlinked_withheld: boolean };
    const job = async (auth: Record<string, string>) => (await (await gw.request(path, { headers: auth })).json()) as Job;
    // Runs in this process's background: looked at until it ends.
    for (let i = 0; i < 200 && (await job(live ?? {})).state === 'running'; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await job(live ?? {})).toMatchObject({ state: 'done', refused: [{ upstream_id: 'cus_nulthere' }], unlinked_withheld: false });
    expect(await job(test)).toMatchObject({ state: 'done', refused: [], conflicts: [], unlinked_withheld: true });
  });
});

const lost = bottomlessMeteroid();

describe("a mirror's recorded create", () => {
  it("is of its customer's mode: each key lists its own", async () => {
    const { tenant, test, live } = await tenantWithKeys('reach-attempts', true);
    const tenantId = tenant.tenant.id;
    const upstream = await meteroidMirror(tenant, lost.base);
    const made: Record<'test' | 'live', string> = { test: '', live: '' };
    for (const [mode, auth] of [
      ['test', test],
      ['live', live ?? {}],
    ] as const) {
      const res = await gw.request('/wooshpay/v1/customers', jsonInit('POST', { name: `Mirrored ${mode}` }, auth));
      expect(res.status).toBe(200);
      const local = await gw.store.findCustomer(tenantId, 'public_id', ((await res.json()) as { id: string }).id);
      made[mode] = local?.id ?? '';
    }
    // Meteroid takes no Idempotency-Key and has no marker: the create is recorded before it goes, and its answer is lost.
    await drainUntil(gw.dispatcher, async () => (await gw.store.attempts.list(tenantId, upstream.id, 10)).length === 2);
    for (const [mode, flag] of [
      ['test', 0],
      ['live', 1],
    ] as const) {
      const row = await gw.store.attempts.find(tenantId, upstream.id, made[mode]);
      expect(row === undefined ? 'none' : row.livemode === null ? null : Number(row.livemode)).toBe(flag);
    }
    const path = `/gateway/v1/upstreams/${upstream.id}/create-attempts`;
    const listed = async (auth: Record<string, string>) => {
      const res = await gw.request(path, { headers: auth });
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: { customer_id: string }[] }).data.map((a) => a.customer_id);
    };
    expect(await listed(test)).toEqual([made.test]);
    expect(await listed(live ?? {})).toEqual([made.live]);
  });
});

describe("an upstream's base URL", () => {
  const base = 'http://127.0.0.1:9/t/SECRET-TOKEN';
  const shownTo = async (id: string, auth: Record<string, string>) => {
    const one = await gw.request(`/gateway/v1/upstreams/${id}`, { headers: auth });
    const list = await gw.request('/gateway/v1/upstreams', { headers: auth });
    expect([one.status, list.status]).toEqual([200, 200]);
    const listed = ((await list.json()) as { data: { id: string; base_url: string }[] }).data;
    return { one: ((await one.json()) as { base_url: string }).base_url, listed: listed.find((u) => u.id === id)?.base_url };
  };

  it("is the origin only to a test key once the tenant has anything live; a live key sees what it set, never a user's password", async () => {
    const { tenant, test, live } = await tenantWithKeys('reach-base-url', true);
    const tenantId = tenant.tenant.id;
    const added = await gw.request(
      '/gateway/v1/upstreams',
      jsonInit('POST', { dialect: 'wooshpay', base_url: base, mode: 'mirror', credentials: { secret_key: 'sk_test_x' } }, live ?? {}),
    );
    expect(added.status).toBe(201);
    const { id } = (await added.json()) as { id: string };
    expect(await shownTo(id, live ?? {})).toEqual({ one: base, listed: base });
    expect(await shownTo(id, test)).toEqual({ one: 'http://127.0.0.1:9/…', listed: 'http://127.0.0.1:9/…' });
    // A row stored before `upstream add` refused a user and password in the URL.
    const at = new Date();
    const old = {
      id: `ups_${crypto.randomUUID().replaceAll('-', '').slice(0, 20)}`,
      tenant_id: tenantId,
      dialect: 'wooshpay',
      base_url: 'http://user:pass-word@127.0.0.1:9/old',
      mode: 'shadow',
      credentials: 'sealed-long-ago',
      webhook_secret: null,
      created_at: at.toISOString(),
      removed_at: null,
      encoding: 'json',
    };
    await gw.store.upstreams.insert(old, historyStep(old, 'added', 'shadow', null, at));
    expect(await shownTo(old.id, live ?? {})).toEqual({ one: 'http://127.0.0.1:9/old', listed: 'http://127.0.0.1:9/old' });
    expect(await shownTo(old.id, test)).toEqual({ one: 'http://127.0.0.1:9/…', listed: 'http://127.0.0.1:9/…' });
  });

  it('is shown whole to the test key of a tenant with test keys only, which set it', async () => {
    const { test } = await tenantWithKeys('reach-base-url-test', false);
    const added = await gw.request(
      '/gateway/v1/upstreams',
      jsonInit('POST', { dialect: 'wooshpay', base_url: base, mode: 'mirror', credentials: { secret_key: 'sk_test_y' } }, test),
    );
    expect(added.status).toBe(201);
    const { id, base_url: answered } = (await added.json()) as { id: string; base_url: string };
    expect(answered).toBe(base);
    expect(await shownTo(id, test)).toEqual({ one: base, listed: base });
  });
});
