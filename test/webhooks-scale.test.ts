import { describe, expect, it } from 'vitest';
import { WebhookStore } from '../src/webhooks/store.ts';
import { type PlanNode, recorded, rowsTouched } from './support/recorded-queries.ts';
import { testBackend, testStore } from './support/store.ts';
import { webhookBacklog } from './support/webhook-backlog.ts';

// The webhook dispatcher's pick of due deliveries (WebhookStore.due, both halves of a round:
// src/outbox/round-pick.ts) beside a backlog: a receiver down for an hour on a busy tenant leaves
// tens of thousands pending, all due when its hold ends. The pick read every due row and sorted
// them, on every round (at 20,000: 17 to 19 ms on SQLite, about 50 ms on PostgreSQL; docs/performance.md).
// Checked by the plan (rows read), not by time. D1: test/workers/webhooks-pick.test.ts.

const BACKLOG = Number(process.env.CUSTGATE_WEBHOOK_SCALE_BACKLOG ?? 20_000);
const NOW = '2026-06-01T00:00:00.000Z';

/** `webhookBacklog` in a fresh store, whose webhook store records its reads. */
async function beside(
  customers: number,
  versions: number,
  analyzed = true,
): Promise<{ webhooks: WebhookStore; explainLast: <R>(prefix: string) => Promise<R[]> }> {
  const store = await testStore();
  await webhookBacklog(store, customers, versions, analyzed);
  const { executor, explainLast } = recorded(store.executor);
  return { webhooks: new WebhookStore(executor), explainLast };
}

/** The plan of the last pick is bounded: on PostgreSQL the rows it read, on SQLite its index walk. */
async function expectBounded(explainLast: <R>(prefix: string) => Promise<R[]>): Promise<void> {
  if (testBackend() === 'postgres') {
    const [plan] = await explainLast<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>('explain (analyze, format json)');
    // At most 64 rows walked, each with its seeks for its endpoint and an earlier version; the
    // sorted pick read the whole backlog (60,135 rows as counted here at 20,000).
    expect(rowsTouched(plan!['QUERY PLAN'][0].Plan), JSON.stringify(plan)).toBeLessThan(1_000);
    return;
  }
  const plan = await explainLast<{ detail: string }>('explain query plan');
  const details = plan.map((p) => p.detail).join('\n');
  // Read along `webhook_deliveries_pick` in its order, not sorted out of the whole backlog; a scan
  // of `d` is only of the bounded walk's rows (its co-routine), never the table's.
  expect(details).toMatch(/USING INDEX webhook_deliveries_pick/);
  expect(details).not.toMatch(/^SCAN webhook_deliveries\b|TEMP B-TREE FOR/m);
  if (/^SCAN d$/m.test(details)) expect(details).toMatch(/^CO-ROUTINE d$/m);
}

const named = (rows: readonly { endpoint_id: string; customer_id: string; version: number }[]) =>
  rows.map((d) => `${d.endpoint_id}/${d.customer_id}@${Number(d.version)}`);

describe('webhooks: the pick of due deliveries beside a backlog', () => {
  // PostgreSQL: also on a table never analyzed (a burst onto a new install), where the planner's
  // default estimates would choose the anti-join; the walk's plan does not depend on them.
  it.each(testBackend() === 'postgres' ? [true, false] : [true])(
    `picks the earliest and the latest due of ${BACKLOG} pending, reading a bounded number of rows (analyzed: %s)`,
    async (analyzed) => {
      const { webhooks, explainLast } = await beside(BACKLOG, 1, analyzed);

      expect(named(await webhooks.due(NOW, 64))).toEqual(Array.from({ length: 64 }, (_, i) => `we_down/cus_${i + 1}@1`));
      await expectBounded(explainLast);
      expect(named(await webhooks.due(NOW, 32, true)).slice(0, 2)).toEqual(['we_live/cus_1@1', `we_down/cus_${BACKLOG}@1`]);
      await expectBounded(explainLast);
    },
    60_000,
  );

  // Backwards, the rows met first are a backlog's later versions, which wait for their customers'
  // first: the latest-due pick passes each, so its walk is bounded rather than reading half of such
  // a backlog on every round.
  it(`picks the latest due past ${BACKLOG / 2} customers' waiting second versions, reading a bounded number of rows`, async () => {
    const { webhooks, explainLast } = await beside(BACKLOG / 2, 2);

    // Only heads, never a second version before its first; the first versions lie past the walk.
    expect(named(await webhooks.due(NOW, 4, true))).toEqual(['we_live/cus_1@1']);
    await expectBounded(explainLast);
    // The earliest due: the backlog's first versions.
    expect(named(await webhooks.due(NOW, 4))).toEqual(['we_down/cus_1@1', 'we_down/cus_2@1', 'we_down/cus_3@1', 'we_down/cus_4@1']);
  }, 60_000);
});
