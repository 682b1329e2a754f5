import type { CompiledQuery } from 'kysely';
import { queryBuilder } from '../store/compiler.ts';
import type { Store } from '../store/index.ts';

// A tenant's whole book in pages, by the per-tenant customer number: one indexed range read per
// page (keyset, never an offset), and a number only grows, so a customer created during the walk
// comes last or not at all and none is read twice. The backfill (backfill.ts) and the
// reconciliation (reconcile.ts) both walk the book this way, each selecting what it needs.
// A deleted customer's tombstone is not in the book: a backfill must not create it at a new
// provider, and a reconciliation must not expect a provider that deleted it too to hold it.

/** The page a walk reads after customer number `after`: the caller adds its columns and joins. */
export function customerPage(store: Store, tenantId: string, after: number, limit: number) {
  return queryBuilder(store.executor.backend)
    .selectFrom('customers as c')
    .where('c.tenant_id', '=', tenantId)
    .where('c.number', '>', after)
    .where('c.deleted_at', 'is', null)
    .orderBy('c.number')
    .limit(limit);
}

export type CustomerPage = ReturnType<typeof customerPage>;

/** Yields the tenant's customers (not deleted) a page at a time; `shape` adds the columns (it must keep `c.number`). */
export async function* walkCustomers<R extends { readonly number: number | string | bigint }>(
  store: Store,
  tenantId: string,
  limit: number,
  shape: (page: CustomerPage) => { compile(): CompiledQuery<R> },
): AsyncGenerator<R[]> {
  for (let after = 0; ; ) {
    const rows = await store.executor.all(shape(customerPage(store, tenantId, after, limit)).compile());
    const last = rows.at(-1);
    if (last === undefined) return;
    after = Number(last.number);
    yield rows;
  }
}
