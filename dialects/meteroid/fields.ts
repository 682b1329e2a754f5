import * as v from 'valibot';
import {
  type Customer,
  clear,
  currencyCodes,
  defaultCurrency,
  exempt,
  type FieldOp,
  isCountryCode,
  isCurrencyCode,
  isEmail,
  limits,
  maxChars,
  merge,
  set,
} from '../../schemas/index.ts';
import { shownText } from '../../src/contract/dialect.ts';
import { type AddressTable, addressNames, addressParams, addressShown, renderAddressOf, shownAddressOf } from '../shared/address-lens.ts';
import { type FieldTable, member, type Write } from '../shared/lens-members.ts';
import { addressHooks, shippingShown, vatEntry, vatSent, vatShown, vatType } from './hooks.ts';

// Meteroid's field table: every member of its customer (the Meteroid API reference's
// UpdateCustomerRequest and Customer), read both ways by dialects/shared/lens.ts. Meteroid's
// update rules: an absent or null member is unchanged (a scalar cannot be cleared), "" is stored,
// unknown members are ignored (plain objects strip them); lists and addresses are replaced whole.

const text = v.pipe(v.string(), maxChars(limits.text));
const shownString = v.nullable(v.string());

// valibot's object() takes an array as an object with no keys; serde (Meteroid) refuses it.
const notArray = v.custom<Record<string, unknown>>(
  (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
  'expected a JSON object',
);
export const jsonObject = <T extends v.ObjectEntries>(entries: T) => v.pipe(notArray, v.object(entries));

const unknownCurrency = (issue: v.BaseIssue<unknown>) =>
  `unknown variant '${String(issue.input)}', expected an ISO 4217 code such as "EUR"`;

/**
 * Meteroid's currency is an enum: serde refuses a code outside it while deserialising, as it does a
 * wrong type (422), not as a rule (400). The custom check's issue is a type issue (errors.ts); the
 * picklist after it states the codes (OpenAPI).
 */
const CurrencyParamMeteroid = v.pipe(
  v.custom<(typeof currencyCodes)[number]>((input) => typeof input === 'string' && isCurrencyCode(input), unknownCurrency),
  v.picklist(currencyCodes, unknownCurrency),
);

const CountryParam = v.pipe(
  v.string(),
  v.check(isCountryCode, (issue) => `'${String(issue.input)}' is not an ISO 3166-1 alpha-2 country code`),
  v.toUpperCase(),
);

/** Absent or null: both leave the member as it is. */
const kept = <T extends v.GenericSchema>(schema: T) => v.optional(v.nullable(schema));

/** Each text member is a string kept as given, "" too (as phone): a "" shown is one held. */
const addressMeteroid = {
  line1: { to: 'line1', param: kept(text), shown: shownString, held: true },
  line2: { to: 'line2', param: kept(text), shown: shownString, held: true },
  city: { to: 'city', param: kept(text), shown: shownString, held: true },
  country: { to: 'country', param: kept(CountryParam), shown: shownString },
  state: { to: 'state', param: kept(text), shown: shownString, held: true },
  zip_code: { to: 'postal_code', param: kept(text), shown: shownString, held: true },
} as const satisfies AddressTable;

const AddressParamMeteroid = jsonObject(addressParams(addressMeteroid));
const AddressResponseMeteroid = v.strictObject(addressShown(addressMeteroid));
const renderAddress = renderAddressOf(addressMeteroid);
const addressFrom = shownAddressOf(addressMeteroid);
export const { addressOp, shippingOp, addressSent, shippingSent, isWhole } = addressHooks(addressMeteroid);

const ShippingParamMeteroid = jsonObject({
  // Required, as in Meteroid (`same_as_billing: bool`): without it the intent is unknown.
  same_as_billing: v.boolean(),
  address: kept(AddressParamMeteroid),
});

const CustomTaxParamMeteroid = jsonObject({
  name: text,
  // Meteroid's rate is a decimal sent as a string ("0.2", "20"): keep it exact, never a float.
  rate: v.pipe(v.string(), v.regex(/^\d{1,12}(\.\d{1,12})?$/, 'rate must be a non-negative decimal number as a string')),
  tax_code: text,
});

const setOnly: Write = { set: true, clear: false };
const replaced: Write = { set: true, clear: true, mode: 'replace' };

/** Meteroid shows "" for a required string with no value (name, invoicing entity): "" is none. */
const requiredTextOp = (value: string): FieldOp<string> => (value === '' ? clear : set(value));

/** A text member Meteroid sets and never clears: null (like absent) leaves it, a clear is not sent. */
function setText<S extends v.GenericSchema<unknown, string>>(
  field: 'alias' | 'email' | 'phone',
  param: S,
  shown: v.GenericSchema,
  note: string,
) {
  return member(field, {
    param: v.nullable(param),
    shown,
    write: setOnly,
    note,
    toPatch: (value: string | null) => (value === null ? {} : { [field]: set(value) }),
    render: (c: Customer) => c[field],
    fromPatch: (patch) => {
      const op = patch[field];
      return op?.op === 'set' ? op.value : undefined;
    },
    // A string shown is the string stored, "" too: Meteroid keeps the string it is given (its
    // reference types these as strings, with no empty-means-none rule), as this table's toPatch does.
    parse: (value) => ({ [field]: typeof value === 'string' ? set(value) : shownText(value) }),
  });
}

/** A required string Meteroid shows as "" when none is stored, and "" written back is none. */
function requiredText(field: 'name' | 'invoicing_entity_id', note: string) {
  return member(field, {
    param: v.nullable(v.string()),
    shown: v.string(),
    write: setOnly,
    note,
    toPatch: (value: string | null) => (value === null ? {} : { [field]: requiredTextOp(value) }),
    render: (c: Customer) => c[field] ?? '',
    fromPatch: (patch) => {
      const op = patch[field];
      return op?.op === 'set' ? op.value : undefined;
    },
    parse: (value) => ({ [field]: shownText(value) }),
  });
}

export const fieldsMeteroid = {
  id_or_alias: member('uuid', {
    as: 'id_or_alias (path)',
    note: 'a raw UUID in the path resolves the customer; never shown',
  }),
  id: member<undefined, string>('public_id', {
    shown: v.pipe(v.string(), v.startsWith('cus_')),
    note: 'also accepted in the path, tried first',
    render: (c) => c.public_id,
  }),
  // An alias names the customer in paths: it must be non-empty and fit the per-tenant index.
  alias: setText(
    'alias',
    v.pipe(v.string(), v.minLength(1, 'alias must not be empty'), maxChars(255)),
    shownString,
    'unique within the tenant (409 CONFLICT); resolves in the path after cus_ ids and UUIDs; 1-255 characters, not cus_… or UUID-like',
  ),
  // Name and phone are plain strings (Rust `String` in Meteroid's REST models): no length limit.
  name: requiredText('name', 'required on create; shown as "" when none is stored, and "" written back is none'),
  billing_email: setText(
    'email',
    v.pipe(v.string(), v.maxLength(limits.email), v.check(isEmail, 'billing_email must be an email address')),
    shownString,
    'must be an email address (the canonical limit, so every dialect can show and take it)',
  ),
  invoicing_emails: member('invoicing_emails', {
    param: v.nullable(v.array(v.pipe(v.string(), v.maxLength(512)))),
    shown: v.array(v.string()),
    write: replaced,
    note: 'replaced whole; [] empties',
    toPatch: (emails) => (emails === null ? {} : { invoicing_emails: set([...emails]) }),
    render: (c) => [...c.invoicing_emails],
    // Lists are replaced whole, so [] is how Meteroid clears them.
    fromPatch: ({ invoicing_emails: op }) => (op?.op === 'set' ? op.value : []),
    parse: (shown) => (Array.isArray(shown) ? { invoicing_emails: set(shown.filter((e): e is string => typeof e === 'string')) } : {}),
  }),
  phone: setText('phone', v.string(), shownString, 'cannot be cleared; no length limit (the Meteroid API reference types it as a string)'),
  currency: member('currency', {
    param: v.nullable(CurrencyParamMeteroid),
    shown: v.picklist(currencyCodes),
    write: setOnly,
    note: "one of the seed's ISO 4217 codes, upper case; required on create; a customer created elsewhere without one has the canonical default, USD",
    toPatch: (code) => (code === null ? {} : { currency: set(code) }),
    render: (c) => c.currency,
    fromPatch: ({ currency }) => (currency?.op === 'set' ? currency.value : undefined),
    parse: (shown) => (typeof shown === 'string' && isCurrencyCode(shown) ? { currency: set(shown) } : {}),
  }),
  billing_address: member('address', {
    param: v.nullable(AddressParamMeteroid),
    shown: v.nullable(AddressResponseMeteroid),
    write: replaced,
    note: 'zip_code is postal_code; the members Meteroid shows are replaced whole ({} empties them); line3, the contact email/phone and a country given as a name naming no country, which it cannot show, are kept',
    members: addressNames(addressMeteroid, (wire) => `billing_address.${wire}`),
    toPatch: (param) => (param === null ? {} : { address: addressOp(param) }),
    render: (c) => renderAddress(c.address),
    fromPatch: ({ address }, losses) => (address ? addressSent(address, 'address', losses, true) : undefined),
    parse: (shown) => ({ address: addressFrom(shown) }),
  }),
  shipping_address: member('shipping', {
    param: v.nullable(ShippingParamMeteroid),
    shown: v.nullable(v.strictObject({ same_as_billing: v.boolean(), address: v.nullable(AddressResponseMeteroid) })),
    write: replaced,
    note: 'same_as_billing and address replaced whole; same_as_billing reads back the billing address, and with it true the address sent is ignored (the shipping address is kept); a shipping name/phone stored elsewhere is kept',
    members: addressNames(addressMeteroid, (wire) => `shipping_address.address.${wire}`, 'address.'),
    toPatch: (param) => (param === null ? {} : { shipping: shippingOp(param) }),
    render: (c) =>
      c.shipping
        ? {
            same_as_billing: c.shipping.same_as_billing,
            address: renderAddress(c.shipping.same_as_billing ? c.address : c.shipping.address),
          }
        : null,
    fromPatch: ({ shipping }, losses) => (shipping ? shippingSent(shipping, losses) : undefined),
    parse: (shown) => ({ shipping: shippingShown(shown, addressFrom) }),
  }),
  invoicing_entity_id: requiredText('invoicing_entity_id', 'not checked against invoicing entities; shown as "" when none is stored'),
  custom_taxes: member('custom_taxes', {
    param: v.nullable(v.array(CustomTaxParamMeteroid)),
    shown: v.array(v.strictObject({ name: v.string(), rate: v.string(), tax_code: v.string() })),
    write: replaced,
    note: 'replaced whole; [] empties; rate is a decimal string',
    // A tax code is shown as "" where none is stored.
    toPatch: (taxes) =>
      taxes === null ? {} : { custom_taxes: set(taxes.map((t) => ({ name: t.name, rate: t.rate, tax_code: t.tax_code || null }))) },
    render: (c) => c.custom_taxes.map((t) => ({ name: t.name, rate: t.rate, tax_code: t.tax_code ?? '' })),
    fromPatch: ({ custom_taxes: op }, losses) => {
      const taxes = op?.op === 'set' ? op.value : [];
      if (taxes.some((t) => t.tax_code === null)) {
        losses.push({
          field: 'custom_taxes',
          kind: 'lossy',
          message: 'Meteroid requires a tax_code on every custom tax: a missing one is sent as "".',
        });
      }
      return taxes.map((t) => ({ name: t.name, rate: t.rate, tax_code: t.tax_code ?? '' }));
    },
    parse: (shown) =>
      Array.isArray(shown)
        ? {
            custom_taxes: set(
              shown.map((t: Record<string, unknown>) => ({
                name: String(t.name ?? ''),
                rate: String(t.rate ?? '0'),
                tax_code: typeof t.tax_code === 'string' && t.tax_code !== '' ? t.tax_code : null,
              })),
            ),
          }
        : {},
  }),
  // Not in the Meteroid API reference's Customer, but taken on update: shown so a client can read it back.
  is_tax_exempt: member('tax_exempt', {
    param: v.nullable(v.boolean()),
    shown: v.boolean(),
    write: { set: true, clear: true },
    note: 'true is exempt of either kind (none becomes exempt, a reverse charge stays one), false none (which also clears it); reverse is shown as true',
    // A boolean cannot say "reverse charge": true is exempt of either kind (a reverse charge stays
    // one), false is none, the value a cleared tax_exempt returns to.
    toPatch: (flag) => (flag === null ? {} : { tax_exempt: flag ? exempt : set('none') }),
    // Reverse charge also means no tax on the invoice: closer to exempt than to none.
    render: (c) => c.tax_exempt !== 'none',
    fromPatch: ({ tax_exempt: op }, losses) => {
      const value = op?.op === 'set' ? op.value : op?.op === 'exempt' ? 'exempt' : 'none';
      // true means "exempt of either kind": it turns none into exempt and keeps a stored kind.
      if (op?.op === 'set' && value !== 'none') {
        losses.push({
          field: 'tax_exempt',
          kind: 'lossy',
          message: `Meteroid has only is_tax_exempt: ${value} is sent as true, which keeps a stored kind of exemption and turns none into exempt.`,
        });
      }
      return value !== 'none';
    },
    parse: (shown) => (typeof shown === 'boolean' ? { tax_exempt: set(shown ? 'exempt' : 'none') } : {}),
  }),
  vat_number: member('tax_ids', {
    param: v.nullable(v.string()),
    shown: shownString,
    write: setOnly,
    at: 'tax_ids.VAT',
    // Clearing every tax id leaves the VAT number: the gateway's coverage reports it.
    clearLeftOut: true,
    note: "the VAT entry only, replaced; other tax ids kept; its country is taken from the number's prefix (EL -> GR) when it is one; the number the entry holds, written back, leaves it as it is (its country and type spelling too)",
    toPatch: (vat) => (vat === null ? {} : { tax_ids: merge({ [vatType]: set(vatShown(vat)) }) }),
    render: (c) => vatEntry(c.tax_ids)?.value ?? null,
    fromPatch: ({ tax_ids }, losses) => (tax_ids ? vatSent(tax_ids, losses) : undefined),
    // A "" is a number Meteroid holds as given (toPatch sets it so), not the absence of one.
    parse: (shown) => ({ tax_ids: merge({ [vatType]: typeof shown === 'string' ? set(vatShown(shown)) : clear }) }),
  }),
} satisfies FieldTable;

/** Create: as Meteroid, a name and a currency are required; the rest as on update. */
export const createEntriesMeteroid = { name: v.string(), currency: CurrencyParamMeteroid } satisfies Partial<
  Record<keyof typeof fieldsMeteroid, v.GenericSchema>
>;

/** What a create sends for the required members the write leaves out: the customer's, else the defaults. */
export const createDefaultsMeteroid = (c: Customer | undefined) =>
  ({ name: c?.name ?? '', currency: c?.currency ?? defaultCurrency }) satisfies Record<keyof typeof createEntriesMeteroid, unknown>;
