import { GatewayError } from '../contract/errors.ts';
import type { Store } from '../store/index.ts';
import { changeMode, historyStep, type UpstreamView } from './registry.ts';

// The cut-over (#27): a mirror or shadow upstream becomes the proxy, the system of record, only
// when nothing is left to deliver to it and the last reconciliation of both sides found no
// difference; `force` overrides, and the history says it was forced. Demote goes back to mirror.
// Each step is a line of the upstream's history, with its time (GET /gateway/v1/upstreams/{id}).

/** The history event a reconciliation records; its detail is `{"differences": n}`. */
export const reconciledEvent = 'reconciled';

/** Records a reconciliation's outcome in the upstream's history (what a promotion checks). */
export async function recordReconciliation(store: Store, tenantId: string, id: string, differences: number, now = new Date()) {
  const row = await store.upstreams.find(tenantId, id);
  if (!row) throw new GatewayError('not_found', `No such upstream: '${id}'`, { reference: id });
  await store.upstreams.record(
    historyStep(row, reconciledEvent, row.mode as UpstreamView['mode'], null, now, JSON.stringify({ differences })),
  );
}

/** What stands in the way of promoting an upstream now (empty: nothing). */
export async function promotionBlockers(store: Store, tenantId: string, id: string): Promise<string[]> {
  const blockers: string[] = [];
  const { pending, dead } = await store.outbox.counts(tenantId, id);
  if (pending + dead > 0) blockers.push(`${pending} pending and ${dead} dead deliveries to it are not delivered yet`);
  const last = (await store.upstreams.history(tenantId, id)).filter((s) => s.event === reconciledEvent).at(-1);
  const differences = last ? (JSON.parse(last.detail ?? '{}') as { differences?: unknown }).differences : undefined;
  if (!last) blockers.push('it has never been reconciled');
  else if (differences !== 0) blockers.push(`its last reconciliation (${last.created_at}) found ${String(differences)} differences`);
  return blockers;
}

/**
 * The customers with a delivery to the upstream not yet delivered (pending or dead, a delete
 * aside) and no link there: a create of each may be at the provider with its answer lost, or may
 * still be sent, and the proxy's first write of that customer would create it there again (under
 * another Idempotency-Key; Meteroid and Bigcapital take none). Force does not go past them.
 */
async function unlinkedCreates(store: Store, tenantId: string, id: string): Promise<string[]> {
  const rows = await store.outbox.list({ tenantId, upstreamId: id, states: ['pending', 'dead'], limit: 10_000 });
  const customers = [...new Set(rows.filter((r) => r.action !== 'delete').map((r) => r.customer_id))];
  const unlinked: string[] = [];
  for (const customer of customers) if (!(await store.upstreams.findLink(tenantId, id, customer))) unlinked.push(customer);
  return unlinked;
}

export interface Promotion {
  readonly upstream: UpstreamView;
  readonly forced: boolean;
  /** What a forced promotion went past. */
  readonly blockers: readonly string[];
}

/** Makes a mirror or shadow upstream the proxy; refused (409) while something blocks it, unless forced. */
export async function promote(store: Store, tenantId: string, id: string, now: Date, force = false): Promise<Promotion> {
  const row = await store.upstreams.find(tenantId, id);
  if (!row) throw new GatewayError('not_found', `No such upstream: '${id}'`, { reference: id });
  if (row.mode === 'proxy') throw new GatewayError('conflict', `Upstream ${id} is the proxy already.`, { field: 'mode' });
  const blockers = await promotionBlockers(store, tenantId, id);
  const unlinked = blockers.length > 0 ? await unlinkedCreates(store, tenantId, id) : [];
  if (unlinked.length > 0) {
    const shown = unlinked.slice(0, 5).join(', ') + (unlinked.length > 5 ? `, and ${unlinked.length - 5} more` : '');
    const why = `${unlinked.length} customer(s) (${shown}) have a delivery to it not yet delivered and no link there: a create of each may be at the provider already (its answer lost) or still on its way, and the proxy would create them again`;
    const settle =
      'Let the outbox deliver them (custgate outbox list), or drop those deliveries (custgate outbox drop) once the provider is known not to hold the customers';
    const message = force
      ? `Upstream ${id} cannot be promoted, even by force: ${why}. ${settle}.`
      : `Upstream ${id} cannot be promoted: ${blockers.join('; ')}; and ${why}, which even force does not go past. ${settle}.`;
    throw new GatewayError('conflict', message, { field: 'mode' });
  }
  if (blockers.length > 0 && !force) {
    throw new GatewayError('conflict', `Upstream ${id} cannot be promoted: ${blockers.join('; ')}. Force it to promote anyway.`, {
      field: 'mode',
    });
  }
  const detail = JSON.stringify(blockers.length > 0 ? { forced: true, blockers } : { forced: false });
  const upstream = await changeMode(store, tenantId, id, 'proxy', now, { event: 'promoted', detail, promoted: true });
  return { upstream, forced: blockers.length > 0, blockers };
}

/** Makes the proxy a mirror again (the local store becomes the system of record). */
export async function demote(store: Store, tenantId: string, id: string, now: Date): Promise<UpstreamView> {
  const row = await store.upstreams.find(tenantId, id);
  if (!row) throw new GatewayError('not_found', `No such upstream: '${id}'`, { reference: id });
  if (row.mode !== 'proxy') throw new GatewayError('conflict', `Upstream ${id} is not the proxy (it is a ${row.mode}).`, { field: 'mode' });
  return changeMode(store, tenantId, id, 'mirror', now, { event: 'demoted' });
}
