import type { CustomerPatch } from '../../schemas/index.ts';
import { applyPatch, rowToCustomer } from '../core/index.ts';
import { GatewayError } from '../contract/errors.ts';
import { queryBuilder } from '../store/compiler.ts';
import type { Store, UpstreamMode, UpstreamRow } from '../store/index.ts';
import { dialectOf, type UpstreamClient } from '../upstream/client.ts';
import { pageWithRetries, sleepFor } from '../upstream/import.ts';
import { reconciledEvent } from '../upstream/cut-over.ts';
import { historyStep } from '../upstream/registry.ts';
import { comparedFields, type FieldDiff, shadowDiff } from '../core/shadow-diff.ts';
import { expectedAt } from './upstream-port.ts';

// `custgate upstream reconcile` (#27): walks the upstream's whole list and the tenant's whole
// local book and says whether they hold the same customers: counts, the customers missing on
// either side, and per linked customer the fields that differ, compared as the shadow compares
// (src/outbox/shadow.ts: the local customer as the upstream's dialect shows it, declared noise
// ignored). The result's summary is recorded in the upstream's history (`reconciled`), where a
// cut-over reads whether the last reconciliation found no difference.

export interface Reconciliation {
  readonly upstream: string;
  readonly at: string;
  /** True when nothing differs: no customer missing on either side, no field difference. */
  readonly clean: boolean;
  readonly counts: {
    readonly local: number;
    readonly upstream: number;
    readonly linked: number;
    readonly missing_upstream: number;
    readonly missing_local: number;
    readonly differing: number;
  };
  /** Local customers (UUID) the upstream does not hold: no link, or a link to an id its list lacks. */
  readonly missing_upstream: readonly string[];
  /** Upstream customer ids no local customer is linked to. */
  readonly missing_local: readonly string[];
  readonly differences: readonly { readonly customer: string; readonly upstream_id: string; readonly fields: readonly FieldDiff[] }[];
  /** [local UUID, upstream id] of every linked customer the upstream holds. */
  readonly ids: readonly (readonly [string, string])[];
}

/** Customers read per local page. */
const batch = 500;

export async function reconcile(
  deps: { readonly store: Store; readonly client: UpstreamClient },
  row: UpstreamRow,
  options: { readonly now?: () => Date; readonly sleep?: (ms: number) => Promise<void> } = {},
): Promise<Reconciliation> {
  const now = options.now ?? (() => new Date());
  const { store, client } = deps;
  const upstream = await client.open(row);
  // The upstream's side, whole: its ids and what each shows.
  const remote = new Map<string, CustomerPatch>();
  const asked = new Set<string>();
  let token: string | undefined;
  do {
    const page = await pageWithRetries(client, upstream, token, options.sleep ?? sleepFor);
    for (const c of page.customers) remote.set(c.id, c.patch);
    token = page.next;
    if (token !== undefined) {
      if (asked.has(token)) throw new GatewayError('bad_gateway', `The upstream's list came back to page ${token}: it never ends.`);
      asked.add(token);
    }
  } while (token !== undefined);

  const db = queryBuilder(store.executor.backend);
  const fields = comparedFields(dialectOf(row.dialect));
  const matched = new Set<string>();
  const missingUpstream: string[] = [];
  const differences: Reconciliation['differences'][number][] = [];
  const ids: [string, string][] = [];
  let local = 0;
  for (let after = 0; ; ) {
    const q = db
      .selectFrom('customers as c')
      .leftJoin('upstream_links as l', (join) => join.onRef('l.customer_id', '=', 'c.id').on('l.upstream_id', '=', row.id))
      .selectAll('c')
      .select('l.remote_id')
      .where('c.tenant_id', '=', row.tenant_id)
      .where('c.number', '>', after)
      .orderBy('c.number')
      .limit(batch)
      .compile();
    const rows = await store.executor.all(q);
    if (rows.length === 0) break;
    after = Number(rows.at(-1)?.number);
    for (const r of rows) {
      local++;
      const remoteId = r.remote_id;
      const shown = remoteId === null ? undefined : remote.get(remoteId);
      if (remoteId === null || shown === undefined) {
        missingUpstream.push(r.id);
        continue;
      }
      matched.add(remoteId);
      ids.push([r.id, remoteId]);
      const customer = rowToCustomer(r);
      const diffs = shadowDiff(expectedAt(dialectOf(row.dialect), r.id, customer), applyPatch(customer, shown), fields);
      if (diffs.length > 0) differences.push({ customer: r.id, upstream_id: remoteId, fields: diffs });
    }
  }
  const missingLocal = [...remote.keys()].filter((id) => !matched.has(id));
  const at = now();
  const result: Reconciliation = {
    upstream: row.id,
    at: at.toISOString(),
    clean: missingUpstream.length === 0 && missingLocal.length === 0 && differences.length === 0,
    counts: {
      local,
      upstream: remote.size,
      linked: ids.length,
      missing_upstream: missingUpstream.length,
      missing_local: missingLocal.length,
      differing: differences.length,
    },
    missing_upstream: missingUpstream,
    missing_local: missingLocal,
    differences,
    ids,
  };
  // `differences` is what a promotion reads (src/upstream/cut-over.ts): every customer missing on
  // either side or differing counts.
  const summary = JSON.stringify({
    clean: result.clean,
    differences: missingUpstream.length + missingLocal.length + differences.length,
    ...result.counts,
  });
  await store.upstreams.record(historyStep(row, reconciledEvent, row.mode as UpstreamMode, null, at, summary));
  return result;
}
