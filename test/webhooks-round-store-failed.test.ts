import { expect, it } from 'vitest';
import { Store } from '../src/store/index.ts';
import { addEndpoint, createCustomer, receiver, setup, stripeEventOf, update } from './support/webhook-setup.ts';
import { testStore } from './support/store.ts';
import { switchable } from './support/switchable-executor.ts';

// The operator's walk (2026-12-07) restarted PostgreSQL under a scaled-out gateway with webhooks
// flowing: every event committed around the restart arrived, but some 12 s late, the ones a round
// had leased before the store failed under it (its read of an event's history). The round failed,
// yet its rows stayed leased for CUSTGATE_WEBHOOK_TIMEOUT_MS + 2 s, the lease meant for a process
// that died, and every later version of those customers waited behind them. The process is alive
// and knows the round ended: the next drain puts its rows back and sends them.

it('a round the store failed under is sent again by the next drain, not after its lease', async () => {
  const db = switchable((await testStore()).executor);
  const s = await setup({}, { store: new Store(db.executor) });
  const r = await receiver();
  const endpoint = await addEndpoint(s, { url: r.url, format: 'stripe', enabled_events: ['customer.updated'] });
  const customer = await createCustomer(s);
  await update(s, customer.id, { metadata: { n: '1' } });

  // The round leases the update's delivery, then cannot read the event's history.
  db.failWhen((sql) => sql.includes('"customer_events"'));
  await expect(s.webhooks.dispatcher.drain()).rejects.toThrow('ECONNREFUSED');
  db.failWhen(undefined);
  expect(r.received).toHaveLength(0);
  await update(s, customer.id, { metadata: { n: '2' } });

  // The store answers again: one drain, well inside the failed round's lease, sends both, in order.
  const report = await s.webhooks.dispatcher.drain();
  expect(report.delivered).toBe(2);
  const events = r.received.map((got) => stripeEventOf(got, endpoint.secret));
  expect(events.map((e) => (e.data.object as { metadata: Record<string, string> }).metadata.n)).toEqual(['1', '2']);
  expect(await s.webhooks.repo.pendingCount()).toBe(0);
});
