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
