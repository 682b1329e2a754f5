import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import type { PostgresExecutor } from '../src/store/postgres.ts';
import type { SqliteExecutor } from '../src/store/sqlite.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { secretContext } from '../src/webhooks/sign.ts';
import { type EndpointRow, webhooksFor } from '../src/webhooks/index.ts';
import { newWebhookSecret } from '../src/webhooks/sign.ts';
import { drainUntil } from './support/drain-until.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { createApp, createTenant, reissueCredentials } from './support/registered.ts';
import { testStore } from './support/store.ts';
import { addEndpoint, receiver, setup, stripeEventOf } from './support/webhook-setup.ts';

// Webhook endpoints belong to the mode of the key that made them, as Stripe's do
// (https://docs.stripe.com/keys#test-live-modes): a test endpoint gets test customers' events
// only, a live one live customers' only, and each key lists and changes its own mode's endpoints.

const form = (body: string, auth: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
  body,
});

type EndpointView = { id: string; livemode: boolean; url: string };

describe('webhook endpoints per key mode', () => {
  it("each mode's endpoint gets only its mode's events; each key lists, reads and changes only its own mode's endpoints", async () => {
    const s = await setup();
    const r = await receiver();
    const testKey = s.auth();
    const live = await reissueCredentials(s.store, loadConfig(testEnv), s.tenant.tenant, dialects.wooshpay, { livemode: true });
    const liveKey = { authorization: `Bearer ${live.secret_key}` };

    // One made through the gateway's API with the test key, one through Stripe's resource with the live key.
    const testHook = await addEndpoint(s, { url: `${r.url}/test` });
    const made = await s.request('/v1/webhook_endpoints', form(`url=${encodeURIComponent(`${r.url}/live`)}`, liveKey));
    expect(made.status).toBe(200);
    const liveHook = (await made.json()) as { id: string; secret: string; livemode: boolean };
    expect([(testHook as unknown as EndpointView).livemode, liveHook.livemode]).toEqual([false, true]);

    const testCustomer = (await (await s.request('/v1/customers', form('name=Test%20Ltd', testKey))).json()) as { id: string };
    const liveCustomer = (await (await s.request('/v1/customers', form('name=Live%20Ltd', liveKey))).json()) as { id: string };
    expect((await s.request(`/v1/customers/${testCustomer.id}`, form('name=Test%202', testKey))).status).toBe(200);
    expect((await s.request(`/v1/customers/${liveCustomer.id}`, form('name=Live%202', liveKey))).status).toBe(200);
    await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 4);

    const got = (path: string, secret: string) =>
      r.received
        .filter((x) => x.path === path)
        .map((x) => stripeEventOf(x, secret))
        .map((e) => [e.type, e.livemode, (e.data.object as { name: string }).name]);
    const logged = JSON.stringify(s.logged);
    expect(got('/hooks/test', testHook.secret), logged).toEqual([
      ['customer.created', false, 'Test Ltd'],
      ['customer.updated', false, 'Test 2'],
    ]);
    expect(got('/hooks/live', liveHook.secret), logged).toEqual([
      ['customer.created', true, 'Live Ltd'],
      ['customer.updated', true, 'Live 2'],
    ]);
    expect(r.received).toHaveLength(4);

    // Listing: each key its own mode's, through both APIs; any Stripe-like dialect alike.
    const ids = async (path: string, auth: Record<string, string>) =>
      ((await (await s.request(path, { headers: auth })).json()) as { data: EndpointView[] }).data.map((e) => [e.id, e.livemode]);
    expect(await ids('/gateway/v1/webhook_endpoints', testKey)).toEqual([[testHook.id, false]]);
    expect(await ids('/gateway/v1/webhook_endpoints', liveKey)).toEqual([[liveHook.id, true]]);
    expect(await ids('/v1/webhook_endpoints', liveKey)).toEqual([[liveHook.id, true]]);
    expect(await ids('/v1/webhook_endpoints', testKey)).toEqual([[testHook.id, false]]);

    // The other mode's endpoint is not found, to read, roll, disable or remove; and it is left as it was.
    for (const [path, init] of [
      [`/gateway/v1/webhook_endpoints/${liveHook.id}`, { headers: testKey }],
      [`/gateway/v1/webhook_endpoints/${liveHook.id}/attempts`, { headers: testKey }],
      [`/gateway/v1/webhook_endpoints/${liveHook.id}/roll_secret`, jsonInit('POST', {}, testKey)],
      [`/gateway/v1/webhook_endpoints/${liveHook.id}/disable`, { method: 'POST', headers: testKey }],
      [`/gateway/v1/webhook_endpoints/${liveHook.id}`, { method: 'DELETE', headers: testKey }],
      [`/v1/webhook_endpoints/${liveHook.id}`, { headers: testKey }],
      [`/v1/webhook_endpoints/${liveHook.id}`, { method: 'DELETE', headers: testKey }],
      [`/v1/webhook_endpoints/${testHook.id}`, { method: 'DELETE', headers: liveKey }],
    ] as const) {
      const res = await s.request(path, init);
      expect(res.status, `${init.method ?? 'GET'} ${path}`).toBe(404);
    }
    const kept = (await (await s.request(`/v1/webhook_endpoints/${liveHook.id}`, { headers: liveKey })).json()) as { status: string };
    expect(kept.status).toBe('enabled');

    // A test key cannot have a live event sent again; the live key can.
    const liveEvents = (await (await s.request('/v1/events', { headers: liveKey })).json()) as { data: { id: string }[] };
    const liveEvent = liveEvents.data[0]!.id;
    expect((await s.request(`/gateway/v1/events/${liveEvent}/resend`, { method: 'POST', headers: testKey })).status).toBe(404);
    expect((await s.request(`/gateway/v1/events/${liveEvent}/resend`, { method: 'POST', headers: liveKey })).status).toBe(200);
    r.received.length = 0;
    await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 1);
    expect(r.received.map((x) => [x.path, stripeEventOf(x, liveHook.secret).id])).toEqual([['/hooks/live', liveEvent]]);
  });

  it('migration 0024 keeps every endpoint: live where the tenant never had a test key, test otherwise; they send on', async () => {
    const config = loadConfig(testEnv);
    const store = await testStore({}, { migrateTo: '0021_import_livemode' });
    const liveOnly = await createTenant(store, config, 'live-only', { livemode: true });
    const testOnly = await createTenant(store, config, 'test-only');
    const both = await createTenant(store, config, 'both-modes');
    const bothLive = await reissueCredentials(store, config, both.tenant, dialects.wooshpay, { livemode: true });
    const r = await receiver();
    const keyring = keyringFor(config, store.upstreams);
    // The table as 0011 made it, and as 0024 leaves it.
    type Legacy = Omit<EndpointRow, 'livemode' | 'description' | 'metadata' | 'held_until' | 'held_rounds' | 'api_version'>;
    const db = queryBuilder(store.executor.backend) as unknown as Kysely<{ webhook_endpoints: Legacy & { livemode?: number } }>;
    const secrets: Record<string, string> = {};
    const rows: Legacy[] = [];
    for (const [tenant, name] of [
      [liveOnly, 'live-only'],
      [testOnly, 'test-only'],
      [both, 'both-modes'],
    ] as const) {
      // An endpoint as 0011 stored it: no mode column.
      const id = `we_legacy${name.replace('-', '')}`;
      secrets[id] = newWebhookSecret();
      const at = '2026-11-01T00:00:00.000Z';
      const row: Legacy = {
        id,
        tenant_id: tenant.tenant.id,
        url: `${r.url}/${name}`,
        format: 'stripe',
        dialect: 'wooshpay',
        events: '["*"]',
        secret: await keyring.encrypt(secrets[id], secretContext(tenant.tenant.id, id)),
        previous_secret: null,
        previous_until: null,
        status: 'enabled',
        failures: 0,
        created_at: at,
        updated_at: at,
      };
      rows.push(row);
      await store.executor.run(db.insertInto('webhook_endpoints').values(row).compile());
    }
    await (store.executor as SqliteExecutor | PostgresExecutor).migrate();

    const stored = await store.executor.all(db.selectFrom('webhook_endpoints').selectAll().orderBy('id').compile());
    const byId = Object.fromEntries(stored.map((row) => [row.id, row]));
    for (const row of rows) expect(byId[row.id]).toMatchObject({ ...row, livemode: expect.anything() });
    expect(rows.map((row) => Number(byId[row.id]?.livemode))).toEqual([1, 0, 0]);

    // They send on: the live-only tenant's live write, and each mode's write of the mixed tenant.
    const webhooks = webhooksFor(store, config, Object.values(dialects), { kickAfterWrite: false });
    const app = createApp({ store, config, webhooks, logger: { error: () => undefined } });
    const write = async (key: string | undefined, name: string) => {
      const res = await app.request('/v1/customers', form(`name=${name}`, { authorization: `Bearer ${key}` }));
      expect(res.status).toBe(200);
    };
    await write(liveOnly.credentials.wooshpay!.secret_key, 'LiveOnly');
    await write(testOnly.credentials.wooshpay!.secret_key, 'TestOnly');
    await write(both.credentials.wooshpay!.secret_key, 'BothTest');
    await write(bothLive.secret_key, 'BothLive');
    await drainUntil(webhooks.dispatcher, () => r.received.length >= 3);
    const got = r.received
      .map((x) => {
        const id = rows.find((row) => row.url.endsWith(x.path.replace('/hooks', '')))!.id;
        const event = stripeEventOf(x, secrets[id]!);
        return [x.path, event.livemode, (event.data.object as { name: string }).name];
      })
      .sort();
    expect(got).toEqual([
      ['/hooks/both-modes', false, 'BothTest'],
      ['/hooks/live-only', true, 'LiveOnly'],
      ['/hooks/test-only', false, 'TestOnly'],
    ]);
  });
});
