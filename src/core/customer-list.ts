import type { IdKind } from '../../schemas/index.ts';
import type { Principal } from '../contract/dialect.ts';
import { type Cursor, type Page, type PageRequest, unknownCursor } from '../contract/list.ts';
import type { Store } from '../store/index.ts';
import { rowToCustomer } from './customer-row.ts';
import { idValue } from './ids.ts';
import { inMode } from './write-checks.ts';

// A page of the caller's customers (src/contract/list.ts says why each kind has its order).
// Everything is confined to the principal's tenant and to its key's mode, as a read is
// (customer-service.ts find): a cursor naming another tenant's customer, or a customer of the
// other mode, names nothing.

export async function listCustomers(store: Store, principal: Principal, kinds: readonly IdKind[], request: PageRequest): Promise<Page> {
  const { tenantId, livemode } = principal;
  if (request.kind === 'offset') {
    const [rows, total] = await Promise.all([
      store.listCustomers(tenantId, { order: 'asc', limit: request.limit, offset: request.offset, livemode }),
      store.countCustomers(tenantId, livemode),
    ]);
    return { request, customers: rows.map(rowToCustomer), hasMore: request.offset + rows.length < total, total };
  }
  // One row more than asked tells whether the walk goes on.
  const ask = request.limit + 1;
  const numberOf = async (cursor: Cursor) => {
    for (const kind of kinds) {
      const value = idValue(kind, cursor.ref);
      const row = value === undefined ? undefined : await store.findCustomer(tenantId, kind, value);
      if (row && inMode(row, livemode)) return Number(row.number);
    }
    throw unknownCursor('customer', cursor);
  };
  const total = request.total ? { total: await store.countCustomers(tenantId, livemode) } : {};
  if (request.before !== undefined) {
    // The newer neighbours of the cursor, nearest first, shown newest first like every page.
    const rows = await store.listCustomers(tenantId, { order: 'asc', limit: ask, livemode, above: await numberOf(request.before) });
    const page = rows.slice(0, request.limit).reverse();
    return { request, customers: page.map(rowToCustomer), hasMore: rows.length > request.limit, ...total };
  }
  const below = request.after === undefined ? undefined : await numberOf(request.after);
  const rows = await store.listCustomers(tenantId, { order: 'desc', limit: ask, livemode, ...(below !== undefined ? { below } : {}) });
  return { request, customers: rows.slice(0, request.limit).map(rowToCustomer), hasMore: rows.length > request.limit, ...total };
}
