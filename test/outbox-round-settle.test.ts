import { describe, expect, it } from 'vitest';
import { jsonInit } from './support/gateway.ts';
import { outboxRig } from './support/outbox-rig.ts';
import { testStore } from './support/store.ts';
import type { DeliveryRow } from '../src/store/index.ts';

// A round of deliveries ends in one commit (src/outbox/dispatcher.ts, OutboxStore.settleRound):
// the round's lease, then its settle, whatever the number of rows; and that commit changes only the
// rows the round still holds, so a row another dispatcher took over mid-round stays with it.

describe('outbox: a round settles in one commit', () => {
  it('writes the lease and the ends of a round of 8 in two commits, and leaves a row whose lease was taken over mid-round to its new holder', async () => {
    const store = await testStore();
    let stolen: DeliveryRow | undefined;
    const thief = 'another-dispatcher';
    // While the round's sends are out, another dispatcher takes the lease of one row over (as one
    // does once a stalled holder's lease ran out).
    const { app, dispatcher, upstream, tenant, auth } = await outboxRig(store, 'round', async (work, signal, fake) => {
      const row = stolen;
      if (row && work.customerId === row.customer_id) {
        const later = '2999-01-01T00:00:00.000Z';
        expect(await store.outbox.claim(row, thief, later, '2999-01-01T00:01:00.000Z')).toBe(true);
      }
      return fake.deliver(work, signal);
    });
    for (let i = 0; i < 8; i++) {
      const res = await app.request('/wooshpay/v1/customers', jsonInit('POST', { name: `Round ${i}` }, auth));
      expect(res.status).toBe(200);
    }
    const pending = await store.outbox.list({ tenantId: tenant.tenant.id });
    expect(pending.map((r) => r.state)).toEqual(Array(8).fill('pending'));
    stolen = pending[3]!;
    const stolenId = stolen.customer_id;

    // Every write the dispatcher's round commits, counted at the executor (the theft aside).
    const executor = store.executor as { run: typeof store.executor.run; atomic: typeof store.executor.atomic };
    let commits = 0;
    const { run, atomic } = executor;
    executor.run = (q) => {
      if (!q.parameters.includes(thief)) commits++;
      return run.call(store.executor, q);
    };
    executor.atomic = (steps) => {
      commits++;
      return atomic.call(store.executor, steps);
    };

    const report = await dispatcher.drain();
    executor.run = run;
    executor.atomic = atomic;

    expect(report.delivered).toBe(8);
    expect(upstream.received.length).toBe(8);
    // One round: its lease and its settle. (One settle per row made it 9.)
    expect(commits).toBe(2);
    const after = await store.outbox.list({ tenantId: tenant.tenant.id });
    const taken = after.filter((r) => r.customer_id === stolenId);
    expect(taken).toMatchObject([{ state: 'pending', lease_owner: thief }]);
    const others = after.filter((r) => r.customer_id !== stolenId);
    expect(others.map((r) => [r.state, r.lease_owner, r.attempts])).toEqual(Array(7).fill(['delivered', null, 1]));
  });
});
