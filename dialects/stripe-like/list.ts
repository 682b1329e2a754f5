import * as v from 'valibot';
import { GatewayError } from '../../src/contract/errors.ts';
import { cursorParam, type DialectList, intParam } from '../../src/contract/list.ts';

// Stripe's list: `GET /v1/customers?limit=&starting_after=&ending_before=`, newest first, in
// `{object: "list", data, has_more, url}` (https://docs.stripe.com/api/customers/list and
// https://docs.stripe.com/api/pagination). The stripe SDK's auto-pagination walks it by passing
// the last id it saw as `starting_after` until `has_more` is false.

export const listQueryStripe = v.strictObject({
  limit: intParam(1, 100, 10),
  starting_after: cursorParam,
  ending_before: cursorParam,
});
export type ListQueryStripe = v.InferOutput<typeof listQueryStripe>;

export const listResponseStripe = v.object({
  object: v.literal('list'),
  data: v.array(v.unknown()),
  has_more: v.boolean(),
  url: v.string(),
});

export const listStripe = {
  query: listQueryStripe,
  page(query) {
    if (query.starting_after !== undefined && query.ending_before !== undefined) {
      const message = 'You may only specify one of these parameters: starting_after, ending_before.';
      throw new GatewayError('invalid_request', message, { issues: [{ path: ['ending_before'], kind: 'value', message }] });
    }
    return {
      kind: 'cursor',
      limit: query.limit,
      after: query.starting_after === undefined ? undefined : { ref: query.starting_after, param: 'starting_after' },
      before: query.ending_before === undefined ? undefined : { ref: query.ending_before, param: 'ending_before' },
    };
  },
  render: (page, ctx) => ({ object: 'list', data: page.customers.map(ctx.item), has_more: page.hasMore, url: ctx.path }),
  response: listResponseStripe,
  items: 'data',
} satisfies DialectList<ListQueryStripe>;
