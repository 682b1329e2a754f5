import type * as v from 'valibot';
import type { AnyDialect } from '../../src/contract/dialect.ts';
import type { DialectName } from '../../dialects/index.ts';

// What a client of a dialect writes back after reading a customer: everything the read shows that
// the dialect's update takes, in the dialect's own wire form, with the provider's own renames.
// A read-echo must change nothing (DESIGN.md, "Rules at the seams"; docs/seams.md).

type Json = Record<string, unknown>;

const isRecord = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Stripe-like wire form has no null: an unset value is simply not sent. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const [k, x] of Object.entries(value)) if (x !== null) out[k] = withoutNulls(x);
  return out;
}

/** The update schema's own property names. */
function updateKeys(dialect: AnyDialect): string[] {
  const schema = dialect.wire.request.update as unknown as { entries?: v.ObjectEntries; pipe?: { entries?: v.ObjectEntries }[] };
  const entries = schema.entries ?? schema.pipe?.find((p) => p.entries)?.entries;
  if (!entries) throw new Error(`${dialect.name}: update schema has no entries`);
  return Object.keys(entries);
}

const renames: Partial<Record<DialectName, (shown: Json) => Json>> = {
  // Bigcapital reads *Postcode and writes *Zipcode.
  bigcapital: (shown) => {
    const out: Json = { ...shown };
    for (const prefix of ['billingAddress', 'shippingAddress']) {
      if (`${prefix}Postcode` in out) {
        out[`${prefix}Zipcode`] = out[`${prefix}Postcode`];
        delete out[`${prefix}Postcode`];
      }
    }
    return out;
  },
  // Stripe requires a recipient name in a shipping hash; one shown as null is sent as "" (none).
  wooshpay: (shown) => {
    const shipping = shown.shipping;
    if (!isRecord(shipping)) return shown;
    return { ...shown, shipping: { ...shipping, name: shipping.name ?? '', address: shipping.address ?? {} } };
  },
};

const stripeLike: readonly DialectName[] = ['wooshpay', 'connhex'];

/** The body a client of `dialect` writes back after reading `shown` through it. */
export function echoBody(dialect: AnyDialect, shown: Json): Json {
  const renamed = renames[dialect.name as DialectName]?.(shown) ?? shown;
  const keys = updateKeys(dialect);
  const out: Json = {};
  for (const key of keys) if (key in renamed && key !== 'expand') out[key] = renamed[key];
  return stripeLike.includes(dialect.name as DialectName) ? (withoutNulls(out) as Json) : out;
}
