import { GatewayError } from '../contract/errors.ts';

// Stripe answers a query parameter a GET does not take with its 400 `parameter_unknown`
// (https://docs.stripe.com/api/errors), as it does one in a body; the customers list refuses
// one the same way (dialects/stripe-like/list.ts, a strict object). Read as absent, a typo
// (`limt=1`, `typ=customer.deleted`) answers 200 with what the caller had not asked for.

/** A parameter's name as Stripe's list and retrieve calls take it: `expand[]`, `expand[0]` are `expand`. */
export type TakenName = string | RegExp;

/** Every retrieve and list takes `expand` (https://docs.stripe.com/api/expanding_objects). */
export const expandNames: readonly TakenName[] = ['expand', /^expand\[\d*\]$/];

/** Whether `name` is one of `taken`. */
export const isTaken = (name: string, taken: readonly TakenName[]): boolean =>
  taken.some((t) => (typeof t === 'string' ? t === name : t.test(name)));

/** Throws Stripe's 400 for the first query parameter not among `taken`. */
export function refuseUnknownQuery(url: string, taken: readonly TakenName[]): void {
  if (!url.includes('?')) return;
  for (const [name] of new URL(url).searchParams) {
    if (isTaken(name, taken)) continue;
    const message = `Received unknown parameter: ${name}`;
    throw new GatewayError('invalid_request', message, { source: 'query', issues: [{ path: [name], kind: 'unknown', message }] });
  }
}
