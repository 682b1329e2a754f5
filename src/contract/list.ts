import * as v from 'valibot';
import type { Customer } from '../../schemas/index.ts';
import type { Principal } from './credentials.ts';
import { GatewayError } from './errors.ts';

// Listing a tenant's customers (#27). A dialect declares its provider's query parameters and
// envelope; the gateway pages over the store. Two canonical kinds of page cover the providers:
//
// - `cursor` (Stripe's `starting_after` / `ending_before`): newest first. A customer created
//   during a walk is newer than every cursor, so it never shifts the rest: a walk returns every
//   customer that existed when it started exactly once.
// - `offset` (a page number): oldest first, for the same reason: new customers land after the
//   last page instead of pushing every page's members one place on.
//
// Both orders follow the per-tenant `number`, which only grows (src/store/store.ts nextNumber).

export type PageRequest =
  | {
      readonly kind: 'cursor';
      readonly limit: number;
      /** A customer (as the dialect's ids resolve it): the page holds the older ones after it. */
      readonly after?: Cursor | undefined;
      /** A customer: the page holds the newer ones just before it. */
      readonly before?: Cursor | undefined;
      /** Count the tenant's customers too (a full count: only for envelopes that report it). */
      readonly total?: boolean;
    }
  | { readonly kind: 'offset'; readonly limit: number; readonly offset: number };

/** A customer reference, and the query parameter that named it (for the error when it names none). */
export interface Cursor {
  readonly ref: string;
  readonly param: string;
}

/**
 * A cursor that names nothing the caller can list: a 400 naming its parameter, as Stripe's list
 * answers one (`resource_missing`, `param: starting_after`: the issue is `unresolved`).
 */
export function unknownCursor(resource: string, cursor: Cursor): GatewayError {
  const message = `No such ${resource}: '${cursor.ref}'`;
  return new GatewayError('invalid_request', message, {
    issues: [{ path: [cursor.param], kind: 'unresolved', message, value: cursor.ref }],
  });
}

export interface Page {
  readonly request: PageRequest;
  readonly customers: readonly Customer[];
  /** More customers beyond this page in the walk's direction. */
  readonly hasMore: boolean;
  /** The tenant's customer count: offset pages, and cursor pages that asked for it. */
  readonly total?: number;
}

export interface ListContext {
  readonly principal: Principal;
  /** The request's path, as Stripe's `url` member reports it. */
  readonly path: string;
  /** One customer as this dialect's read renders it. */
  readonly item: (customer: Customer) => unknown;
}

/** A dialect's list endpoint: its query parameters and its envelope. Pure. */
export interface DialectList<TQuery> {
  /** The query string (each parameter's first value) -> validated parameters, in the provider's names. */
  readonly query: v.GenericSchema<unknown, TQuery>;
  /** Validated parameters -> the page to read. */
  page(query: TQuery): PageRequest;
  /** The page in the provider's envelope. */
  render(page: Page, ctx: ListContext): unknown;
  /** The envelope's schema (OpenAPI document, tests). */
  readonly response: v.GenericSchema;
  /** The envelope's member that holds the customers. */
  readonly items: string;
}

/** A query-string integer within [min, max]; absent gives `fallback`. */
export function intParam(min: number, max: number, fallback: number) {
  return v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,9}$/, `must be an integer between ${min} and ${max}`),
      v.transform(Number),
      v.minValue(min, `must be an integer between ${min} and ${max}`),
      v.maxValue(max, `must be an integer between ${min} and ${max}`),
    ),
    String(fallback),
  );
}

/** A cursor: a customer reference, as the dialect's read takes it. */
export const cursorParam = v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(255)));
