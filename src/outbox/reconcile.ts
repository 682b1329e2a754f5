import { applyPatch, rowToCustomer } from '../core/index.ts';
import { queryBuilder } from '../store/compiler.ts';
import type { Store, UpstreamMode, UpstreamRow } from '../store/index.ts';
import type { CustomersTable } from '../store/schema.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import { notStorable, pageWithRetries, sleepFor } from '../upstream/list-pages.ts';
import { PagedWalk } from '../upstream/list-shift.ts';
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
    /** Upstream customers this gateway cannot read as the provider holds them (`refused`). */
    readonly refused: number;
  };
  /** Local customers (UUID) the upstream does not hold: no link, or a link to an id its list lacks. */
  readonly missing_upstream: readonly string[];
  /** Upstream customer ids no local customer is linked to, or only one deleted here. */
  readonly missing_local: readonly string[];
  readonly differences: readonly { readonly customer: string; readonly upstream_id: string; readonly fields: readonly FieldDiff[] }[];
  /**
   * Upstream customers this gateway cannot store as the provider holds them, with why: the ones
   * and the reasons an import names (a NUL character, an email that is none, a customer past
   * CUSTGATE_MAX_CUSTOMER_BYTES). One no local customer is linked to is also among
   * `missing_local`; a linked one is not compared (its copy here cannot be what the provider
   * holds), and counts as a difference.
   */
  readonly refused: readonly { readonly upstream_id: string; readonly reason: string }[];
  /** [local UUID, upstream id] of linked customers the upstream holds (`custgate upstream reconcile --ids` prints them all). */
  readonly ids: readonly (readonly [string, string])[];
  /** True when a list above holds only its first `listLimit` entries; the counts are always whole. */
  readonly truncated: boolean;
  /**
   * True when `missing_local` and `refused` leave out the provider's ids that no customer here is
   * linked to (`namesUnlinked` false: a test key of a tenant that has anything live, over HTTP);
   * `counts` still count them.
   */
  readonly unlinked_withheld: boolean;
}

export interface ReconcileOptions {
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Each linked pair as it is found, for an id map of any size (the CSV of `--ids`). */
  readonly onLinked?: (localId: string, upstreamId: string) => void | Promise<void>;
  /** Entries kept per list of the result (default 1,000), so a book of any size is held in bounded memory. */
  readonly listLimit?: number;
  /**
   * Which local customers, by their `livemode` (1, 0, null), the answer names in `differences`,
   * `ids` and `missing_upstream` (a key's own mode's over HTTP: differences hold their values).
   * The counts and the history entry (what a promotion and a resync read) stay the whole book's.
   */
  readonly shows?: (livemode: number | null) => boolean;
  /**
   * Whether the answer names the provider's customers no local customer is linked to (in
   * `missing_local`, `refused`; default true). They are of no mode here, and once the tenant is
   * live they are the provider's live data, which a provider shows no test key.
   */
  readonly namesUnlinked?: boolean;
}

/** Customers read per local page (only their ids and links). */
const batch = 500;
/** Ids per statement: D1 binds at most 100 parameters to one (a staged row binds 3). */
const chunk = 30;
/** Staged ids of a run that died without dropping them are dropped by a later run after this long. */
const staleStagingMs = 86_400_000;

const chunksOf = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / chunk) }, (_, i) => items.slice(i * chunk, (i + 1) * chunk));

export async function reconcile(
  deps: { readonly store: Store; readonly client: UpstreamClient; readonly maxCustomerBytes?: number | undefined },
  row: UpstreamRow,
  options: ReconcileOptions = {},
): Promise<Reconciliation> {
  const now = options.now ?? (() => new Date());
  const limit = options.listLimit ?? 1_000;
  const { store, client } = deps;
  const upstream = await client.open(row);
  const dialect = upstream.dialect;
  const fields = comparedFields(dialect);
  const db = queryBuilder(store.executor.backend);
  const exec = store.executor;
  // The ids the upstream listed are staged in a table for this run (what the local walk checks
  // links against, in SQL); each page's customers are compared with their local copies and dropped.
  const run = crypto.randomUUID();
  const stagedAt = now().toISOString();
  await exec.run(
    db
      .deleteFrom('reconcile_listed')
      .where('created_at', '<', new Date(now().getTime() - staleStagingMs).toISOString())
      .compile(),
  );
  const missingLocal: string[] = [];
  const differences: Reconciliation['differences'][number][] = [];
  const ids: [string, string][] = [];
  const counts = { local: 0, upstream: 0, linked: 0, missing_upstream: 0, missing_local: 0, differing: 0, refused: 0 };
  const refused: Reconciliation['refused'][number][] = [];
  let refusedLinked = 0;
  // What a resync sends without customers named (src/outbox/resync.ts), kept in the history.
  const differing: string[] = [];
  const missingUpstream: string[] = [];
  const shows = (r: { readonly livemode: number | null }) => options.shows?.(r.livemode === null ? null : Number(r.livemode)) ?? true;
  // Entries the answer may name, per list: the counts above stay the whole book's.
  const listed = { linked: 0, differing: 0, missing_upstream: 0, missing_local: 0, refused: 0 };
  const namesUnlinked = options.namesUnlinked ?? true;
  /** Whether the answer names a provider customer linked to `r` here (undefined: to none). */
  const named = (r: { readonly livemode: number | null } | undefined) => (r === undefined ? namesUnlinked : shows(r));
  try {
    // A list paged by position is checked for moving under the walk (list-shift.ts): a customer
    // created or deleted there meanwhile would otherwise hide another, reported missing here.
    // A customer this gateway cannot store as the provider holds it (a NUL character, an email
    // that is none, past CUSTGATE_MAX_CUSTOMER_BYTES) is named, as the import names it, not the end of the walk.
    const walk = new PagedWalk((token) => pageWithRetries(client, upstream, token, options.sleep ?? sleepFor, true));
    while (!walk.done) {
      const step = await walk.next();
      if (step.kind === 'lost') continue;
      const page = step.page;
      const notHere = notStorable(page, deps.maxCustomerBytes);
      const fresh = await stageFresh(store, run, stagedAt, page.customers);
      counts.upstream += fresh.length;
      const locals = await linkedLocals(
        store,
        row,
        fresh.map((c) => c.id),
      );
      for (const c of fresh) {
        const r = locals.get(c.id);
        const why = notHere.get(c.id);
        if (why !== undefined) {
          counts.refused++;
          if (named(r) && listed.refused++ < limit) refused.push({ upstream_id: c.id, reason: why });
        }
        // The provider still holds a customer deleted here (its delete was not delivered, or the
        // provider has none): the two books differ by that customer.
        if (r === undefined || r.deleted_at !== null) {
          counts.missing_local++;
          if (named(r) && listed.missing_local++ < limit) missingLocal.push(c.id);
          continue;
        }
        counts.linked++;
        if (shows(r) && listed.linked++ < limit) ids.push([r.id, c.id]);
        await options.onLinked?.(r.id, c.id);
        if (why !== undefined) {
          if (refusedLinked++ + counts.differing < limit) differing.push(r.id);
          continue;
        }
        const customer = rowToCustomer(r);
        const there = applyPatch(customer, c.patch);
        const diffs = shadowDiff(expectedAt(dialect, r.id, customer, there), there, fields);
        if (diffs.length > 0 && refusedLinked + counts.differing < limit) differing.push(r.id);
        if (diffs.length === 0) continue;
        counts.differing++;
        if (shows(r) && listed.differing++ < limit) differences.push({ customer: r.id, upstream_id: c.id, fields: diffs });
      }
    }

    // The local side: every customer not deleted without a link, or linked to an id the upstream did not list.
    const pages = walkCustomers(store, row.tenant_id, batch, (page) =>
      page
        .leftJoin('upstream_links as l', (join) => join.onRef('l.customer_id', '=', 'c.id').on('l.upstream_id', '=', row.id))
        .leftJoin('reconcile_listed as s', (join) => join.onRef('s.remote_id', '=', 'l.remote_id').on('s.run_id', '=', run))
        .select(['c.id', 'c.number', 'c.livemode', 'l.remote_id', 's.remote_id as listed']),
    );
    for await (const rows of pages) {
      for (const r of rows) {
        counts.local++;
        if (r.remote_id !== null && r.listed !== null) continue;
        counts.missing_upstream++;
        if (shows(r) && listed.missing_upstream++ < limit) missingUpstream.push(r.id);
      }
    }
  } finally {
    await exec.run(db.deleteFrom('reconcile_listed').where('run_id', '=', run).compile());
  }
  const at = now();
  const clean = counts.missing_upstream === 0 && counts.missing_local === 0 && counts.differing === 0 && refusedLinked === 0;
  const result: Reconciliation = {
    upstream: row.id,
    at: at.toISOString(),
    clean,
    counts,
    missing_upstream: missingUpstream,
    missing_local: missingLocal,
    differences,
    refused,
    ids,
    truncated: [listed.missing_upstream, listed.missing_local, listed.differing, listed.linked, listed.refused].some((n) => n > limit),
    unlinked_withheld: !namesUnlinked,
  };
  // `differences` is what a promotion reads (src/upstream/cut-over.ts): every customer missing on
  // either side or differing counts.
  const summary = JSON.stringify({
    clean,
    differences: counts.missing_upstream + counts.missing_local + counts.differing + refusedLinked,
    ...counts,
    differing_customers: differing,
    differing_truncated: counts.differing + refusedLinked > differing.length,
  });
  await store.upstreams.record(historyStep(row, reconciledEvent, row.mode as UpstreamMode, null, at, summary));
  return result;
}

/**
 * The local customers linked to these upstream ids, keyed by upstream id. Two indexed reads per
 * chunk, not one join: customers are keyed by (tenant, id), so a join on the id alone scans the
 * table for every link (minutes per page at 100,000 customers on SQLite), and with the tenant in
 * the links' condition SQLite picks the tenant's whole link index over (upstream, remote id).
 * The upstream row is this tenant's, so its links are; the customers' read holds the tenant too.
 */
export async function linkedLocals(store: Store, row: UpstreamRow, remoteIds: readonly string[]): Promise<Map<string, CustomersTable>> {
  const locals = new Map<string, CustomersTable>();
  for (const part of chunksOf(remoteIds)) {
    const links = await store.executor.all(linksQuery(store, row, part));
    if (links.length === 0) continue;
    const byCustomer = new Map(links.map((l) => [l.customer_id, l.remote_id]));
    for (const c of await store.executor.all(customersQuery(store, row, [...byCustomer.keys()]))) {
      const remote = byCustomer.get(c.id);
      if (remote !== undefined) locals.set(remote, c);
    }
  }
  return locals;
}

/** The first read of `linkedLocals`: the upstream's links to these remote ids. */
export const linksQuery = (store: Store, row: UpstreamRow, remoteIds: readonly string[]) =>
  queryBuilder(store.executor.backend)
    .selectFrom('upstream_links')
    .select(['customer_id', 'remote_id'])
    .where('upstream_id', '=', row.id)
    .where('remote_id', 'in', remoteIds)
    .compile();

/** The second read of `linkedLocals`: the tenant's customers with these local ids. */
export const customersQuery = (store: Store, row: UpstreamRow, ids: readonly string[]) =>
  queryBuilder(store.executor.backend)
    .selectFrom('customers')
    .selectAll()
    .where('tenant_id', '=', row.tenant_id)
    .where('id', 'in', ids)
    .compile();

/** Stages the page's ids for the run and returns its customers not listed before (a list may repeat one across pages). */
async function stageFresh<C extends { readonly id: string }>(store: Store, run: string, at: string, customers: readonly C[]): Promise<C[]> {
  const db = queryBuilder(store.executor.backend);
  const seen = new Set<string>();
  const unique = customers.filter((c) => !seen.has(c.id) && seen.add(c.id));
  const before = new Set<string>();
  for (const part of chunksOf(unique.map((c) => c.id))) {
    const q = db.selectFrom('reconcile_listed').select('remote_id').where('run_id', '=', run).where('remote_id', 'in', part).compile();
    for (const r of await store.executor.all(q)) before.add(r.remote_id);
  }
  const fresh = unique.filter((c) => !before.has(c.id));
  for (const part of chunksOf(fresh)) {
    await store.executor.run(
      db
        .insertInto('reconcile_listed')
        .values(part.map((c) => ({ run_id: run, remote_id: c.id, created_at: at })))
        .compile(),
    );
  }
  return fresh;
}
