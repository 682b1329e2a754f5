import { type ClientCustomer, type ClientPage, GatewayError } from '../../src/contract/dialect.ts';

// What the JSON providers' client halves send with every request (every provider's reference
// documents JSON; the Stripe-like ones send Stripe's form only to an upstream added with
// `--encoding form`: dialects/stripe-like/client.ts), and how every client half reads a page of a
// provider's customer list.

export const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json' } as const;

/** The most customers a list request asks for: the largest page every provider here allows. */
export const listPageSize = 100;

/**
 * A list answer -> its customers (each read by the dialect's `parse`) and the next page's token.
 * Anything else, or one item that is no customer, makes the whole page an error: a walk must not
 * skip customers it could not read.
 */
export function readPage(
  body: unknown,
  items: string,
  parse: (item: unknown) => ClientCustomer | GatewayError,
  next: (page: Record<string, unknown>) => string | undefined | GatewayError,
  total?: (page: Record<string, unknown>) => number | undefined,
): ClientPage | GatewayError {
  const page = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  const list = page?.[items];
  if (!page || !Array.isArray(list))
    return new GatewayError('bad_gateway', `The upstream answered with no list of customers (no "${items}").`);
  const customers: ClientCustomer[] = [];
  for (const item of list) {
    const customer = parse(item);
    if (customer instanceof GatewayError) return new GatewayError('bad_gateway', `A list item is not a customer: ${customer.message}`);
    customers.push(customer);
  }
  const token = next(page);
  if (token instanceof GatewayError) return token;
  const count = total?.(page);
  return count === undefined ? { customers, next: token } : { customers, next: token, total: count };
}

/** A page number or count as the provider shows it, or undefined when it is not one. */
export const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;

/** A page whose paging members are not what the provider documents. */
export const badPaging = (what: string) => new GatewayError('bad_gateway', `The upstream's list page has no valid ${what}.`);
