import { type Cursor, type DialectList, type PageRequest, unknownCursor } from '../contract/list.ts';
import { GatewayError } from '../contract/errors.ts';
import { validate } from '../contract/validate.ts';

// A list's query string as a dialect's list takes it (src/contract/list.ts): the customers list
// (pipeline.ts) and Stripe's webhook endpoint list (stripe-webhook-routes.ts) page alike, so one
// parser reads `limit` and the cursors for both, and both refuse the same way.

/**
 * Each parameter's first value, as the provider's frameworks read a repeated one. Own keys only,
 * made as data: `toString`, `constructor` or `__proto__` is a parameter the list does not take
 * (refused as any other), not a name every object already has.
 */
export function firstValues(url: URL, skip: (name: string) => boolean = () => false): Record<string, string> {
  const first = new Map<string, string>();
  for (const [key, value] of url.searchParams) if (!first.has(key) && !skip(key)) first.set(key, value);
  return Object.fromEntries(first);
}

/** A list's refused parameters are the query string's (its cursor's look-up included), not the body's. */
export function ofQuery(error: unknown): unknown {
  if (!(error instanceof GatewayError) || error.code !== 'invalid_request' || error.details.source) return error;
  return new GatewayError(error.code, error.message, { ...error.details, source: 'query' });
}

/** The page a list's query asks for, or the dialect's 400 naming the parameter. */
export function pageRequest(list: DialectList<unknown>, query: Record<string, string>): PageRequest {
  try {
    return list.page(validate(list.query, query));
  } catch (error) {
    throw ofQuery(error);
  }
}

/**
 * A cursor page of `items` held newest first, as the customers list pages the store
 * (src/core/customer-list.ts): `after` the older ones past the cursor, `before` the newer ones
 * nearest it; a cursor not among `items` names nothing (the caller's scope made them).
 */
export function cursorPage<T>(
  items: readonly T[],
  request: Extract<PageRequest, { kind: 'cursor' }>,
  idOf: (item: T) => string,
  resource: string,
): { items: T[]; hasMore: boolean } {
  const at = (cursor: Cursor) => {
    const i = items.findIndex((item) => idOf(item) === cursor.ref);
    if (i < 0) throw ofQuery(unknownCursor(resource, cursor));
    return i;
  };
  if (request.before !== undefined) {
    const end = at(request.before);
    const start = Math.max(0, end - request.limit);
    return { items: items.slice(start, end), hasMore: start > 0 };
  }
  const start = request.after === undefined ? 0 : at(request.after) + 1;
  return { items: items.slice(start, start + request.limit), hasMore: items.length > start + request.limit };
}
