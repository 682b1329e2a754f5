import {
  type Address,
  type AddressOp,
  type AddressPatch,
  type Customer,
  type CustomerPatch,
  clear,
  countryText,
  type FieldOp,
  merge,
  readCountryText,
  set,
  type ShippingOp,
  type TaxId,
} from '../../schemas/index.ts';
import { textOp } from '../shared/text-op.ts';
import { type AddressParamZenskar, isBlank, type TaxIdParamZenskar, type UpdateRequestZenskar } from './request.ts';

// Zenskar's update rules: an absent property leaves the field as it is, null clears it. An empty
// string clears too: canonically "" and "no value" are one (Stripe-like dialects clear with "").

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The text, or null where it is absent, null or blank. */
const orNull = (value: string | null | undefined): string | null => (value == null || isBlank(value) ? null : value);

/**
 * The country an address names with `country` (free text) and/or `country_code`: the code, and
 * the name as given where it is not the one shown for the code anyway (the Zenskar API reference does not require
 * the two to agree; where they do not, the code wins and the text is kept).
 * A code alone leaves a name given before for that country as it is; none at all clears both.
 */
function countryOps(param: AddressParamZenskar): Pick<AddressPatch, 'country' | 'country_name'> {
  if (param.country === undefined && param.country_code === undefined) return {};
  const code = orNull(param.country_code)?.trim().toUpperCase() ?? null;
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

const addressMembers = [
  ['line1', 'line1'],
  ['line2', 'line2'],
  ['line3', 'line3'],
  ['city', 'city'],
  ['state', 'state'],
  ['zipCode', 'postal_code'],
] as const satisfies readonly (readonly [keyof AddressParamZenskar, keyof AddressPatch])[];

/**
 * Member by member, so what Zenskar cannot show (an address's contact email and phone, stored by
 * Bigcapital) survives an update through it.
 */
export function addressOp(param: AddressParamZenskar | null): AddressOp {
  if (param === null) return clear;
  const patch: Mutable<AddressPatch> = {};
  for (const [from, to] of addressMembers) {
    const op = textOp(param[from]);
    if (op) patch[to] = op;
  }
  Object.assign(patch, countryOps(param));
  return merge(patch);
}

/**
 * ship_to_address is the shipping address only: the shipping contact name and phone are kept. A
 * same-as-billing address is shown as the billing address: writing it back unchanged keeps the
 * flag, a change ends it (apply-patch decides).
 */
export function shipToOp(param: AddressParamZenskar | null): ShippingOp {
  return merge({ address: addressOp(param) });
}

export function taxIdValue(param: TaxIdParamZenskar): TaxId {
  return {
    type: orNull(param.tax_code),
    value: orNull(param.tax_id),
    country: orNull(param.country_code)?.trim().toUpperCase() ?? null,
  };
}

/** Sets a boolean, or null puts it back to its default (true). */
const flagOp = (value: boolean | null): FieldOp<boolean> => (value === null ? clear : set(value));

/** Zenskar body -> canonical patch. */
export function toPatch(body: UpdateRequestZenskar): CustomerPatch {
  const patch: Mutable<CustomerPatch> = {};
  const external = textOp(body.external_id);
  if (external) patch.external_id = external;
  const name = textOp(body.customer_name);
  if (name) patch.name = name;
  const phone = textOp(body.phone_number);
  if (phone) patch.phone = phone;
  if (body.email !== undefined) patch.email = body.email === null ? clear : set(body.email);
  // custom_data is replaced whole, not merged by key.
  if (body.custom_data !== undefined) patch.metadata = body.custom_data === null ? clear : set(body.custom_data);
  if (body.address !== undefined) patch.address = addressOp(body.address);
  if (body.ship_to_address !== undefined) patch.shipping = shipToOp(body.ship_to_address);
  if (body.tax_info !== undefined) patch.tax_ids = body.tax_info === null ? clear : set(body.tax_info.map(taxIdValue));
  if (body.connector !== undefined) {
    patch.connector =
      body.connector === null ? clear : set({ name: body.connector.name ?? null, reference_id: body.connector.reference_id ?? null });
  }
  if (body.communications_enabled !== undefined) patch.communications_enabled = flagOp(body.communications_enabled);
  if (body.auto_charge_enabled !== undefined) patch.auto_charge_enabled = flagOp(body.auto_charge_enabled);
  if (body.business_entity_id !== undefined) {
    patch.business_entity_id = body.business_entity_id === null ? clear : set(body.business_entity_id);
  }
  return patch;
}

export interface AddressZenskar {
  line1: string | null;
  line2: string | null;
  line3: string | null;
  city: string | null;
  state: string | null;
  zipCode: string | null;
  country: string | null;
  country_code: string | null;
  validation_status: string | null;
  connector_validation: Record<string, unknown> | null;
}

export interface TaxIdZenskar {
  country_code: string | null;
  tax_code: string | null;
  tax_id: string | null;
}

/** The Zenskar API reference's CustomerResponseSchema. */
export interface CustomerZenskar {
  id: string;
  external_id: string | null;
  customer_name: string;
  custom_data: Record<string, unknown>;
  address: AddressZenskar | null;
  ship_to_address: AddressZenskar | null;
  tax_info: TaxIdZenskar[];
  email: string | null;
  custom_attributes: Record<string, unknown> | null;
  phone_number: string | null;
  communications_enabled: boolean;
  auto_charge_enabled: boolean;
  business_entity_id: string | null;
}

export function renderAddress(address: Address | null): AddressZenskar | null {
  if (!address) return null;
  return {
    line1: address.line1,
    line2: address.line2,
    line3: address.line3,
    city: address.city,
    state: address.state,
    zipCode: address.postal_code,
    country: countryText(address),
    country_code: address.country,
    validation_status: null,
    connector_validation: null,
  };
}

export function render(c: Customer): CustomerZenskar {
  // Meteroid's "same as billing" is shown as the billing address, which is what it means.
  const shipTo = c.shipping?.same_as_billing ? c.address : (c.shipping?.address ?? null);
  return {
    id: c.uuid,
    external_id: c.external_id,
    // The seed requires a string; a customer stored without a name (Wooshpay allows it) shows "".
    customer_name: c.name ?? '',
    custom_data: c.metadata,
    address: renderAddress(c.address),
    ship_to_address: renderAddress(shipTo),
    tax_info: c.tax_ids.map((t) => ({ country_code: t.country, tax_code: t.type, tax_id: t.value })),
    email: c.email,
    custom_attributes: null,
    phone_number: c.phone,
    communications_enabled: c.communications_enabled,
    auto_charge_enabled: c.auto_charge_enabled,
    business_entity_id: c.business_entity_id,
  };
}
