import fc from 'fast-check';
import countries from 'i18n-iso-countries';
import {
  type Address,
  type AddressPatch,
  clear,
  type CustomerPatch,
  type CustomTax,
  currencyCodes,
  type FieldName,
  type FieldOp,
  fieldNames,
  isCountryCode,
  merge,
  set,
  type Shipping,
  type ShippingPatch,
  type TaxId,
} from '../../schemas/index.ts';
import type { FieldCoverage } from '../../src/contract/dialect.ts';
import { emptyAddress } from '../../src/core/apply-patch.ts';

// Canonical values and patches for the property suites. Values are ones every dialect's wire form
// can carry (Stripe's 20-character phones, e-mail addresses every validator takes, ISO countries
// from schemas/country.ts), so a refusal or a difference is the gateway's, not the generator's.

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Every ISO 3166-1 alpha-2 code the canonical schema accepts. */
export const countryCodes = Object.keys(countries.getAlpha2Codes()).filter(isCountryCode);

const lower = 'abcdefghijklmnopqrstuvwxyz';
const upper = lower.toUpperCase();
const digits = '0123456789';
const alnum = `${lower}${upper}${digits}`;
const word = (min: number, max: number, chars = lower) => fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });

/**
 * Single code points beyond ASCII that clients send: accented, a combining accent, CJK, Greek,
 * Arabic and Hebrew (right to left), and astral ones (emoji, a mathematical letter, a CJK
 * extension character) that take two UTF-16 units each. No variation selectors: validator.js
 * (Bigcapital) leaves those out of a length, every other counter counts them.
 */
const unicodeChars = ['é', '\u0301', 'ß', 'Ø', '株', 'テ', 'Ω', 'ع', 'ש', '😀', '🚀', '𝔘', '𠜎', '☕'];
const wordChars = [...`${alnum} .,'&-`];

/** Text of one code point after another: `length` of them, the first and last ASCII letters or digits. */
const codePointText = (min: number, max: number): fc.Arbitrary<string> =>
  fc
    .tuple(
      word(1, 1, alnum),
      fc.array(fc.constantFrom(...wordChars, ...unicodeChars), { minLength: min - 2, maxLength: max - 2 }),
      word(1, 1, alnum),
    )
    .map(([a, middle, b]) => `${a}${middle.join('')}${b}`);

/**
 * Text at a documented limit, counted as the providers count it (Unicode code points: JSON
 * Schema's maxLength, pydantic, Rust's chars(), validator.js), astral characters and all.
 */
export const atLimitArb = (limit: number): fc.Arbitrary<string> => codePointText(limit - 2, limit);

/** Non-blank text without edge whitespace: "" and "  " mean "no value" in several dialects. */
export const textArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(word(1, 1, alnum), word(0, 38, `${alnum} .,'&-`), word(1, 1, `${alnum}.`)).map(([a, b, c]) => `${a}${b}${c}`),
  },
  // Unicode survives every dialect: accented, CJK, emoji.
  { weight: 1, arbitrary: fc.constantFrom('Zoë Ångström', '株式会社テスト', 'Ελληνική Εταιρεία', 'Café ☕ Øresund', 'Łódź Sp. z o.o.') },
  { weight: 1, arbitrary: codePointText(2, 30) },
  // Whitespace at the edges of a value that is not blank: kept as sent (no dialect trims).
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(' ', '  ', '\t'), word(1, 8, alnum), fc.constantFrom('', ' ', '\n'))
      .map(([a, b, c]) => `${a}${b}${c}`),
  },
);

/** The limits the providers document, in code points (each dialect's fields.ts). */
export const documentedLimits = {
  /** Stripe's name (Connhex). */
  name: 256,
  /** Zenskar's external_id (its OpenAPI document: maxLength 255). */
  external_id: 255,
  /** Meteroid's alias (custgate's, to fit the per-tenant index). */
  alias: 255,
  /** Stripe's metadata keys and values (Wooshpay). */
  metadataKey: 40,
  metadataValue: 500,
} as const;

export const emailArb = fc
  .tuple(word(1, 10, `${lower}0123456789`), fc.constantFrom('', '.x', '+tag'), word(1, 10), fc.constantFrom('com', 'org', 'example', 'io'))
  .map(([local, suffix, domain, tld]) => `${local}${suffix}@${domain}.${tld}`);

/**
 * At most 20 characters (Stripe's limit), digits first; and sometimes "", which Meteroid keeps as
 * given and shows, and which a Stripe-like dialect reads as a clear.
 */
export const phoneArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.constantFrom('+', ''), word(1, 1, digits), word(3, 17, `${digits} ()-`), word(1, 1, digits))
      .map(([plus, a, b, c]) => `${plus}${a}${b}${c}`),
  },
  { weight: 1, arbitrary: fc.constant('') },
);

export const countryArb = fc.constantFrom(...countryCodes);
export const localeArb = fc.constantFrom('en', 'fr', 'de', 'fr-CA', 'en-GB', 'zh-Hant-TW', 'pt-BR');
export const uuidArb = fc.uuid().map((u) => u.toLowerCase());

/** Names a client of Bigcapital or Zenskar may give that are not the name shown for the code. */
export const countryAliases = [
  ['GB', 'UK'],
  ['VN', 'Viet Nam'],
  ['NL', 'Holland'],
  ['DE', 'Deutschland'],
  ['TR', 'Turkey'],
  ['US', 'USA'],
] as const;
/** Text naming no country known: kept and shown as given. */
export const unknownCountries = ['Atlantis', 'Narnia', 'Republic of Elbonia'] as const;

/** A stored country: a code, a code with the name it was given as, a name only, or none. */
export const countryPairArb: fc.Arbitrary<Pick<Address, 'country' | 'country_name'>> = fc.oneof(
  { weight: 6, arbitrary: countryArb.map((country) => ({ country, country_name: null })) },
  { weight: 1, arbitrary: fc.constantFrom(...countryAliases).map(([country, country_name]) => ({ country, country_name })) },
  { weight: 1, arbitrary: fc.constantFrom(...unknownCountries).map((country_name) => ({ country: null, country_name })) },
  { weight: 1, arbitrary: fc.constant({ country: null, country_name: null }) },
);

/**
 * An address's text member: sometimes "", which Meteroid keeps as given and Zenskar and Bigcapital
 * hold (their references type each member a string), and which a Stripe-like address reads as a clear.
 */
const orEmpty = (text: fc.Arbitrary<string>) => fc.oneof({ weight: 8, arbitrary: text }, { weight: 1, arbitrary: fc.constant('') });
const memberTextArb = orEmpty(textArb);
const postalCodeArb = orEmpty(word(3, 8, `${digits}${upper}`));

const membersAddressArb: fc.Arbitrary<Address> = fc
  .record({
    line1: fc.option(memberTextArb),
    line2: fc.option(memberTextArb),
    line3: fc.option(memberTextArb),
    city: fc.option(memberTextArb),
    state: fc.option(memberTextArb),
    postal_code: fc.option(postalCodeArb),
    countries: countryPairArb,
    email: fc.option(emailArb),
    phone: fc.option(phoneArb),
  })
  .map(({ countries, ...rest }) => ({ ...rest, ...countries }));

const addressValueArbs = {
  line1: memberTextArb,
  line2: memberTextArb,
  line3: memberTextArb,
  city: memberTextArb,
  state: memberTextArb,
  postal_code: postalCodeArb,
  email: emailArb,
  phone: phoneArb,
} as const satisfies Record<Exclude<keyof Address, 'country' | 'country_name'>, fc.Arbitrary<string>>;

/**
 * An address: any members, or one member alone (a line3, a contact email or phone, a country
 * name), which a dialect that shows few members must keep and others show alone.
 */
export const addressArb: fc.Arbitrary<Address> = fc.oneof(
  { weight: 4, arbitrary: membersAddressArb },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc
        .constantFrom(...(Object.keys(addressValueArbs) as (keyof typeof addressValueArbs)[]))
        .chain((m) => addressValueArbs[m].map((value) => ({ ...emptyAddress, [m]: value }))),
      countryPairArb.filter((c) => c.country !== null || c.country_name !== null).map((c) => ({ ...emptyAddress, ...c })),
    ),
  },
);

/** Country member ops as dialects make them: a code alone, or a code (or a clear) with the name given. */
const countryOpsArb: fc.Arbitrary<Pick<AddressPatch, 'country' | 'country_name'>> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .oneof(
        countryArb.map((c) => set(c)),
        fc.constant(clear),
      )
      .map((country) => ({ country })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...countryAliases).map(([code, name]) => ({ country: set(code), country_name: set(name) })),
  },
  { weight: 1, arbitrary: fc.constantFrom(...unknownCountries).map((name) => ({ country: clear, country_name: set(name) })) },
  { weight: 2, arbitrary: fc.constant({}) },
);

const opOf = <T>(value: fc.Arbitrary<T>, clearable = true): fc.Arbitrary<FieldOp<T>> =>
  clearable
    ? fc.oneof(
        value.map((v) => set(v)),
        fc.constant(clear),
      )
    : value.map((v) => set(v));

export const addressPatchArb: fc.Arbitrary<AddressPatch> = fc
  .tuple(
    fc.record(
      Object.fromEntries(Object.entries(addressValueArbs).map(([k, a]) => [k, opOf(a as fc.Arbitrary<string>)])) as {
        [K in keyof typeof addressValueArbs]: fc.Arbitrary<FieldOp<string>>;
      },
      { requiredKeys: [] },
    ),
    countryOpsArb,
  )
  .map(([members, countries]) => ({ ...members, ...countries }));

export const shippingArb: fc.Arbitrary<Shipping> = fc.record({
  name: fc.option(textArb),
  phone: fc.option(phoneArb),
  same_as_billing: fc.boolean(),
  address: fc.option(addressArb),
});

export const shippingPatchArb: fc.Arbitrary<ShippingPatch> = fc.record(
  {
    name: opOf(textArb),
    phone: opOf(phoneArb),
    same_as_billing: opOf(fc.boolean()),
    address: fc.oneof(
      addressArb.map((a) => set(a)),
      addressPatchArb.map((p) => merge(p)),
      fc.constant(clear),
    ),
  },
  { requiredKeys: [] },
);

const taxTypes = ['VAT', 'EIN', 'GST', 'ABN'] as const;

/** A VAT number starts with its country (as Meteroid derives it); other kinds carry their country. */
export const taxIdArb = (type: fc.Arbitrary<string> = fc.constantFrom(...taxTypes)): fc.Arbitrary<TaxId> =>
  fc.tuple(type, fc.constantFrom('DE', 'FR', 'IT', 'NL', 'US', 'AU', 'IN'), word(8, 11, digits)).map(([t, country, digits]) => ({
    type: t,
    value: t === 'VAT' ? `${country}${digits}` : digits,
    country,
  }));

const metadataKeyArb = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(word(1, 1), word(0, 15, `${lower}${digits}_`)).map(([a, b]) => `${a}${b}`) },
  { weight: 1, arbitrary: atLimitArb(documentedLimits.metadataKey) },
);
/**
 * Mostly strings (Stripe's metadata is strings only); sometimes other JSON (Zenskar keeps it):
 * numbers a double holds exactly (others are refused: schemas/limits.ts, keptExactly), and
 * strings that read as numbers, booleans or null, which stay strings, and "" (Zenskar keeps it;
 * in Stripe's metadata it deletes a key).
 */
const metadataValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: textArb },
  { weight: 1, arbitrary: atLimitArb(documentedLimits.metadataValue) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer(),
      // Not -0: a JSON body says 0 (JSON.stringify(-0) is "0"), so no client can send it.
      fc
        .double({ noNaN: true, noDefaultInfinity: true })
        .filter((d) => !Object.is(d, -0) && (!Number.isInteger(d) || Number.isSafeInteger(d))),
      fc.boolean(),
      fc.constant({ nested: ['a', 1] }),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('123', '-0', '1.50', '1e3', 'true', 'false', 'null', '0', '', ' ') },
);

export const customTaxArb: fc.Arbitrary<CustomTax> = fc.record({
  name: textArb,
  rate: fc.tuple(word(1, 2, digits), fc.option(word(1, 3, digits))).map(([i, f]) => (f === null ? i : `${i}.${f}`)),
  tax_code: textArb,
});

/** Values for every plain field: what a `set` carries. */
export const valueArbs = {
  alias: fc.oneof(
    { weight: 8, arbitrary: word(1, 8, `${lower}0123456789`).map((w) => `al-${w}`) },
    { weight: 1, arbitrary: atLimitArb(documentedLimits.alias).map((w) => `al-${[...w].slice(3).join('')}`) },
  ),
  external_id: fc.oneof(
    { weight: 8, arbitrary: word(1, 12, `${lower}0123456789`).map((w) => `ext-${w}`) },
    { weight: 1, arbitrary: atLimitArb(documentedLimits.external_id).map((w) => `ext-${[...w].slice(4).join('')}`) },
  ),
  name: fc.oneof({ weight: 8, arbitrary: textArb }, { weight: 1, arbitrary: atLimitArb(documentedLimits.name) }),
  first_name: textArb,
  last_name: textArb,
  salutation: fc.constantFrom('Mr.', 'Ms.', 'Dr.', 'Mx.'),
  company_name: textArb,
  customer_type: fc.constantFrom('business' as const, 'individual' as const),
  email: emailArb,
  invoicing_emails: fc.array(emailArb, { maxLength: 3 }),
  phone: phoneArb,
  mobile_phone: phoneArb,
  website: word(1, 12).map((w) => `https://www.${w}.example`),
  description: textArb,
  currency: fc.constantFrom(...currencyCodes),
  preferred_locales: fc.uniqueArray(localeArb, { maxLength: 3 }),
  invoice_prefix: word(3, 12, `${upper}${digits}`),
  next_invoice_sequence: fc.integer({ min: 1, max: 1_000_000_000 }),
  tax_exempt: fc.constantFrom('none' as const, 'exempt' as const, 'reverse' as const),
  custom_taxes: fc.array(customTaxArb, { maxLength: 3 }),
  invoicing_entity_id: word(1, 12, `${lower}0123456789`).map((w) => `ie_${w}`),
  business_entity_id: uuidArb,
  connector: fc.record({ name: fc.option(textArb), reference_id: fc.option(textArb) }),
  communications_enabled: fc.boolean(),
  auto_charge_enabled: fc.boolean(),
  active: fc.boolean(),
  address: addressArb,
  shipping: shippingArb,
  metadata: fc.dictionary(metadataKeyArb, metadataValueArb, { maxKeys: 5 }),
  tax_ids: fc.array(taxIdArb(), { maxLength: 3 }),
} as const satisfies { [K in FieldName]: fc.Arbitrary<unknown> };

/** A patch that sets every field: a fully populated stored customer to start from. */
export const fullPatchArb: fc.Arbitrary<CustomerPatch> = fc.record(
  Object.fromEntries(fieldNames.map((f) => [f, (valueArbs[f] as fc.Arbitrary<unknown>).map((v) => set(v))])) as Record<
    FieldName,
    fc.Arbitrary<FieldOp<unknown>>
  >,
) as fc.Arbitrary<CustomerPatch>;

const structuredOps = {
  address: () => ({ merge: addressPatchArb.map((p) => merge(p)) }),
  shipping: () => ({ merge: shippingPatchArb.map((p) => merge(p)) }),
  metadata: () => ({ merge: fc.dictionary(metadataKeyArb, opOf(metadataValueArb), { minKeys: 1, maxKeys: 4 }).map((p) => merge(p)) }),
  tax_ids: () => ({
    merge: fc
      .uniqueArray(fc.constantFrom(...taxTypes), { minLength: 1, maxLength: 2 })
      .chain((types) => fc.tuple(...types.map((t) => opOf(taxIdArb(fc.constant(t))).map((op) => [t, op] as const))))
      .map((entries) => merge(Object.fromEntries(entries))),
  }),
} as const;

type Write = NonNullable<FieldCoverage['write']>;

/** The operations on one field a dialect's coverage says it can express. */
export function fieldOpArb(field: FieldName, write: Write): fc.Arbitrary<unknown> {
  const ops: fc.Arbitrary<unknown>[] = [];
  if (write.set) ops.push((valueArbs[field] as fc.Arbitrary<unknown>).map((v) => set(v)));
  if (write.clear) ops.push(fc.constant(clear));
  // Member-by-member changes where the dialect merges (or does not say: Meteroid's VAT entry).
  if (field in structuredOps && write.mode !== 'replace') ops.push(structuredOps[field as keyof typeof structuredOps]().merge);
  return fc.oneof(...ops);
}

/** Canonical patches over the given fields, each with the operations its `write` allows. */
export function patchArb(writes: Partial<Record<FieldName, Write>>): fc.Arbitrary<CustomerPatch> {
  const entries = Object.entries(writes).filter(([, w]) => w && (w.set || w.clear)) as [FieldName, Write][];
  return fc.record(Object.fromEntries(entries.map(([f, w]) => [f, fieldOpArb(f, w)])), { requiredKeys: [] }) as fc.Arbitrary<CustomerPatch>;
}

/** The fields a dialect's coverage table says an update can set or clear. */
export function writable(coverage: Readonly<Record<string, FieldCoverage | null>>): Partial<Record<FieldName, Write>> {
  const out: Partial<Record<FieldName, Write>> = {};
  for (const f of fieldNames) {
    const w = coverage[f]?.write;
    if (w && (w.set || w.clear)) out[f] = w;
  }
  return out;
}

let counter = 0;

/**
 * Gives alias and external_id values a suffix no other customer of the tenant has; one at its limit
 * gives up as many code points at its end, so it stays at the limit.
 */
export function uniqueIds(patch: CustomerPatch): CustomerPatch {
  const out: Mutable<CustomerPatch> = { ...patch };
  for (const f of ['alias', 'external_id'] as const) {
    const op = out[f];
    if (op?.op !== 'set') continue;
    const suffix = `-${++counter}`;
    out[f] = set(`${[...op.value].slice(0, documentedLimits[f] - suffix.length).join('')}${suffix}`);
  }
  return out;
}
