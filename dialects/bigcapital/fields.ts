import * as v from 'valibot';
import {
  type Customer,
  type CustomerPatch,
  CurrencyCodeSchema,
  isCurrencyCode,
  limits,
  maxChars,
  merge,
  set,
} from '../../schemas/index.ts';
import { shownText } from '../../src/contract/dialect.ts';
import { limit } from '../../src/contract/held-limits.ts';
import { type FieldTable, flag, heldText, member, readWrite, type TextField, type Write } from '../shared/lens-members.ts';
import { addressNames } from '../shared/address-lens.ts';
import { textOp } from '../shared/text-op.ts';
import { addressHooks, type FlatAddress, type PropertyKind, textValue } from './hooks.ts';

// Bigcapital's field table: every property of its customer (the Bigcapital API reference's
// edit-customer DTO and its customer response), read both ways by dialects/shared/lens.ts.
// Bigcapital's update rules: absent is unchanged and null clears; "" means "no value" in its forms,
// so it clears text too; unknown properties are dropped (v.object strips them), as its whitelisting
// validation pipe does, so read-only properties a client echoes back are ignored. Optional
// properties are strings (not nullable) in its responses: an unset one is left out.

/**
 * class-validator's MaxLength message, after the property name, in characters. Other dialects take a
 * longer phone: an update may send back the one the customer holds (`limit`).
 */
const maxLength = (n: number) => limit(maxChars<string>(n, `must be shorter than or equal to ${n} characters`));

const textParam = v.nullable(v.pipe(v.string(), maxLength(limits.text)));
/** "" is no email: a 400, as Bigcapital's IsEmail refuses it. */
const emailParam = v.nullable(v.pipe(v.string(), v.email(), v.maxLength(limits.email)));

const dateTime = v.pipe(v.string(), v.isoTimestamp());
const optionalString = v.optional(v.string());

/**
 * A billing or shipping address's flat properties, after their prefix. Bigcapital types a country
 * as a free string: an English name ("United States"), an alias ("UK"), an ISO code, or any other
 * text, which is kept and shown as given (schemas/country.ts).
 */
const addressBigcapital = {
  '1': { to: 'line1', param: textParam, shown: optionalString, kind: 'text' },
  '2': { to: 'line2', param: textParam, shown: optionalString, kind: 'text' },
  City: { to: 'city', param: textParam, shown: optionalString, kind: 'text' },
  State: { to: 'state', param: textParam, shown: optionalString, kind: 'text' },
  Country: { to: 'country', param: textParam, shown: optionalString, kind: 'country' },
  Zipcode: { to: 'postal_code', param: textParam, kind: 'text' },
  // Responses say Postcode: a client writing back what it read sends that.
  Postcode: { to: 'postal_code', param: textParam, shown: optionalString, kind: 'text', aliasOf: 'Zipcode' },
  Email: { to: 'email', param: emailParam, shown: optionalString, kind: 'email' },
  Phone: { to: 'phone', param: textParam, shown: optionalString, kind: 'text' },
} as const satisfies FlatAddress;

const { addressPatch, renderAddress, addressFrom, writeAddress, writeShipping } = addressHooks(addressBigcapital);

const cleared = 'null or "" clears; not shown when empty';
const required: Write = { set: true, clear: false };
const merged: Write = { ...readWrite, mode: 'merge' };

/** A member with its property kind (`propertyKindsBigcapital`). */
const kinded = <M extends object, K extends PropertyKind>(m: M, kind: K): M & { readonly kind: K } => ({ ...m, kind });

/** A member spread over the flat address properties. */
const spreadOver = <M extends object>(m: M): Omit<M, 'flat'> & { readonly flat: typeof addressBigcapital } => ({
  ...m,
  flat: addressBigcapital,
});

/**
 * A text property: null or "" clears; shown only when it has a value. The Bigcapital API reference
 * types each a string, so a "" it shows is the "" it holds (`held`), where an email property
 * refuses "" and note shows "" for none.
 */
function plain(
  field: Exclude<TextField, 'name'>,
  note = cleared,
  param: v.GenericSchema<unknown, string | null> = textParam,
  held = param !== emailParam,
) {
  return kinded(
    member(field, {
      param,
      shown: optionalString,
      write: readWrite,
      note,
      toPatch: (value: string | null) => ({ [field]: textOp(value) }),
      render: (c: Customer): string | undefined => c[field] ?? undefined,
      fromPatch: (patch, losses) => {
        const op = patch[field];
        return op ? textValue(op, field, losses, param !== emailParam) : undefined;
      },
      parse: (shown) => ({ [field]: held ? heldText(shown) : shownText(shown) }),
    }),
    param === emailParam ? 'email' : 'text',
  );
}

/** Shown, never written. */
const shown = <R>(schema: v.GenericSchema, render: (c: Customer) => R) => member<undefined, R>(null, { shown: schema, render });

export const fieldsBigcapital = {
  id: member<undefined, number>('number', {
    shown: v.pipe(v.number(), v.integer(), v.minValue(1)),
    note: 'the path id; a non-numeric id is a 404',
    render: (c) => c.number,
  }),
  customerType: kinded(
    member('customer_type', {
      // Any non-empty string, as Bigcapital's DTO (@IsString() @IsNotEmpty(); schemas/customer.ts).
      param: v.pipe(v.string(), v.nonEmpty('customerType should not be empty')),
      shown: v.string(),
      write: required,
      note: "required on every PUT: any non-empty text (Bigcapital's forms offer business | individual), shown back as given; every customer has one: the canonical default is business, shown for customers made through any dialect (docs/seams.md)",
      toPatch: (type: string) => ({ customer_type: set(type) }),
      render: (c: Customer) => c.customer_type,
      // A clear cannot be sent: the property is then missing (`requiredBigcapital` reports it).
      fromPatch: ({ customer_type: op }) => (op?.op === 'set' ? op.value : undefined),
      parse: (type) => (typeof type === 'string' && type !== '' ? { customer_type: set(type) } : {}),
    }),
    'required',
  ),
  displayName: kinded(
    member('name', {
      // Shown as "" for a customer with no name, so "" is taken back (as no name) rather than
      // refused. No length limit: Bigcapital's DTO checks only @IsString().
      param: v.string(),
      shown: v.string(),
      write: required,
      note: 'required on every PUT; shown as "" when no name is stored, and "" written back is no name; no length limit (Bigcapital checks only that it is a string)',
      toPatch: (name: string) => ({ name: textOp(name) }),
      render: (c: Customer) => c.name ?? '',
      fromPatch: ({ name }) => (name?.op === 'set' ? name.value : undefined),
      parse: (name) => ({ name: shownText(name) }),
    }),
    'required',
  ),
  balance: member<undefined, number>('balance', {
    shown: v.number(),
    note: 'also closingBalance; openingBalance, openingBalanceAt (createdAt when none), openingBalanceExchangeRate, localOpeningBalance and openingBalanceBranchId are shown read-only',
    render: (c) => c.balance,
  }),
  currencyCode: member<undefined, string>('currency', {
    shown: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)),
    note: 'set on create only (ignored in a PUT); a customer created without one has the canonical default, USD',
    render: (c) => c.currency,
    parse: (code) => (typeof code === 'string' && isCurrencyCode(code) ? { currency: set(code) } : {}),
  }),
  openingBalance: shown(v.number(), (c) => c.opening_balance),
  // No opening balance was recorded: it is the (zero) balance the customer was created with.
  openingBalanceAt: shown(dateTime, (c) => c.opening_balance_at ?? c.created_at),
  openingBalanceExchangeRate: shown(v.number(), (c) => c.opening_balance_exchange_rate),
  openingBalanceBranchId: shown(v.optional(v.number()), (c) => c.opening_balance_branch_id ?? undefined),
  salutation: plain('salutation'),
  firstName: plain('first_name'),
  lastName: plain('last_name'),
  companyName: plain('company_name'),
  email: plain('email', 'null clears; "" is a 400', emailParam),
  workPhone: plain('phone'),
  personalPhone: plain('mobile_phone'),
  website: plain('website'),
  // The Bigcapital API reference marks note required in a response: a customer with no note shows
  // "", which written back is no note (as displayName).
  note: {
    ...plain(
      'description',
      'null or "" clears; shown as "" when none is stored (the Bigcapital API reference marks note required in a response), and "" written back is none',
      textParam,
      false,
    ),
    shown: v.string(),
    render: (c: Customer) => c.description ?? '',
  },
  active: kinded(flag('active', v.nullable(v.boolean()), v.boolean(), 'null resets it to true'), 'boolean'),
  billingAddress: spreadOver(
    member('address', {
      as: 'billingAddress1/2/City/State/Country/Zipcode/Email/Phone',
      members: addressNames(addressBigcapital, (suffix) => `billingAddress${suffix}`),
      write: merged,
      note: 'members patch one by one (null clears one); Zipcode in requests is Postcode in responses (a PUT takes either); Country takes any text: a recognised name or alias (UK, Viet Nam, Holland) maps to ISO-2, other text is kept; it shows the name as given where it names the country of the code (or there is no code), else the English name of the code; line3 is kept but not shown',
      toPatch: (part: Readonly<Record<string, unknown>>) => ({ address: merge(addressPatch(part)) }),
      render: (c: Customer) => renderAddress(c.address),
      fromPatch: ({ address }, losses) => (address ? writeAddress(address, 'address', losses) : undefined),
      parse: (part) => ({ address: addressFrom(part as Readonly<Record<string, unknown>>) }),
    }),
  ),
  shippingAddress: spreadOver(
    member('shipping', {
      as: 'shippingAddress1/2/City/State/Country/Zipcode/Email/Phone',
      members: addressNames(addressBigcapital, (suffix) => `shippingAddress${suffix}`, 'address.'),
      at: 'shipping.address',
      write: merged,
      note: 'the shipping address, member by member; a same-as-billing shipping shows the billing address: writing it back unchanged keeps same-as-billing, a change starts from the billing address and ends it; the shipping name and recipient phone (Wooshpay shipping.name/phone) are kept but not shown',
      // A same-as-billing shipping address is shown as the billing address: writing it back unchanged
      // keeps the flag, writing a change ends it (src/core/apply-patch.ts decides, against the billing address).
      toPatch: (part: Readonly<Record<string, unknown>>): CustomerPatch => ({ shipping: merge({ address: merge(addressPatch(part)) }) }),
      render: (c: Customer) => renderAddress(c.shipping?.same_as_billing ? c.address : (c.shipping?.address ?? null)),
      fromPatch: (patch, losses) => writeShipping(patch, losses),
      // Bigcapital's shipping is an address only: the recipient's name and phone stay.
      parse: (part) => ({ shipping: merge({ address: addressFrom(part as Readonly<Record<string, unknown>>) }) }),
    }),
  ),
  createdAt: member<undefined, string>('created_at', { shown: dateTime, render: (c) => c.created_at }),
  updatedAt: member<undefined, string>('updated_at', { shown: dateTime, render: (c) => c.updated_at }),
  localOpeningBalance: shown(v.number(), (c) => c.opening_balance * c.opening_balance_exchange_rate),
  closingBalance: shown(v.number(), (c) => c.balance),
} satisfies FieldTable;

type Fields = typeof fieldsBigcapital;

/**
 * Every PUT (and create) needs these two: a client half that has no value for one takes the
 * customer's as the gateway knows it, else a default; a translation without one reports it.
 */
export const requiredBigcapital = {
  customerType: {
    fallback: (c: Customer | undefined) => c?.customer_type ?? 'business',
    message: 'requires customerType (such as business or individual) on every PUT; supply it.',
  },
  displayName: {
    fallback: (c: Customer | undefined) => c?.name || c?.company_name || c?.email || 'Unnamed customer',
    message: 'requires a non-empty displayName on every PUT; supply it.',
  },
} as const satisfies Partial<Record<keyof Fields, { fallback: (c: Customer | undefined) => string; message: string }>>;

/** The required properties' request schemas (the table's entries are all optional). */
export const requiredEntriesBigcapital = {
  customerType: fieldsBigcapital.customerType.param,
  displayName: fieldsBigcapital.displayName.param,
} satisfies Record<keyof typeof requiredBigcapital, v.GenericSchema>;

/** Create also takes the customer's currency, which an edit cannot change. */
export const createEntriesBigcapital = { currencyCode: v.optional(v.nullable(CurrencyCodeSchema)) } satisfies Partial<
  Record<keyof Fields, v.GenericSchema>
>;
type CreateExtra = { readonly currencyCode?: v.InferOutput<typeof createEntriesBigcapital.currencyCode> };

/** What a create body adds to an update's patch. */
export const createPatchBigcapital = (body: CreateExtra): CustomerPatch => (body.currencyCode ? { currency: set(body.currencyCode) } : {});

/** What a create sends beside an update's body. */
export const createBodyBigcapital = (patch: CustomerPatch): CreateExtra =>
  patch.currency?.op === 'set' ? { currencyCode: patch.currency.value } : {};

/** Each flat address property: its name, the canonical path of its value and its member. */
export const flatPropertiesBigcapital = Object.entries(fieldsBigcapital).flatMap(([wire, m]) =>
  m.flat ? Object.entries(addressBigcapital).map(([suffix, f]) => [`${wire}${suffix}`, `${m.at ?? m.field}.${f.to}`, f] as const) : [],
);

/** Each request property's kind, so a failed check is named as Bigcapital's validator names it. */
export const propertyKindsBigcapital: Readonly<Record<string, PropertyKind>> = {
  ...Object.fromEntries(Object.entries(fieldsBigcapital).flatMap(([wire, m]) => ('kind' in m ? [[wire, m.kind]] : []))),
  ...Object.fromEntries(flatPropertiesBigcapital.map(([name, , f]) => [name, f.kind])),
  currencyCode: 'currency',
};

/**
 * The properties whose clear Bigcapital's reference has no form for: it types every member a
 * string and refuses "" for an email, and `active` is a boolean. Each with the canonical path of
 * its value.
 */
export const noClearFormBigcapital: ReadonlyMap<string, string> = new Map([
  ...Object.entries(fieldsBigcapital).flatMap(([wire, m]) =>
    'kind' in m && (m.kind === 'email' || m.kind === 'boolean') && m.field ? [[wire, m.field] as const] : [],
  ),
  ...flatPropertiesBigcapital.flatMap(([name, path, f]) => (f.kind === 'email' ? [[name, path] as const] : [])),
]);

/** When Bigcapital made the customer a response shows (its `createdAt`), where that is a date. */
export const createdAtBigcapital = (shown: Readonly<Record<string, unknown>>): string | undefined =>
  typeof shown.createdAt === 'string' && !Number.isNaN(Date.parse(shown.createdAt)) ? shown.createdAt : undefined;
