import * as v from 'valibot';
import {
  type Address,
  type AddressOp,
  type AddressPatch,
  type Customer,
  clear,
  countryText,
  maxChars,
  merge,
  readCountryText,
  set,
  type ShippingOp,
  type TaxId,
} from '../../schemas/index.ts';
import type { Loss } from '../../src/contract/dialect.ts';
import {
  addressNames,
  addressParams,
  addressShown,
  plainAddressPatch,
  renderAddressOf,
  sentAddress,
  shownAddressOf,
} from '../shared/address-lens.ts';
import { type FieldTable, flag, heldText, identifier, member, readWrite, text, value } from '../shared/lens-members.ts';
import { emailError, pydantic } from './errors.ts';
import {
  CountryCodeParam,
  CustomDataParam,
  isRecord,
  laxBoolean,
  nullable,
  orNull,
  recordParam,
  shownObject,
  shownText,
  stringParam,
  textParam,
  upperCode,
  uuidParam,
} from './params.ts';

// Zenskar's field table: every member of its customer (the Zenskar API reference's
// UpdateCustomerRequestSchema and CustomerResponseSchema), read both ways by dialects/shared/lens.ts.
// Zenskar's update rules: an absent property leaves the field as it is, null clears it. An empty
// string clears text too: canonically "" and "no value" are one (Stripe-like dialects clear with "").
// Unknown properties are ignored (v.object), as pydantic does; messages are pydantic's so errors.ts
// can name each issue's type.

/** A pydantic model: a JSON object (not an array) with these properties. */
export const model = <E extends v.ObjectEntries>(entries: E) =>
  v.pipe(v.custom<Record<string, unknown>>(isRecord, pydantic.model_attributes_type), v.object(entries, pydantic.model_attributes_type));

/**
 * Zenskar's address. `country` is free text: a recognised name or alias maps to its code, any
 * other text is kept and shown as given (schemas/country.ts); both it and `country_code` are read
 * by `countryPatch`. Address validation sets the last two in Zenskar: accepted, not stored. The
 * reference types each text member a string (`anyOf: string, null`), as phone_number: a "" Zenskar
 * shows is the "" it holds (`held`).
 */
export const addressZenskar = {
  line1: { to: 'line1', param: textParam, shown: v.optional(shownText), held: true },
  line2: { to: 'line2', param: textParam, shown: v.optional(shownText), held: true },
  line3: { to: 'line3', param: textParam, shown: v.optional(shownText), held: true },
  city: { to: 'city', param: textParam, shown: v.optional(shownText), held: true },
  state: { to: 'state', param: textParam, shown: v.optional(shownText), held: true },
  zipCode: { to: 'postal_code', param: textParam, shown: v.optional(shownText), held: true },
  country: {
    to: 'country_name',
    param: nullable(stringParam),
    shown: v.optional(shownText),
    render: countryText,
    hook: true,
    unread: true,
  },
  country_code: { to: 'country', param: nullable(CountryCodeParam), shown: v.optional(shownText), hook: true },
  validation_status: { to: null, param: textParam, shown: v.optional(shownText) },
  connector_validation: { to: null, param: nullable(recordParam), shown: v.optional(shownObject) },
} as const;

export const AddressParamZenskar = model(addressParams(addressZenskar));
type AddressParamZenskar = v.InferOutput<typeof AddressParamZenskar>;
const AddressResponseZenskar = v.nullable(v.object(addressShown(addressZenskar)));

/**
 * The country an address names with `country` (free text) and/or `country_code`: the code, and
 * the name as given where it is not the one shown for the code anyway (the Zenskar API reference
 * does not require the two to agree; where they do not, the code wins and the text is kept).
 * A code alone leaves a name given before for that country as it is; none at all clears both.
 */
function countryPatch(param: AddressParamZenskar): Pick<AddressPatch, 'country' | 'country_name'> {
  if (param.country === undefined && param.country_code === undefined) return {};
  const code = upperCode(param.country_code);
  const read = param.country == null ? null : readCountryText(param.country);
  // country_code alone says nothing of a name given as text: the code is cleared, the name stays.
  if (code === null && param.country === undefined) return { country: clear };
  if (code === null && read === null) return { country: clear, country_name: clear };
  const country = code !== null ? set(code) : read?.code ? set(read.code) : clear;
  // Both given and naming different countries: the code is the country, the text is kept as given.
  if (read?.name) return { country, country_name: set(read.name) };
  if (read !== null && code !== null && read.code !== code) return { country, country_name: set(param.country as string) };
  // An explicit null name beside a code: no name, whatever was given before.
  return param.country === null ? { country, country_name: clear } : { country };
}

/**
 * Member by member, so what Zenskar cannot show (an address's contact email and phone, stored by
 * Bigcapital) survives an update through it.
 */
const addressOp = (param: AddressParamZenskar | null): AddressOp =>
  param === null ? clear : merge({ ...plainAddressPatch(addressZenskar, param), ...countryPatch(param) });

const renderAddress = renderAddressOf(addressZenskar);
const addressFrom = shownAddressOf(addressZenskar);

/**
 * Zenskar addresses have no contact email or phone: a change of one is reported, not sent. A
 * member set to "" goes as "", which Zenskar reads as a clear that keeps a stored "" (as its
 * phone_number): reported, as the text members' "" is.
 */
function sentAddressOf(op: AddressOp, field: string, losses: Loss[]) {
  for (const m of ['email', 'phone'] as const) {
    const named = op.op === 'set' ? Boolean(op.value[m]) : op.op === 'merge' && op.value[m] !== undefined;
    if (named) losses.push({ field: `${field}.${m}`, kind: 'unsupported', message: `Zenskar addresses have no contact ${m}.` });
  }
  for (const { to } of Object.values(addressZenskar)) {
    if (to === null || op.op === 'clear') continue;
    const memberOp = op.op === 'set' ? set(op.value[to]) : op.value[to];
    if (memberOp?.op === 'set' && memberOp.value === '') {
      losses.push({ field: `${field}.${to}`, kind: 'lossy', message: `"" is read as a clear: ${field}.${to} is cleared, not set to "".` });
    }
  }
  return sentAddress(addressZenskar, op);
}

/**
 * ship_to_address is the shipping address only: the recipient's name and phone are kept. A
 * same-as-billing address is shown as the billing address: writing it back unchanged keeps the
 * flag, a change ends it (src/core/apply-patch.ts decides).
 */
const shipTo = member('shipping', {
  param: v.nullable(AddressParamZenskar),
  shown: v.optional(AddressResponseZenskar),
  write: { ...readWrite, mode: 'merge' },
  members: addressNames(addressZenskar, (wire) => `ship_to_address.${wire}`, 'address.'),
  note: 'the shipping address only, member by member; the shipping name and phone are kept but not shown; "same as billing" shows the billing address: writing it back unchanged keeps the flag, a change starts from the billing address and ends it',
  toPatch: (param: AddressParamZenskar | null) => ({ shipping: merge({ address: addressOp(param) }) }),
  // Meteroid's "same as billing" is shown as the billing address, which is what it means.
  render: (c: Customer) => renderAddress(c.shipping?.same_as_billing ? c.address : (c.shipping?.address ?? null)),
  fromPatch: ({ shipping }, losses) => (shipping ? shipToSent(shipping, losses) : undefined),
  parse: (shown) => ({ shipping: merge({ address: addressFrom(shown) }) }),
});

function shipToSent(shipping: ShippingOp, losses: Loss[]) {
  let sent: Record<string, string | null> | null | undefined;
  // Only the address is written: it ends "same as billing" and keeps the recipient's name and phone
  // as they are, whatever the source asked of them.
  const address: AddressOp | undefined =
    shipping.op === 'clear' ? clear : shipping.op === 'set' ? set(shipping.value.address as Address) : shipping.value.address;
  if (address) {
    sent = address.op === 'set' && address.value === null ? null : sentAddressOf(address, 'shipping.address', losses);
    losses.push(
      {
        field: 'shipping.same_as_billing',
        kind: 'lossy',
        message: 'Writing a changed ship_to_address through Zenskar ends "same as billing".',
      },
      {
        field: 'shipping.address',
        kind: 'lossy',
        message: 'Zenskar shows a same-as-billing shipping address as the billing address: one written as that is kept as it was.',
      },
    );
  } else if (shipping.op === 'merge' && shipping.value.same_as_billing) {
    losses.push({ field: 'shipping.same_as_billing', kind: 'unsupported', message: 'Zenskar has no "same as billing" flag.' });
  }
  const named = shipping.op === 'merge' ? (['name', 'phone'] as const).filter((m) => shipping.value[m]) : (['name', 'phone'] as const);
  for (const m of named)
    losses.push({ field: `shipping.${m}`, kind: 'unsupported', message: `Zenskar has no shipping ${m}; it is kept as it is.` });
  return sent;
}

const TaxIdParamZenskar = model({ country_code: nullable(CountryCodeParam), tax_code: textParam, tax_id: textParam });
type TaxIdParamZenskar = v.InferOutput<typeof TaxIdParamZenskar>;
const TaxIdResponseZenskar = v.object({
  country_code: v.optional(shownText),
  tax_code: v.optional(shownText),
  tax_id: v.optional(shownText),
});

const taxIdOf = (t: TaxIdParamZenskar): TaxId => ({
  type: orNull(t.tax_code),
  value: orNull(t.tax_id),
  country: upperCode(t.country_code),
});
const taxIdShown = (t: TaxId) => ({ country_code: t.country, tax_code: t.type, tax_id: t.value });
const taxIdRead = (t: Record<string, unknown>): TaxId => ({
  type: typeof t.tax_code === 'string' ? t.tax_code : null,
  value: typeof t.tax_id === 'string' ? t.tax_id : null,
  country: typeof t.country_code === 'string' ? t.country_code : null,
});

const ConnectorParamZenskar = model({ name: textParam, reference_id: textParam });

export const fieldsZenskar = {
  id: identifier(v.pipe(v.string(), v.uuid()), 'the path id; an external_id resolves too'),
  external_id: text(
    'external_id',
    v.nullable(v.pipe(stringParam, maxChars(255, pydantic.string_too_long))),
    shownText,
    'at most 255 characters, unique within the tenant (409); null or "" clears',
  ),
  // The reference gives customer_name and phone_number no length limit (only external_id has one).
  customer_name: {
    ...text('name', v.nullable(stringParam), v.string(), 'null or "" clears; a customer without a name is shown as ""'),
    // The response requires a string; a customer stored without a name (Wooshpay allows it) shows "".
    render: (c: Customer) => c.name ?? '',
  },
  custom_data: member('metadata', {
    param: v.nullable(CustomDataParam),
    shown: shownObject,
    write: { ...readWrite, mode: 'replace' },
    note: 'replaced whole; values may be any JSON; cleared custom_data is shown as {}',
    toPatch: (data) => ({ metadata: data === null ? clear : set(data) }),
    render: (c) => c.metadata,
    // Replaced whole: a key-by-key change would drop the keys not named, so it is left out (the
    // gateway's loss report says so) rather than sent.
    fromPatch: ({ metadata }) => (metadata?.op === 'merge' ? undefined : metadata?.op === 'set' ? metadata.value : null),
    parse: (shown) => ({ metadata: shown && typeof shown === 'object' ? set({ ...(shown as Record<string, unknown>) }) : clear }),
  }),
  address: member('address', {
    param: v.nullable(AddressParamZenskar),
    shown: AddressResponseZenskar,
    write: { ...readWrite, mode: 'merge' },
    members: addressNames(addressZenskar, (wire) => `address.${wire}`),
    note: 'members patch one by one (absent unchanged, null clears); zipCode is postal_code; country shows the name as given (else the English name of the code) and country_code the ISO-2 code; country takes any text: a recognised name or alias (UK, Viet Nam, Holland) maps to its code, other text is kept and shown as given; where both are sent and name different countries, the code is the country and the text is kept as given; validation_status and connector_validation are accepted, not stored, shown as null; the address contact email/phone is kept but not shown',
    toPatch: (param) => ({ address: addressOp(param) }),
    render: (c) => renderAddress(c.address),
    fromPatch: ({ address }, losses) => (address ? sentAddressOf(address, 'address', losses) : undefined),
    parse: (shown) => ({ address: addressFrom(shown) }),
  }),
  ship_to_address: shipTo,
  tax_info: member('tax_ids', {
    param: v.nullable(v.array(TaxIdParamZenskar, pydantic.list_type)),
    shown: v.optional(v.nullable(v.array(TaxIdResponseZenskar))),
    write: { ...readWrite, mode: 'replace' },
    note: '[{country_code, tax_code, tax_id}] is the canonical [{country, type, value}]; the list is replaced whole',
    toPatch: (list) => ({ tax_ids: list === null ? clear : set(list.map(taxIdOf)) }),
    render: (c) => c.tax_ids.map(taxIdShown),
    fromPatch: ({ tax_ids }) => (tax_ids?.op === 'merge' ? undefined : tax_ids?.op === 'set' ? tax_ids.value.map(taxIdShown) : null),
    parse: (shown) => ({ tax_ids: set(Array.isArray(shown) ? shown.map(taxIdRead) : []) }),
  }),
  email: value(
    'email',
    v.nullable(
      v.pipe(
        stringParam,
        v.email((issue) => emailError(issue.input)),
      ),
    ),
    v.optional(shownText),
    'must be an email address; null clears',
  ),
  custom_attributes: member<undefined, null>(null, { shown: v.optional(shownObject), render: () => null }),
  // The reference types phone_number as a string: a "" Zenskar shows is the "" it holds.
  phone_number: {
    ...text('phone', v.nullable(stringParam), v.optional(shownText), 'null or "" clears'),
    parse: (shown: unknown) => ({ phone: heldText(shown) }),
  },
  connector: member('connector', {
    param: v.nullable(ConnectorParamZenskar),
    write: { ...readWrite, mode: 'replace' },
    note: '{name, reference_id} replaced whole; the seed response has no connector, so it is stored and not shown',
    toPatch: (connector) => ({
      connector: connector === null ? clear : set({ name: connector.name ?? null, reference_id: connector.reference_id ?? null }),
    }),
    fromPatch: ({ connector }) => (connector?.op === 'set' ? connector.value : null),
  }),
  communications_enabled: flag(
    'communications_enabled',
    v.nullable(laxBoolean),
    v.optional(v.nullable(v.boolean())),
    'null puts it back to its default, true',
  ),
  auto_charge_enabled: flag(
    'auto_charge_enabled',
    v.nullable(laxBoolean),
    v.optional(v.nullable(v.boolean())),
    'null puts it back to its default, true',
  ),
  business_entity_id: value(
    'business_entity_id',
    v.nullable(uuidParam),
    v.optional(v.nullable(v.pipe(v.string(), v.uuid()))),
    'a UUID (hyphenated, 32 hex digits, braced or urn:uuid:, as pydantic reads one), stored hyphenated and lower case',
  ),
} satisfies FieldTable;

/** Zenskar creates a customer with a name (its response requires one): required on create. */
export const createEntriesZenskar = { customer_name: stringParam } satisfies Partial<Record<keyof typeof fieldsZenskar, v.GenericSchema>>;
export const createNameZenskar = 'customer_name' satisfies keyof typeof createEntriesZenskar;
