import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import { loadConfig } from '../src/config.ts';
import { queryBuilder } from '../src/store/compiler.ts';
import { exportData, importData } from '../src/store/transfer.ts';
import { keyringFor } from '../src/upstream/secrets.ts';
import { Webhooks } from '../src/webhooks/index.ts';
import { drainUntil } from './support/drain-until.ts';
import { jsonInit, testEnv } from './support/gateway.ts';
import { createApp } from './support/registered.ts';
import { testStore } from './support/store.ts';
import { addEndpoint, createCustomer, receiver, type Setup, setup, stripeEventOf, update } from './support/webhook-setup.ts';

// An event id is what a receiver de-duplicates on (docs/webhooks.md). A store restored from a
// backup taken before a customer's later versions holds that customer with its UUID and starts
// its versions again from there: the next write is a new event, and must not reuse the id of the
// version the receiver already had from before the restore.

/** A gateway on a new store the export `backup` of `a`'s was loaded into, with `a`'s tenants and keys. */
async function restored(a: Setup, backup: readonly string[]) {
  const store = await testStore();
  await importData(store, backup);
  const config = loadConfig({ ...testEnv, CUSTGATE_WEBHOOK_BASE_DELAY_MS: '5' });
  const webhooks = new Webhooks(store, keyringFor(config, store.upstreams), Object.values(dialects), {
    ...config.webhooks,
    kickAfterWrite: false,
  });
  const app = createApp({ store, config, logger: { error: () => undefined }, webhooks });
  return { ...a, store, webhooks, request: async (path: string, init?: RequestInit) => app.request(path, init) };
}

it('a customer restored with its UUID: the next event has an id the receiver has not seen; the old id names no event', async () => {
  const a = await setup();
  const r = await receiver();
  const hookA = await addEndpoint(a, { url: r.url, format: 'stripe' });
  const customer = await createCustomer(a, { name: 'Jenny Rosen' });
  // The backup: the customer at version 1.
  const backup: string[] = [];
  await exportData(a.store, (line) => void backup.push(line), { withKeys: true });
  await update(a, customer.id, { name: 'Lost with the restore' });
  await drainUntil(a.webhooks.dispatcher, () => r.received.length >= 2);
  const before = r.received.map((x) => stripeEventOf(x, hookA.secret));
  expect(before.map((e) => e.type)).toEqual(['customer.created', 'customer.updated']);

  // The restored gateway: the backup loaded into a new store, the same receiver.
  const b = await restored(a, backup);
  const { webhooks } = b;
  const hookB = await addEndpoint(b, { url: r.url, format: 'stripe' });
  const res = await b.request(`/wooshpay/v1/customers/${customer.id}`, jsonInit('POST', { name: 'After the restore' }, a.auth()));
  expect(res.status).toBe(200);
  await drainUntil(webhooks.dispatcher, () => r.received.length >= 3);
  const after = stripeEventOf(r.received[2]!, hookB.secret);
  expect([after.type, (after.data.object as { name: string }).name]).toEqual(['customer.updated', 'After the restore']);

  const ids = [...before, after].map((e) => e.id);
  expect(new Set(ids).size, ids.join(' ')).toBe(3);
  expect(after.id).toMatch(/^evt_[0-9a-z]+$/);
  // The restored gateway reads the new event by its id; the lost one's id names nothing there.
  const read = async (id: string) => (await b.request(`/v1/events/${id}`, { headers: a.auth() })).status;
  expect([await read(after.id), await read(before[1]!.id)]).toEqual([200, 404]);
});

it('events from before migration 0045 keep the ids they were sent with: read, listed and resent by them', async () => {
  const s = await setup();
  // As a database migrated while its events were being made: every event so far is from before.
  await s.store.executor.run(
    sql`update webhook_event_ids set since = '9999-12-31T00:00:00.000Z'`.compile(queryBuilder(s.store.executor.backend)),
  );
  const r = await receiver();
  const hook = await addEndpoint(s, { url: r.url, format: 'stripe' });
  const customer = await createCustomer(s, { name: 'Jenny Rosen' });
  await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 1);
  const sent = stripeEventOf(r.received[0]!, hook.secret);
  const hex = (await (await s.request(`/gateway/v1/customers/${customer.id}`, { headers: s.auth() })).json()) as { ids: { uuid: string } };
  expect(sent.id).toBe(`evt_${hex.ids.uuid.replaceAll('-', '')}v1`);
  expect((await s.request(`/v1/events/${sent.id}`, { headers: s.auth() })).status).toBe(200);
  expect((await s.request(`/gateway/v1/events/${sent.id}/resend`, { method: 'POST', headers: s.auth() })).status).toBe(200);
  await drainUntil(s.webhooks.dispatcher, () => r.received.length >= 2);
  expect(stripeEventOf(r.received[1]!, hook.secret).id).toBe(sent.id);
});

it('a store restored from an export lists and reads its events under the ids they were sent with', async () => {
  const a = await setup();
  const r = await receiver();
  const hook = await addEndpoint(a, { url: r.url, format: 'stripe' });
  await createCustomer(a, { name: 'Jenny Rosen' });
  await drainUntil(a.webhooks.dispatcher, () => r.received.length >= 1);
  const sent = stripeEventOf(r.received[0]!, hook.secret);
  const backup: string[] = [];
  await exportData(a.store, (line) => void backup.push(line), { withKeys: true });

  // Restored into a store migrated after the event was made.
  const b = await restored(a, backup);
  const listed = (await (await b.request('/v1/events', { headers: a.auth() })).json()) as { data: { id: string }[] };
  expect(listed.data.map((e) => e.id)).toEqual([sent.id]);
  expect((await b.request(`/v1/events/${sent.id}`, { headers: a.auth() })).status).toBe(200);
});

it('an import that fails leaves the target its own time of migration 0045', async () => {
  const a = await setup();
  await createCustomer(a);
  const backup: string[] = [];
  await exportData(a.store, (line) => void backup.push(line), { withKeys: true });
  const store = await testStore();
  const since = () =>
    store.executor.all(sql<{ since: string }>`select since from webhook_event_ids`.compile(queryBuilder(store.executor.backend)));
  const own = await since();
  await expect(importData(store, [...backup, JSON.stringify({ table: 'nope', row: {} })])).rejects.toThrow(/unexpected line/);
  expect(await since()).toEqual(own);
});
