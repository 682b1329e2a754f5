import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { SqlExecutor } from '../src/store/executor.ts';
import { type EndpointRow, WebhookStore } from '../src/webhooks/store.ts';
import { type PlanNode, recorded, rowsTouched } from './support/recorded-queries.ts';
import { testBackend, testStore } from './support/store.ts';

// The webhook dispatcher's pick of due deliveries (WebhookStore.due, both halves of a round:
// src/outbox/round-pick.ts) beside a backlog: a receiver down for an hour on a busy tenant leaves
// tens of thousands pending, all due when its hold ends. The pick read every due row and sorted
// them, on every round (about 19 ms on SQLite, 95 to 146 ms on PostgreSQL at 20,000). Checked by
// the plan (rows read), not by time.

const BACKLOG = Number(process.env.CUSTGATE_WEBHOOK_SCALE_BACKLOG ?? 20_000);
const PAST = '2026-01-01T00:00:00.000Z';
const NOW = '2026-06-01T00:00:00.000Z';

const columns =
  'endpoint_id, customer_id, version, tenant_id, type, request_id, idempotency_key, state, attempts, next_attempt_at, lease_owner, lease_until, last_error, created_at, updated_at';

function endpoint(id: string, tenant: string): EndpointRow {
  return {
    id,
    tenant_id: tenant,
    url: `http://127.0.0.1:9/${id}`,
    format: 'standard',
    dialect: 'wooshpay',
    events: '*',
    secret: 'whsec_test',
    previous_secret: null,
    previous_until: null,
    status: 'enabled',
    livemode: 0,
    description: null,
    metadata: null,
    api_version: null,
    failures: 0,
    held_until: null,
    held_rounds: 0,
    created_at: PAST,
    updated_at: PAST,
  };
}

/**
 * `customers` customers' versions 1..`versions` for one endpoint, all pending: version v written
 * on January v, each customer a millisecond after the last (a busy tenant's writes), due that day.
 */
async function backlog(
  executor: SqlExecutor,
  of: { endpoint: string; tenant: string; customers: number; versions: number },
): Promise<void> {
  // Written on day v of January for version v, the customer's milliseconds after midnight; due
  // at that midnight, all at once (as a hold's end makes an endpoint's deferred deliveries).
  const due = `'2026-01-0' || v.v || 'T00:00:00.000Z'`;
  const at =
    testBackend() === 'postgres'
      ? `to_char(('2026-01-0' || v.v)::timestamp + n.i * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
      : `strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-0' || v.v, '+' || (n.i / 1000.0) || ' seconds')`;
  await executor.run(
    CompiledQuery.raw(
      `insert into webhook_deliveries (${columns})
       with recursive n(i) as (select 1 union all select i + 1 from n where i < ${of.customers}),
         v(v) as (select 1 union all select v + 1 from v where v < ${of.versions})
       select '${of.endpoint}', 'cus_' || n.i, v.v, '${of.tenant}', 'customer.updated', null, null, 'pending', 0,
         ${due}, null, null, null, ${at}, ${at}
       from n, v`,
    ),
  );
}

/**
 * Two tenants' endpoints: `we_down` (ten_a), whose receiver was down, with a backlog of
 * `customers` × `versions`, and `we_live` (ten_b) with one event written since, the latest due.
 * The store returned records its reads.
 */
async function beside(
  customers: number,
  versions: number,
): Promise<{ webhooks: WebhookStore; explainLast: <R>(prefix: string) => Promise<R[]> }> {
  const store = await testStore();
  await store.executor.run(
    CompiledQuery.raw(`insert into tenants (id, name, created_at) values ('ten_a', 'a', '${PAST}'), ('ten_b', 'b', '${PAST}')`),
  );
  const setup = new WebhookStore(store.executor);
  await setup.insertEndpoint(endpoint('we_down', 'ten_a'));
  await setup.insertEndpoint(endpoint('we_live', 'ten_b'));
  await backlog(store.executor, { endpoint: 'we_down', tenant: 'ten_a', customers, versions });
  await backlog(store.executor, { endpoint: 'we_live', tenant: 'ten_b', customers: 1, versions: 1 });
  await store.executor.run(
    CompiledQuery.raw(
      "update webhook_deliveries set next_attempt_at = '2026-01-03T00:00:00.000Z', created_at = '2026-01-03T00:00:00.000Z' where endpoint_id = 'we_live'",
    ),
  );
  if (testBackend() === 'postgres') await store.executor.run(CompiledQuery.raw('analyze webhook_deliveries'));
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
  it(`picks the earliest and the latest due of ${BACKLOG} pending, reading a bounded number of rows`, async () => {
    const { webhooks, explainLast } = await beside(BACKLOG, 1);

    expect(named(await webhooks.due(NOW, 64))).toEqual(Array.from({ length: 64 }, (_, i) => `we_down/cus_${i + 1}@1`));
    await expectBounded(explainLast);
    expect(named(await webhooks.due(NOW, 32, true)).slice(0, 2)).toEqual(['we_live/cus_1@1', `we_down/cus_${BACKLOG}@1`]);
    await expectBounded(explainLast);
  }, 60_000);

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
