import { CompiledQuery } from 'kysely';
import { expect, it } from 'vitest';
import { WebhookStore } from '../../src/webhooks/store.ts';
import { recorded } from '../support/recorded-queries.ts';
import { testStore } from '../support/store.ts';
import { webhookBacklog } from '../support/webhook-backlog.ts';

// The webhook dispatcher's pick on D1 (test/webhooks-scale.test.ts on SQLite and PostgreSQL): both
// halves of a round are read along `webhook_deliveries_pick` (migration 0060) in its order, the
// latest due a bounded walk, not sorted out of the whole backlog.

const NOW = '2026-06-01T00:00:00.000Z';

it('picks the earliest and the latest due beside a backlog along the due index, on D1', async () => {
  const store = await testStore();
  await webhookBacklog(store, 2_000, 1);
  const { executor, last } = recorded(store.executor);
  const webhooks = new WebhookStore(executor);
  for (const newest of [false, true]) {
    const picked = await webhooks.due(NOW, 8, newest);
    // The earliest: the backlog's first customer; the latest: the other tenant's event written since.
    expect(`${picked[0]?.endpoint_id}/${picked[0]?.customer_id}`).toBe(newest ? 'we_live/cus_1' : 'we_down/cus_1');
    expect(picked).toHaveLength(8);
    const q = last();
    const plan = await store.executor.all<{ detail: string }>(CompiledQuery.raw(`explain query plan ${q.sql}`, [...q.parameters]));
    const details = plan.map((p) => p.detail).join('\n');
    expect(details).toMatch(/USING INDEX webhook_deliveries_pick/);
    expect(details).not.toMatch(/^SCAN webhook_deliveries\b|TEMP B-TREE FOR/m);
  }
});
