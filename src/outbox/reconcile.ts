import { applyPatch, rowToCustomer } from '../core/index.ts';
import { GatewayError } from '../contract/errors.ts';
import { queryBuilder } from '../store/compiler.ts';
import type { Store, UpstreamMode, UpstreamRow } from '../store/index.ts';
import type { CustomersTable } from '../store/schema.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import { pageWithRetries, sleepFor } from '../upstream/import.ts';
import { reconciledEvent } from '../upstream/cut-over.ts';
import { historyStep } from '../upstream/registry.ts';
import { comparedFields, type FieldDiff, shadowDiff } from '../core/shadow-diff.ts';
import { expectedAt } from './upstream-port.ts';
import { walkCustomers } from './walk-customers.ts';

// `custgate upstream reconcile` (#27): walks the upstream's whole list page by page, then the
// tenant's local book in keyset pages, and says whether they hold the same customers: counts, the customers missing on
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

/** Customers read per local page (only their ids and links). */
const batch = 500;

export async function reconcile(
  deps: { readonly store: Store; readonly client: UpstreamClient },
  row: UpstreamRow,
  options: { readonly now?: () => Date; readonly sleep?: (ms: number) => Promise<void> } = {},
): Promise<Reconciliation> {
  const now = options.now ?? (() => new Date());
  const { store, client } = deps;
  const upstream = await client.open(row);
  const dialect = upstream.dialect;
  const fields = comparedFields(dialect);
  const db = queryBuilder(store.executor.backend);
  // Only the ids the upstream listed are kept across pages (what the local walk checks links
  // against); each page's customers are compared with their local copies and dropped.
  const listed = new Set<string>();
  const missingLocal: string[] = [];
  const differences: Reconciliation['differences'][number][] = [];
  const ids: [string, string][] = [];
  const asked = new Set<string>();
  let token: string | undefined;
  do {
    const page = await pageWithRetries(client, upstream, token, options.sleep ?? sleepFor);
    const fresh = page.customers.filter((c) => !listed.has(c.id));
    for (const c of fresh) listed.add(c.id);
    const locals = new Map<string, CustomersTable>();
    if (fresh.length > 0) {
      const q = db
        .selectFrom('upstream_links as l')
        .innerJoin('customers as c', 'c.id', 'l.customer_id')
        .selectAll('c')
        .select('l.remote_id')
        .where('l.tenant_id', '=', row.tenant_id)
        .where('l.upstream_id', '=', row.id)
        .where(
          'l.remote_id',
          'in',
          fresh.map((c) => c.id),
        )
        .compile();
      for (const r of await store.executor.all(q)) locals.set(r.remote_id, r);
    }
    for (const c of fresh) {
      const r = locals.get(c.id);
      if (r === undefined) {
        missingLocal.push(c.id);
        continue;
      }
      ids.push([r.id, c.id]);
      const customer = rowToCustomer(r);
      const diffs = shadowDiff(expectedAt(dialect, r.id, customer), applyPatch(customer, c.patch), fields);
      if (diffs.length > 0) differences.push({ customer: r.id, upstream_id: c.id, fields: diffs });
    }
    token = page.next;
    if (token !== undefined) {
      if (asked.has(token)) throw new GatewayError('bad_gateway', `The upstream's list came back to page ${token}: it never ends.`);
      asked.add(token);
    }
  } while (token !== undefined);

  // The local side: every customer without a link, or linked to an id the upstream did not list.
  const missingUpstream: string[] = [];
  let local = 0;
  const pages = walkCustomers(store, row.tenant_id, batch, (page) =>
    page
      .leftJoin('upstream_links as l', (join) => join.onRef('l.customer_id', '=', 'c.id').on('l.upstream_id', '=', row.id))
      .select(['c.id', 'c.number', 'l.remote_id']),
  );
  for await (const rows of pages) {
    for (const r of rows) {
      local++;
      if (r.remote_id === null || !listed.has(r.remote_id)) missingUpstream.push(r.id);
    }
  }
  const at = now();
  const result: Reconciliation = {
    upstream: row.id,
    at: at.toISOString(),
    clean: missingUpstream.length === 0 && missingLocal.length === 0 && differences.length === 0,
    counts: {
      local,
      upstream: listed.size,
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
