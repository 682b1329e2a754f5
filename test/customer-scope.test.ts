import { describe, expect, it } from 'vitest';
import { dialects, fixturesOf } from '../dialects/index.ts';
import { type Customer, fieldDefaults, stateDefaults } from '../schemas/index.ts';
import { loadConfig } from '../src/config.ts';
import { customerToRow } from '../src/core/index.ts';
import { createTenant, mintToken, reissueCredentials, createApp, addUpstream } from './support/registered.ts';
import type { SqliteExecutor } from '../src/store/sqlite.ts';
import type { PostgresExecutor } from '../src/store/postgres.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import type { Store } from '../src/store/index.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { testStore } from './support/store.ts';

// Customers are scoped by tenant and by the mode of the key (issue #26, items 4 and 5):
// - an id is unique within a tenant, not across the database, so two tenants proxying to one
//   provider account both hold its customers, and no answer tells one what the other holds;
// - a test key never sees a live customer and a live key never a test one (Stripe's rule:
//   https://docs.stripe.com/keys#test-live-modes), on a fresh database and on one migrated by 0009.

const config = loadConfig({ ...testEnv });
const form = (body: string, auth: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
  body,
});
const basic = (key: string) => ({ authorization: `Basic ${btoa(`${key}:`)}` });

function gatewayOn(store: Store, fetch?: (url: string, init: RequestInit) => Promise<Response>) {
  return createApp({ store, config, logger: { error: () => undefined }, ...(fetch ? { fetch } : {}) });
}

/** A tenant with both a test and a live Wooshpay key (and Connhex tokens of both modes). */
async function tenantWithBothModes(store: Store, name: string) {
  const created = await createTenant(store, config, name);
  const live = await reissueCredentials(store, config, created.tenant, dialects.wooshpay, { livemode: true });
  const token = (livemode: boolean) =>
    mintToken(store, config, created.tenant, dialects.connhex, { livemode, permissions: ['pay:customers:get', 'pay:customers:update'] });
  return {
    id: created.tenant.id,
    test: basic(created.credentials.wooshpay!.secret_key!),
    live: basic(live.secret_key!),
    connhex: { test: { authorization: `Bearer ${await token(false)}` }, live: { authorization: `Bearer ${await token(true)}` } },
  };
}

describe('test and live mode (Stripe-like dialects and every other)', () => {
  it('a test key never reads or changes a live customer, and the reverse: 404 resource_missing', async () => {
    const store = await testStore();
    const app = gatewayOn(store);
    const t = await tenantWithBothModes(store, 'modes');
    expect(t.live.authorization).not.toEqual(t.test.authorization);

    const liveRes = await app.request('/v1/customers', form('name=Live+Ltd', t.live));
    const liveCustomer = (await liveRes.json()) as { id: string; livemode: boolean };
    expect(liveCustomer.livemode).toBe(true);
    const testCustomer = (await (await app.request('/v1/customers', form('name=Test+Ltd', t.test))).json()) as {
      id: string;
      livemode: boolean;
    };
    expect(testCustomer.livemode).toBe(false);

    for (const [key, other] of [
      [t.test, liveCustomer.id],
      [t.live, testCustomer.id],
    ] as const) {
      const read = await app.request(`/v1/customers/${other}`, { headers: key });
      expect(read.status).toBe(404);
      expect(await read.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'resource_missing' } });
      const write = await app.request(`/v1/customers/${other}`, form('name=Hijacked', key));
      expect(write.status).toBe(404);
    }
    // Each key still reads its own, unchanged, with livemode as its key says.
    const own = (await (await app.request(`/v1/customers/${liveCustomer.id}`, { headers: t.live })).json()) as Record<string, unknown>;
    expect(own).toMatchObject({ name: 'Live Ltd', livemode: true });
    const ownTest = (await (await app.request(`/v1/customers/${testCustomer.id}`, { headers: t.test })).json()) as Record<string, unknown>;
    expect(ownTest).toMatchObject({ name: 'Test Ltd', livemode: false });

    // Connhex tokens carry their mode as a claim: the same separation.
    expect((await app.request(`/connhex/customers/${liveCustomer.id}`, { headers: t.connhex.test })).status).toBe(404);
    expect((await app.request(`/connhex/customers/${liveCustomer.id}`, { headers: t.connhex.live })).status).toBe(200);
    // The gateway API and its history follow the key too.
    expect((await app.request(`/gateway/v1/customers/${liveCustomer.id}/events`, { headers: t.test })).status).toBe(404);
    expect((await app.request(`/gateway/v1/customers/${liveCustomer.id}/events`, { headers: t.live })).status).toBe(200);
  });

  it("a list shows a key its own mode's customers only, in its pages, counts and cursors", async () => {
    const store = await testStore();
    const app = gatewayOn(store);
    const t = await tenantWithBothModes(store, 'listed');
    const created: Record<'test' | 'live', string[]> = { test: [], live: [] };
    for (const mode of ['live', 'test', 'live'] as const) {
      const body = (await (await app.request('/v1/customers', form(`name=${mode}`, t[mode]))).json()) as { id: string };
      created[mode].push(body.id);
    }
    const listed = async (path: string, key: Record<string, string>) => {
      const res = await app.request(path, { headers: key });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const ids = (body: Record<string, unknown>) => (body.data as { id: string }[]).map((c) => c.id);
    const testList = await listed('/v1/customers', t.test);
    expect(ids(testList.body)).toEqual(created.test);
    expect(ids((await listed('/v1/customers', t.live)).body)).toEqual([...created.live].reverse());
    expect(ids((await listed('/connhex/customers', t.connhex.test)).body)).toEqual(created.test);
    // The other mode's customer as a cursor names nothing, as another tenant's does.
    const crossed = await listed(`/v1/customers?starting_after=${created.live[0]}`, t.test);
    expect(crossed.status).toBe(400);
    expect(crossed.body).toMatchObject({ error: { param: 'starting_after' } });
    // Meteroid's and Zenskar's totals count the key's own mode.
    const tenantRow = { id: t.id, name: 'listed' };
    for (const [dialect, path, total] of [
      [
        'meteroid',
        '/meteroid/api/v1/customers',
        (b: Record<string, unknown>) => (b.pagination_meta as { total_items: number }).total_items,
      ],
      ['zenskar', '/zenskar/customers', (b: Record<string, unknown>) => b.total as number],
    ] as const) {
      const live = await reissueCredentials(store, config, tenantRow, dialects[dialect], { livemode: true });
      const test = await reissueCredentials(store, config, tenantRow, dialects[dialect], {});
      const fixtures = fixturesOf(dialects[dialect]);
      expect(total((await listed(path, fixtures.auth(live))).body), dialect).toBe(2);
      expect(total((await listed(path, fixtures.auth(test))).body), dialect).toBe(1);
    }
  });

  it('migration 0009 keeps every customer and event, readable by the mode that created it (both when unrecorded)', async () => {
    const store = await testStore({}, { migrateTo: '0007_events_created_at' });
    const t = await tenantWithBothModes(store, 'legacy');
    const db = queryBuilder(store.executor.backend);
    const legacy = (n: number, livemode: boolean | undefined): Customer =>
      ({
        ...fieldDefaults,
        ...stateDefaults,
        name: `Legacy ${n}`,
        livemode: livemode ?? false,
        uuid: crypto.randomUUID(),
        public_id: `cus_legacy${n}`,
        number: n,
        version: 1,
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      }) as Customer;
    const rows = [legacy(1, true), legacy(2, false), legacy(3, undefined)].map((c, i) => {
      // Rows as they were at 0007: no mode column (0009), no deleted_at (0015).
      const { livemode: _, deleted_at: __, ...row } = customerToRow(c, t.id);
      // The third was stored before the mode was recorded in its data.
      if (i === 2) row.data = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(row.data)).filter(([k]) => k !== 'livemode')));
      return row;
    });
    for (const row of rows) {
      await store.executor.run(db.insertInto('customers').values(row).compile());
      const event = { customer_id: row.id, version: 1, tenant_id: t.id, action: 'create', dialect: 'wooshpay', credential_id: 'old' };
      await store.executor.run(
        db
          .insertInto('customer_events')
          .values({ ...event, changes: '[]', created_at: row.created_at })
          .compile(),
      );
    }
    await (store.executor as SqliteExecutor | PostgresExecutor).migrate();

    const stored = await store.executor.all(db.selectFrom('customers').selectAll().orderBy('number').compile());
    expect(stored.map((r) => [r.id, r.public_id, r.data, r.livemode === null ? null : Number(r.livemode)])).toEqual(
      rows.map((r, i) => [r.id, r.public_id, r.data, [1, 0, null][i]]),
    );
    const events = await store.executor.all(db.selectFrom('customer_events').selectAll().compile());
    expect(events).toHaveLength(3);

    const app = gatewayOn(store);
    const status = async (id: string, key: Record<string, string>) => (await app.request(`/v1/customers/${id}`, { headers: key })).status;
    expect([await status('cus_legacy1', t.live), await status('cus_legacy1', t.test)]).toEqual([200, 404]);
    expect([await status('cus_legacy2', t.live), await status('cus_legacy2', t.test)]).toEqual([404, 200]);
    expect([await status('cus_legacy3', t.live), await status('cus_legacy3', t.test)]).toEqual([200, 200]);
    // New writes after the migration keep working on the rebuilt tables.
    expect((await app.request('/v1/customers/cus_legacy1', form('name=Renamed', t.live))).status).toBe(200);
    expect((await app.request('/v1/customers', form('name=New', t.test))).status).toBe(200);
  });
});

describe('customer ids scoped by tenant', () => {
  it('two tenants proxying to one provider account both hold its customer under the same id', async () => {
    // The provider: another gateway, reached in-process, holding the account both tenants use.
    const providerStore = await testStore();
    const provider = gatewayOn(providerStore);
    const account = await createTenant(providerStore, config, 'provider-account');
    const store = await testStore();
    const app = gatewayOn(store, async (url, init) => provider.request(url, init));
    const keyring = keyringFor(config, store.upstreams);
    const zenskar = fixturesOf(dialects.zenskar);
    const tenants = [];
    for (const name of ['staging', 'production']) {
      const tenant = await createTenant(store, config, name);
      await addUpstream(store, keyring, tenant.tenant.id, {
        dialect: 'zenskar',
        baseUrl: 'http://provider.invalid/zenskar',
        mode: 'proxy',
        credentials: account.credentials.zenskar!,
      });
      tenants.push(zenskar.auth(tenant.credentials.zenskar!));
    }
    const [staging, production] = tenants as [Record<string, string>, Record<string, string>];
    const created = await app.request('/zenskar/customers', jsonInit('POST', zenskar.create, staging));
    expect(created.status).toBe(dialects.zenskar.wire.createdStatus);
    const id = ((await created.json()) as { id: string }).id;

    // Production refers to the same provider customer: imported on first reference, not a 409.
    const read = await app.request(`/zenskar/customers/${id}`, { headers: production });
    expect(read.status, await read.clone().text()).toBe(200);
    expect(((await read.json()) as { id: string }).id).toBe(id);
    const patched = await app.request(`/zenskar/customers/${id}`, jsonInit('PATCH', { customer_name: 'Prod name' }, production));
    expect(patched.status).toBe(200);
    // Each tenant has its own copy: staging's is not touched by production's write here.
    const canonical = async (auth: Record<string, string>) =>
      (await (await app.request(`/gateway/v1/customers/${id}`, { headers: auth })).json()) as { ids: { uuid: string }; version: number };
    expect((await canonical(staging)).ids.uuid).toBe(id);
    expect((await canonical(production)).ids.uuid).toBe(id);
    expect((await canonical(staging)).version).toBe(1);
  });

  it("answers another tenant's id exactly as an id nobody holds", async () => {
    const store = await testStore();
    const app = gatewayOn(store);
    const a = await createTenant(store, config, 'a');
    const b = await createTenant(store, config, 'b');
    const keyA = basic(a.credentials.wooshpay!.secret_key!);
    const keyB = basic(b.credentials.wooshpay!.secret_key!);
    const body = (await (await app.request('/v1/customers', form('name=A', keyA))).json()) as { id: string };
    const uuid = ((await (await app.request(`/gateway/v1/customers/${body.id}`, { headers: keyA })).json()) as { ids: { uuid: string } })
      .ids.uuid;
    const nobody = crypto.randomUUID();
    for (const path of ['/gateway/v1/customers/', '/zenskar/customers/']) {
      const headers = path.startsWith('/zenskar') ? fixturesOf(dialects.zenskar).auth(b.credentials.zenskar!) : keyB;
      const held = await app.request(`${path}${uuid}`, { headers });
      const free = await app.request(`${path}${nobody}`, { headers });
      expect(held.status).toBe(free.status);
      expect((await held.text()).replace(uuid, 'X')).toBe((await free.text()).replace(nobody, 'X'));
    }
    // Tenant b may create a customer whose external id is a's uuid; only its own ids are refused.
    const own = await app.request(
      '/zenskar/customers',
      jsonInit('POST', { customer_name: 'B', external_id: uuid }, fixturesOf(dialects.zenskar).auth(b.credentials.zenskar!)),
    );
    expect(own.status).toBe(dialects.zenskar.wire.createdStatus);
  });
});
