import * as v from 'valibot';
import { type DialectList, intParam } from '../../src/contract/list.ts';

// Bigcapital's `GET /api/customers?page=&pageSize=` (page from 1), answered as
// `{customers, pagination: {page, pageSize, total}}`, the shape of Bigcapital's dynamic lists
// (bigcapitalhq/bigcapital, the customers controller). Oldest first, so that customers created
// during a walk by page number land after its last page instead of shifting every page.

export const listQueryBigcapital = v.strictObject({
  page: intParam(1, 1_000_000_000, 1),
  pageSize: intParam(1, 100, 12),
});
export type ListQueryBigcapital = v.InferOutput<typeof listQueryBigcapital>;

export const listResponseBigcapital = v.object({
  customers: v.array(v.unknown()),
  pagination: v.object({ page: v.number(), pageSize: v.number(), total: v.number() }),
});

export const listBigcapital = {
  query: listQueryBigcapital,
  page: (query) => ({ kind: 'offset', limit: query.pageSize, offset: (query.page - 1) * query.pageSize }),
  render: (page, ctx) => {
    const pageSize = page.request.limit;
    const offset = page.request.kind === 'offset' ? page.request.offset : 0;
    return {
      customers: page.customers.map(ctx.item),
      pagination: { page: offset / pageSize + 1, pageSize, total: page.total ?? 0 },
    };
  },
  response: listResponseBigcapital,
  items: 'customers',
} satisfies DialectList<ListQueryBigcapital>;
