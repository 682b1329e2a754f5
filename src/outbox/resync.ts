import { GatewayError } from '../contract/errors.ts';
import { uuidPattern } from '../core/ids.ts';
import { queryBuilder } from '../store/compiler.ts';
import { type CustomerRow, type DeliveryRow, pendingDelivery, type Store } from '../store/index.ts';
import { reconciledEvent } from '../upstream/cut-over.ts';

// `custgate upstream resync` (POST /gateway/v1/upstreams/{id}/resync). A mirror carries local
// changes: a customer edited at the provider itself is reported by reconcile, but the next
// delivery sends only what changed here, and writing the value the gateway already holds changes
// nothing, so nothing was ever sent back. A resync queues, for each customer named (or each the
// last reconciliation found different), a delivery of its whole local state (every field, absolute:
// src/outbox/delivery-work.ts) on the row of its current version, sent by the dispatcher with its
// usual guarantees (order per customer, retries, dead letters, an Idempotency-Key of its own).

export interface ResyncResult {
  readonly upstream: string;
  /** `named`: the customers given; `reconciliation`: those the last reconciliation found different. */
  readonly from: 'named' | 'reconciliation';
  /** The reconciliation read (from: reconciliation), when it ran. */
  readonly reconciled_at: string | null;
  /** Customers (UUID) whose whole state is now in line, at their current version. */
  readonly queued: readonly { readonly customer: string; readonly version: number }[];
  /** Customers of the reconciliation passed over, with why (deleted since, no link, being sent now). */
  readonly skipped: readonly { readonly customer: string; readonly reason: string }[];
  /** True when the reconciliation listed only the first of its differing customers: reconcile and resync again after. */
  readonly truncated: boolean;
}

/** What a reconciliation records of its differing customers in the upstream's history (src/outbox/reconcile.ts). */
export interface ReconciledDetail {
  readonly differences?: number;
  /** Linked customers (UUID) whose fields differed, or whose copy there could not be read: what a resync sends. */
  readonly differing_customers?: readonly string[];
  readonly differing_truncated?: boolean;
}

/** A customer named by its UUID or its public id (cus_…). */
async function customerNamed(store: Store, tenantId: string, ref: string): Promise<CustomerRow | undefined> {
  if (uuidPattern.test(ref)) return store.findCustomer(tenantId, 'uuid', ref.toLowerCase());
  return store.findCustomer(tenantId, 'public_id', ref);
}

/** Why this customer gets no resync from this upstream (undefined: it does). */
async function unfit(store: Store, tenantId: string, upstreamId: string, row: CustomerRow): Promise<string | undefined> {
  if (row.deleted_at !== null) return 'it is deleted here';
  if (!(await store.upstreams.findLink(tenantId, upstreamId, row.id)))
    return 'the upstream holds no copy of it linked here: `custgate upstream backfill` sends it a create';
  return undefined;
}

async function lastReconciliation(store: Store, tenantId: string, id: string) {
  const last = (await store.upstreams.history(tenantId, id)).filter((s) => s.event === reconciledEvent).at(-1);
  if (!last)
    throw new GatewayError(
      'conflict',
      `Upstream ${id} has never been reconciled: run \`custgate upstream reconcile\` first, or name the customers to resync.`,
      { field: 'customers' },
    );
  const detail = JSON.parse(last.detail ?? '{}') as ReconciledDetail;
  if (detail.differences !== 0 && !Array.isArray(detail.differing_customers))
    throw new GatewayError(
      'conflict',
      `Upstream ${id}'s last reconciliation (${last.created_at}) did not record which customers differed (it ran before this version): reconcile again, or name the customers to resync.`,
      { field: 'customers' },
    );
  return { at: last.created_at, customers: detail.differing_customers ?? [], truncated: detail.differing_truncated === true };
}

/**
 * Puts the customer's current version in line as a resync: its row (delivered already, dead, or
 * pending and not being sent) becomes pending again with a fresh token, or is made when there is
 * none. A row a dispatcher is sending now is left to it (false): changing it under the send would
 * settle the resync as delivered with the older, partial request.
 */
async function queueResync(store: Store, row: CustomerRow, upstreamId: string, token: string, at: string): Promise<boolean> {
  const db = queryBuilder(store.executor.backend);
  const version = Number(row.version);
  const key = { upstream_id: upstreamId, customer_id: row.id, version };
  const updated = await store.outbox.requeueResync(key, token, at);
  if (updated > 0) return true;
  const fresh: DeliveryRow = { ...pendingDelivery({ ...key, tenant_id: row.tenant_id, action: 'update' }, at), resync: token };
  const inserted = await store.executor.run(
    db
      .insertInto('outbox')
      .values(fresh)
      .onConflict((oc) => oc.columns(['upstream_id', 'customer_id', 'version']).doNothing())
      .compile(),
  );
  return inserted > 0;
}

/**
 * Whether a key of `livemode` (undefined: the operator's CLI, every customer) may resync this
 * customer: one of its mode, or of none recorded. Another mode's is, to it, no customer at all:
 * named, the same 404 as an id that does not exist; from the reconciliation, left for its keys.
 */
const ofMode = (row: CustomerRow, livemode: boolean | undefined) =>
  livemode === undefined || row.livemode === null || Number(row.livemode) === (livemode ? 1 : 0);

export async function resync(
  store: Store,
  tenantId: string,
  id: string,
  named: readonly string[] = [],
  now = new Date(),
  livemode?: boolean,
): Promise<ResyncResult> {
  const upstream = await store.upstreams.find(tenantId, id);
  if (!upstream) throw new GatewayError('not_found', `No such upstream: '${id}'`, { reference: id });
  if (upstream.mode !== 'mirror' && upstream.mode !== 'shadow') {
    throw new GatewayError(
      'conflict',
      `Upstream ${id} is the proxy: a resync sends the local state to a mirror or shadow. The proxy is the system of record; GET /gateway/v1/customers/{ref}?refresh=true takes its state into the local copy instead.`,
      { field: 'mode' },
    );
  }
  const at = now.toISOString();
  const token = crypto.randomUUID().replaceAll('-', '').slice(0, 16);
  const queued: { customer: string; version: number }[] = [];
  const skipped: { customer: string; reason: string }[] = [];
  if (named.length > 0) {
    // Every named customer is checked before any is queued: a name that cannot be resynced is the
    // caller's mistake, refused whole, not a partial run.
    const rows: CustomerRow[] = [];
    for (const ref of new Set(named)) {
      const row = await customerNamed(store, tenantId, ref);
      if (!row || !ofMode(row, livemode))
        throw new GatewayError('not_found', `No such customer: '${ref}'`, { reference: ref, field: 'customers' });
      const why = await unfit(store, tenantId, id, row);
      if (why) throw new GatewayError('conflict', `Customer ${ref} cannot be resynced to upstream ${id}: ${why}.`, { field: 'customers' });
      if (!rows.some((r) => r.id === row.id)) rows.push(row);
    }
    for (const row of rows) {
      if (await queueResync(store, row, id, token, at)) queued.push({ customer: row.id, version: Number(row.version) });
      else skipped.push({ customer: row.id, reason: 'a delivery of it is being sent now: resync it again once that is done' });
    }
    return { upstream: id, from: 'named', reconciled_at: null, queued, skipped, truncated: false };
  }
  const last = await lastReconciliation(store, tenantId, id);
  for (const customer of last.customers) {
    const row = await store.findCustomer(tenantId, 'uuid', customer);
    if (row && !ofMode(row, livemode)) continue;
    const why = row ? await unfit(store, tenantId, id, row) : 'it is no longer here';
    if (!row || why) {
      skipped.push({ customer, reason: why ?? 'it is no longer here' });
      continue;
    }
    if (await queueResync(store, row, id, token, at)) queued.push({ customer: row.id, version: Number(row.version) });
    else skipped.push({ customer: row.id, reason: 'a delivery of it is being sent now: resync it again once that is done' });
  }
  return { upstream: id, from: 'reconciliation', reconciled_at: last.at, queued, skipped, truncated: last.truncated };
}
