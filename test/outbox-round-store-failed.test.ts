import { expect, it } from 'vitest';
import { Store } from '../src/store/index.ts';
import { jsonInit } from './support/gateway.ts';
import { outboxRig } from './support/outbox-rig.ts';
import { testStore } from './support/store.ts';
import { switchable } from './support/switchable-executor.ts';

// The webhook queue's failed rounds are put back by the next drain (test/webhooks-round-store-failed.test.ts);
// the outbox's were not: a round whose settling commit failed (a database restarting under the
// delivery thread) left its deliveries leased for 4 × CUSTGATE_UPSTREAM_TIMEOUT_MS + 7 s, the lease
// meant for a process that died, and every later mirror write of those customers waited behind
// them. The process is alive and knows the round ended: the next drain puts its rows back.

it('a mirror round the store failed under is sent again by the next drain, not after its lease', async () => {
  const db = switchable((await testStore()).executor);
  const store = new Store(db.executor);
  let failAfterSend = false;
  // The database goes away while the round's send is out: the round's settling commit fails.
  const { app, dispatcher, upstream, tenant, auth } = await outboxRig(store, 'blip', async (work, signal, fake) => {
    const outcome = await fake.deliver(work, signal);
    if (failAfterSend) db.down(true);
    return outcome;
  });
  const created = await app.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Blip 1' }, auth));
  expect(created.status).toBe(200);
  const { id } = (await created.json()) as { id: string };

  failAfterSend = true;
  await expect(dispatcher.drain()).rejects.toThrow('ECONNREFUSED');
  failAfterSend = false;
  db.down(false);
  const updated = await app.request(`/wooshpay/v1/customers/${id}`, jsonInit('POST', { name: 'Blip 2' }, auth));
  expect(updated.status).toBe(200);

  // The store answers again: one drain, well inside the failed round's lease, sends the first
  // version again (at least once: its answer was never recorded) and then the second, in order.
  const report = await dispatcher.drain();
  expect(report.delivered).toBe(2);
  const versions = upstream.received.map((w) => w.version);
  expect(versions).toEqual([1, 1, 2]);
  const rows = await store.outbox.list({ tenantId: tenant.tenant.id });
  expect(rows.map((r) => r.state)).toEqual(['delivered', 'delivered']);
});

it('a mirror round whose lease committed but whose read-back failed is sent by the next drain', async () => {
  const db = switchable((await testStore()).executor);
  const store = new Store(db.executor);
  const { app, dispatcher, upstream, tenant, auth } = await outboxRig(store, 'lost');
  const created = await app.request('/wooshpay/v1/customers', jsonInit('POST', { name: 'Lost 1' }, auth));
  expect(created.status).toBe(200);

  // The claim's lease commits; reading back which rows it won fails (the answer lost to a restart).
  db.failWhen((sql) => sql.startsWith('select') && sql.includes('"lease_owner" = '));
  await expect(dispatcher.drain()).rejects.toThrow('ECONNREFUSED');
  db.failWhen(undefined);
  expect(upstream.received).toHaveLength(0);
  const [row] = await store.outbox.list({ tenantId: tenant.tenant.id });
  expect(row?.lease_owner).not.toBeNull();

  const report = await dispatcher.drain();
  expect(report.delivered).toBe(1);
  expect(upstream.received.map((w) => w.version)).toEqual([1]);
});
