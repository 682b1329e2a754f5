import { CompiledQuery } from 'kysely';
import type { SqlExecutor } from '../../src/store/executor.ts';
import type { Store } from '../../src/store/index.ts';
import { type EndpointRow, WebhookStore } from '../../src/webhooks/store.ts';

// A webhook backlog written straight into the store, by the thousand, for the tests of what the
// dispatcher's pick costs beside it (test/webhooks-scale.test.ts, test/workers/webhooks-pick.test.ts).

/** Long before the backlog: the endpoints' and tenants' creation. */
const PAST = '2026-01-01T00:00:00.000Z';

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
    executor.backend === 'postgres'
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
 * PostgreSQL: analyzed, or (`analyzed` false) never, as a burst onto a new install meets it.
 */
export async function webhookBacklog(store: Store, customers: number, versions: number, analyzed = true): Promise<void> {
  // PostgreSQL: autovacuum kept away, so the table's statistics stay as the test leaves them.
  if (store.executor.backend === 'postgres') {
    await store.executor.run(CompiledQuery.raw('alter table webhook_deliveries set (autovacuum_enabled = false)'));
  }
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
  if (analyzed && store.executor.backend === 'postgres') await store.executor.run(CompiledQuery.raw('analyze webhook_deliveries'));
}
