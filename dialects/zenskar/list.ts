import * as v from 'valibot';
import type { Customer } from '../../schemas/index.ts';
import { GatewayError } from '../../src/contract/errors.ts';
import { type DialectList, intParam, type PageRequest } from '../../src/contract/list.ts';

// Zenskar's `GET /customers?limit=&cursor=` (limit defaults to 10; `cursor` is what a previous
// answer gave as `next` or `previous`), newest first (its default order, `-created_at`), answered
// as `{data, next, previous, total}`
// (https://docs.zenskar.com/reference/list-customers-with-filtering-and-pagination).
// Zenskar documents no upper bound for `limit`; custgate takes 1–100. Its many filters
// (`email__in`, `search`, …) are refused rather than ignored.

export const listQueryZenskar = v.strictObject({
  limit: intParam(1, 100, 10),
  cursor: v.optional(v.pipe(v.string(), v.maxLength(512))),
});
export type ListQueryZenskar = v.InferOutput<typeof listQueryZenskar>;

export const listResponseZenskar = v.object({
  data: v.array(v.unknown()),
  next: v.nullable(v.string()),
  previous: v.nullable(v.string()),
  total: v.number(),
});

/** Opaque to callers: which way to walk from which customer (base64url; btoa runs on Workers too). */
const encode = (way: 'after' | 'before', customer: Customer) =>
  btoa(`${way}:${customer.uuid}`).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');

function unbase64(text: string): string {
  try {
    return atob(text.replaceAll('-', '+').replaceAll('_', '/'));
  } catch {
    return '';
  }
}

const cursorPattern = /^(after|before):([0-9a-f-]{36})$/;

function decode(cursor: string): { way: 'after' | 'before'; uuid: string } {
  const match = cursorPattern.exec(unbase64(cursor));
  if (!match) {
    const message = 'The cursor is not one this API gave; pass `next` or `previous` from a previous answer.';
    throw new GatewayError('invalid_request', message, { issues: [{ path: ['cursor'], kind: 'format', message, value: cursor }] });
  }
  return { way: match[1] as 'after' | 'before', uuid: match[2]! };
}

export const listZenskar = {
  query: listQueryZenskar,
  page(query): PageRequest {
    if (query.cursor === undefined) return { kind: 'cursor', limit: query.limit, total: true };
    const { way, uuid } = decode(query.cursor);
    return { kind: 'cursor', limit: query.limit, total: true, [way]: { ref: uuid, param: 'cursor' } };
  },
  render: (page, ctx) => {
    const first = page.customers[0];
    const last = page.customers.at(-1);
    const backwards = page.request.kind === 'cursor' && page.request.before !== undefined;
    const forwardFrom = page.request.kind === 'cursor' && page.request.after !== undefined;
    const more = (way: 'after' | 'before', edge: Customer | undefined, go: boolean) => (edge && go ? encode(way, edge) : null);
    return {
      data: page.customers.map(ctx.item),
      next: more('after', last, backwards || page.hasMore),
      previous: more('before', first, backwards ? page.hasMore : forwardFrom),
      total: page.total ?? 0,
    };
  },
  response: listResponseZenskar,
  items: 'data',
} satisfies DialectList<ListQueryZenskar>;
