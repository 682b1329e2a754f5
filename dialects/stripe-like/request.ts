import * as v from 'valibot';
import { isCountryCode, isEmail, keptExactly, limits, maxChars } from '../../schemas/index.ts';
import { isIndexKeyed } from '../../src/contract/body.ts';
import { limit } from '../../src/contract/held-limits.ts';
import { valueFirst } from '../shared/clear-or-value.ts';

// Request pieces shared by the Stripe-like dialects (Wooshpay, Connhex). Stripe's rules: an absent
// parameter is unchanged, "" clears it, unknown parameters are refused (strict objects).

/**
 * JSON null: the answers show an unset value as null, so a client writing back what it read sends
 * it, and a client clearing a field may send it. It clears; where a parameter cannot be cleared, it
 * is refused as a wrong type. It stays null past the schema, not "": a "" written back where "" is
 * stored keeps it (dialects/shared/text-op.ts), and a null can only mean none (a form body has no
 * null: there `phone=` is the clear, and it is "").
 */
const nullClears = v.null();

/** "" or null (clear) or a value. */
export const clearable = <T extends v.GenericSchema>(schema: T) => valueFirst(v.union([v.literal(''), nullClears, schema]), schema);

/** A string parameter, where "" (or null) clears. */
export const clearableString = <T extends v.GenericSchema<string, string>>(schema: T) => valueFirst(v.union([nullClears, schema]), schema);

/** "" or null: the parameter's clear. */
export const isCleared = (value: unknown): value is '' | null => value === '' || value === null;

export const text = clearableString(v.pipe(v.string(), maxChars(limits.text)));

/**
 * A hash parameter (address, shipping). valibot's object() takes a JSON array as an object with no
 * keys, so `"shipping": []` replaced the shipping details with nothing (cleared them, 200); a form
 * cannot send an array for a hash (`address[0]` is an unknown parameter), so no client means one.
 */
export const hash = <T extends v.GenericSchema>(schema: T) =>
  v.pipe(
    v.custom<v.InferInput<T>>((input) => !Array.isArray(input), 'Invalid hash'),
    schema,
  );

/**
 * Stripe's limits on a customer's name and phone ("Update a customer" in Stripe's API reference:
 * name up to 256 characters, phone up to 20), for a provider that is Stripe underneath (Connhex).
 * Other dialects take longer ones: an update may send back the one the customer holds (`limit`).
 */
export const nameMaxStripe = 256;
export const phoneMaxStripe = 20;
export const NameParamStripe = clearableString(v.pipe(v.string(), limit(maxChars<string>(nameMaxStripe))));
export const PhoneParamStripe = clearableString(v.pipe(v.string(), limit(maxChars<string>(phoneMaxStripe))));

export const CountryParam = v.pipe(
  v.string(),
  v.check(
    isCountryCode,
    (issue) =>
      `Country '${String(issue.input)}' is unknown. Try using a 2-character alphanumeric country code instead, such as 'US', 'EG', or 'GB'.`,
  ),
);

/**
 * Stripe's check is loose; the canonical one is the stricter check Zenskar and Bigcapital make
 * (limits.ts), so an email stored here can be written back through them.
 */
export const EmailParam = v.pipe(
  v.string(),
  v.maxLength(limits.email),
  v.check(isEmail, (issue) => `Invalid email address: ${String(issue.input)}`),
);

/** A metadata key Stripe refuses and a form body cannot name: `metadata[a[b]]` reads as nesting. */
export const hasBrackets = (key: string): boolean => key.includes('[') || key.includes(']');

/** Stripe's limit on a customer's metadata keys, in one request and stored (Dialect.metadataMaxKeys). */
export const metadataMaxKeysStripe = 50;

/**
 * Stripe's limits: 50 keys, keys up to 40 characters, values up to 500; "" deletes a key. Zenskar's
 * custom_data has none: an update may send back the keys and values the customer holds, and the
 * 50 count the keys it changes (`limit`; the stored count is src/core/write-checks.ts's).
 */
export const MetadataParam = v.pipe(
  // A list names no key: `metadata[]=x` was stored under "0", a JSON list's items under their
  // positions. A form's `metadata[0]=x` is the key "0" (the stripe SDK writes {0: 'x'} so).
  v.custom<Record<string, unknown>>((input) => !Array.isArray(input) || isIndexKeyed(input), 'Invalid hash'),
  v.record(
    v.pipe(
      v.string(),
      // A key is a name (https://docs.stripe.com/metadata): Stripe's only body, a form, cannot carry
      // "" (`metadata[]=x` is a list, refused above), so no Stripe client could send it back. A
      // limit as the 40 characters are: a key held from Zenskar's custom_data, shown, may return.
      limit(v.minLength<string, 1, string>(1, 'Metadata keys must not be empty.')),
      // Stripe's docs: "Square brackets ([ ]) can't be included in keys"; a form reads them as nesting.
      limit(v.check<string, string>((key) => !hasBrackets(key), 'Metadata keys must not contain square brackets.')),
      limit(maxChars<string>(40, 'Metadata keys must be at most 40 characters long.')),
    ),
    v.pipe(
      v.union([
        v.string(),
        // Stored as its text: one a double cannot hold exactly would show other digits than were sent.
        v.pipe(
          v.number(),
          v.check<number, string>(
            keptExactly,
            `Metadata numbers must be finite and within ±${Number.MAX_SAFE_INTEGER}; send it as a string.`,
          ),
        ),
        v.boolean(),
      ]),
      v.transform((value) => String(value)),
      limit(maxChars<string>(500, 'Metadata values must be at most 500 characters long.')),
    ),
  ),
  limit(
    v.check<Record<string, string>, string>(
      (map) => Object.keys(map).length <= metadataMaxKeysStripe,
      `Metadata can have at most ${metadataMaxKeysStripe} keys.`,
    ),
    metadataMaxKeysStripe,
  ),
);

/** `expand[]`: a list (JSON array, or `expand[0]=…` in a form) of paths from the given set. */
export const expandParam = (expandable: readonly string[]) =>
  v.array(
    v.pipe(
      v.string(),
      v.check(
        (path) => expandable.includes(path),
        (issue) => `This property cannot be expanded (${String(issue.input)}).`,
      ),
    ),
  );
