import { expect } from 'vitest';
import { dialects, fixturesOf } from '../../dialects/index.ts';
import type { FieldName } from '../../schemas/index.ts';
import type { AnyDialect } from '../../src/contract/dialect.ts';
import type { CanonicalView } from './dialect-harness.ts';

// The ordered (client dialect, upstream dialect) pairs the upstream tests walk, and what they share.

const all: AnyDialect[] = Object.values(dialects);

/** Every ordered pair of two different dialects: [client name, upstream name, client, upstream]. */
export const orderedPairs = all.flatMap((client) =>
  all.filter((u) => u !== client).map((upstream) => [client.name, upstream.name, client, upstream] as const),
);

/** What a provider fills in when the customer has none (its fixtures say: Meteroid's currency, Bigcapital's type and base currency). */
export const filledByProvider = (dialect: AnyDialect): readonly FieldName[] => fixturesOf(dialect).filledByProvider ?? [];

/** A customer through a gateway's API (canonical fields), by any reference. */
export async function canonicalOn(
  base: (path: string, init?: RequestInit) => Promise<Response>,
  ref: string,
  key: string,
): Promise<CanonicalView> {
  const res = await base(`/gateway/v1/customers/${encodeURIComponent(ref)}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as CanonicalView;
}

/**
 * The client's example create, as the upstream can hold it. Meteroid's names a currency (EUR),
 * which Wooshpay shows but takes in no create or update: a proxy refuses it there
 * (test/upstream-exact.test.ts), so that pair creates with the provider's own currency.
 */
export function exampleCreate(client: AnyDialect, upstream: AnyDialect): unknown {
  const body = fixturesOf(client).create;
  return client.name === 'meteroid' && upstream.name === 'wooshpay' ? { ...(body as object), currency: 'USD' } : body;
}
