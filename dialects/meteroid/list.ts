import * as v from 'valibot';
import { type DialectList, intParam } from '../../src/contract/list.ts';

// Meteroid's `GET /api/v1/customers?page=&per_page=` (page 0-indexed; per_page 1–100, default 10),
// answered as `{data, pagination_meta: {page, per_page, total_items, total_pages}}`
// (https://docs.meteroid.com/api-reference/customers/list-customers). Meteroid's default order is
// `created_at.desc`; custgate lists oldest first instead, so that customers created during a
// walk by page number land after its last page rather than pushing every page one place on, and
// `order_by` is refused rather than honoured in part.

export const listQueryMeteroid = v.strictObject({
  page: intParam(0, 1_000_000_000, 0),
  per_page: intParam(1, 100, 10),
});
export type ListQueryMeteroid = v.InferOutput<typeof listQueryMeteroid>;

export const listResponseMeteroid = v.object({
  data: v.array(v.unknown()),
  pagination_meta: v.object({ page: v.number(), per_page: v.number(), total_items: v.number(), total_pages: v.number() }),
});

export const listMeteroid = {
  query: listQueryMeteroid,
  page: (query) => ({ kind: 'offset', limit: query.per_page, offset: query.page * query.per_page }),
  render: (page, ctx) => {
    const perPage = page.request.limit;
    const total = page.total ?? 0;
    return {
      data: page.customers.map(ctx.item),
      pagination_meta: {
        page: page.request.kind === 'offset' ? page.request.offset / perPage : 0,
        per_page: perPage,
        total_items: total,
        total_pages: Math.ceil(total / perPage),
      },
    };
  },
  response: listResponseMeteroid,
  items: 'data',
} satisfies DialectList<ListQueryMeteroid>;
