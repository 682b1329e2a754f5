import { expect, it } from 'vitest';
import { defaultDeliveryConcurrency } from '../src/outbox/dispatcher.ts';
import { jsonInit } from './support/gateway.ts';
import { outboxRig } from './support/outbox-rig.ts';
import { testStore } from './support/store.ts';

// Tenant A's mirror has a backlog (its provider was down, or a backfill queued a book): until
// 2026-12-08 a round of the outbox was the earliest due deliveries, so tenant B's mirror write,
// queued after it, went out only once all of A's backlog had (here in the fourth round, after 24
// of A's), and B's team saw its mirror lag for a reason that was not theirs.

it("one upstream's backlog does not hold back another tenant's mirror write, and each customer's versions still go in order", async () => {
  const store = await testStore();
  const { app, dispatcher, upstream, mirrorTenant } = await outboxRig(store, 'fair-a');
  const a = await mirrorTenant('fair-a2', 'up_a');
  const b = await mirrorTenant('fair-b', 'up_b');
  const write = async (auth: Record<string, string>, path: string, body: Record<string, unknown>) => {
    const res = await app.request(`/wooshpay/v1/customers${path}`, jsonInit('POST', body, auth));
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };

  // A's backlog: 12 customers, each created and then updated (two versions to deliver in order).
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) ids.push(await write(a.auth, '', { name: `A ${i}` }));
  for (const [i, id] of ids.entries()) await write(a.auth, `/${id}`, { name: `A ${i} v2` });
  // B writes after the backlog was queued (a later millisecond, so "later" is not a tie).
  const queued = Date.now();
  while (Date.now() <= queued) await new Promise((resolve) => setImmediate(resolve));
  await write(b.auth, '', { name: 'B' });
  // The outbox names customers by their internal ids, as the upstream's deliveries do.
  const [bRow, ...more] = await store.outbox.list({ tenantId: b.tenant.tenant.id });
  expect(more).toEqual([]);
  const bId = bRow!.customer_id;
  const aRows = await store.outbox.list({ tenantId: a.tenant.tenant.id });
  const backlog = [...new Set(aRows.map((r) => r.customer_id))];
  expect(backlog).toHaveLength(12);

  // Count the rounds: each claims its rows in one commit, before any of its sends.
  const outbox = store.outbox;
  const claimMany = outbox.claimMany.bind(outbox);
  let rounds = 0;
  let bRound = 0;
  outbox.claimMany = async (rows, owner, now, until) => {
    rounds++;
    if (rows.some((r) => r.customer_id === bId)) bRound = rounds;
    return claimMany(rows, owner, now, until);
  };
  const report = await dispatcher.drain();
  outbox.claimMany = claimMany;

  expect(report.delivered).toBe(25);
  // 25 deliveries are at least four rounds of 8; B's goes in the first (it went in the fourth).
  expect(defaultDeliveryConcurrency).toBe(8);
  expect(rounds).toBeGreaterThanOrEqual(4);
  expect(bRound).toBe(1);
  expect(upstream.versions(bId)).toEqual([1]);
  // No customer's update overtook its create.
  for (const id of backlog) expect(upstream.versions(id)).toEqual([1, 2]);
});
