import type * as v from 'valibot';
import type { AnyDialect } from '../../src/contract/dialect.ts';
import type { DialectFixtures } from '../../src/contract/fixtures.ts';

// What a client of a dialect writes back after reading a customer: everything the read shows that
// the dialect's update takes, in the dialect's own wire form, with the provider's own renames.
// A read-echo must change nothing (docs/seams.md).

type Json = Record<string, unknown>;

/** The update schema's own property names. */
function updateKeys(dialect: AnyDialect): string[] {
  const schema = dialect.wire.request.update as unknown as { entries?: v.ObjectEntries; pipe?: { entries?: v.ObjectEntries }[] };
  const entries = schema.entries ?? schema.pipe?.find((p) => p.entries)?.entries;
  if (!entries) throw new Error(`${dialect.name}: update schema has no entries`);
  return Object.keys(entries);
}

/** The body a client of `dialect` writes back after reading `shown` through it. */
export function echoBody(dialect: AnyDialect, fixtures: DialectFixtures, shown: Json): Json {
  // The provider's own renames between its read and its update (fixtures' `echoRenames`).
  const renames = fixtures.echoRenames ?? {};
  const renamed = Object.fromEntries(
    Object.entries(shown).map(([key, value]) => [Object.hasOwn(renames, key) ? renames[key] : key, value]),
  );
  const keys = updateKeys(dialect);
  const out: Json = {};
  for (const key of keys) if (key in renamed && key !== 'expand') out[key] = renamed[key];
  // Stripe-like JSON takes back the nulls its answers show (dialects/stripe-like/request.ts).
  return out;
}
