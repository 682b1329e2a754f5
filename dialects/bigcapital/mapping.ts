import {
  type Address,
  type AddressPatch,
  type Customer,
  type CustomerPatch,
  clear,
  countryText,
  merge,
  readCountryText,
  set,
} from '../../schemas/index.ts';
import { textOp } from '../shared/text-op.ts';
import type { CreateRequestBigcapital, UpdateRequestBigcapital } from './request.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A country as free text: the code it names and the text as given (schemas/country.ts); the name
 * shown for a code anyway leaves a name given before for the same country as it is.
 */
export function countryOps(value: string | null): Pick<AddressPatch, 'country' | 'country_name'> {
  const read = value === null ? null : readCountryText(value);
  if (read === null) return { country: clear, country_name: clear };
  const country = read.code === null ? clear : set(read.code);
  return read.name === null ? { country } : { country, country_name: set(read.name) };
}

export const plainFieldsBigcapital = {
  salutation: 'salutation',
  firstName: 'first_name',
  lastName: 'last_name',
  companyName: 'company_name',
  email: 'email',
  workPhone: 'phone',
  personalPhone: 'mobile_phone',
  website: 'website',
  note: 'description',
} as const satisfies Partial<Record<keyof UpdateRequestBigcapital, keyof CustomerPatch>>;

/** The members of a billing or shipping address, after the `billingAddress`/`shippingAddress` prefix. */
export const addressMembersBigcapital = {
  '1': 'line1',
  '2': 'line2',
  City: 'city',
  State: 'state',
  // Requests say Zipcode, responses say Postcode: one postal code, taken under either name.
  Zipcode: 'postal_code',
  Email: 'email',
  Phone: 'phone',
} as const satisfies Record<string, Exclude<keyof Address, 'country' | 'country_name' | 'line3'>>;

export type AddressPrefix = 'billingAddress' | 'shippingAddress';

/** The member-by-member patch the flat `<prefix>…` properties make, or undefined when none is present. */
function addressPatch(body: UpdateRequestBigcapital, prefix: AddressPrefix): AddressPatch | undefined {
  const patch: Mutable<AddressPatch> = {};
  for (const [suffix, member] of Object.entries(addressMembersBigcapital)) {
    let value = body[`${prefix}${suffix}` as keyof UpdateRequestBigcapital];
    if (suffix === 'Zipcode' && value === undefined) value = body[`${prefix}Postcode`];
    if (typeof value === 'string' || value === null) patch[member] = textOp(value);
  }
  const country = body[`${prefix}Country`];
  if (country !== undefined) Object.assign(patch, countryOps(country));
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Bigcapital body -> canonical patch: absent unchanged, null (or "") clears. */
export function toPatch(body: UpdateRequestBigcapital): CustomerPatch {
  const patch: Mutable<CustomerPatch> = {
    customer_type: set(body.customerType),
    // "" is how a customer without a name is shown: no name.
    name: textOp(body.displayName),
  };
  for (const [property, field] of Object.entries(plainFieldsBigcapital)) {
    const value = body[property as keyof typeof plainFieldsBigcapital];
    if (value !== undefined) patch[field] = textOp(value);
  }
  // active has a default (true), which is what clearing it comes back to.
  if (body.active !== undefined) patch.active = body.active === null ? clear : set(body.active);
  const billing = addressPatch(body, 'billingAddress');
  if (billing) patch.address = merge(billing);
  const shipping = addressPatch(body, 'shippingAddress');
  // A same-as-billing shipping address is shown as the billing address: writing it back unchanged
  // keeps the flag, writing a change ends it (apply-patch decides, against the billing address).
  if (shipping) patch.shipping = merge({ address: merge(shipping) });
  return patch;
}

export function toCreatePatch(body: CreateRequestBigcapital): CustomerPatch {
  const patch = toPatch(body);
  return body.currencyCode ? { ...patch, currency: set(body.currencyCode) } : patch;
}

export interface CustomerBigcapital {
  id: number;
  customerType: string;
  balance: number;
  currencyCode: string;
  openingBalance: number;
  openingBalanceAt: string;
  openingBalanceExchangeRate: number;
  openingBalanceBranchId?: number;
  salutation?: string;
  firstName?: string;
  lastName?: string;
  companyName?: string;
  displayName: string;
  email?: string;
  workPhone?: string;
  personalPhone?: string;
  website?: string;
  billingAddress1?: string;
  billingAddress2?: string;
  billingAddressCity?: string;
  billingAddressCountry?: string;
  billingAddressEmail?: string;
  billingAddressPostcode?: string;
  billingAddressPhone?: string;
  billingAddressState?: string;
  shippingAddress1?: string;
  shippingAddress2?: string;
  shippingAddressCity?: string;
  shippingAddressCountry?: string;
  shippingAddressEmail?: string;
  shippingAddressPostcode?: string;
  shippingAddressPhone?: string;
  shippingAddressState?: string;
  note: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  localOpeningBalance: number;
  closingBalance: number;
}

/** The seed types optional properties as strings (not nullable): an unset one is left out. */
function present<T extends Record<string, string | number | null>>(values: T): { [K in keyof T]?: NonNullable<T[K]> } {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(values)) if (value !== null) out[key] = value;
  return out as { [K in keyof T]?: NonNullable<T[K]> };
}

type AddressSuffix = '1' | '2' | 'City' | 'Country' | 'Email' | 'Postcode' | 'Phone' | 'State';
type AddressProperties<P extends AddressPrefix> = Record<`${P}${AddressSuffix}`, string | null>;

function renderAddress<P extends AddressPrefix>(prefix: P, a: Address | null): AddressProperties<P> {
  // Computed keys widen to string: the template type above is what they are.
  return {
    [`${prefix}1`]: a?.line1 ?? null,
    [`${prefix}2`]: a?.line2 ?? null,
    [`${prefix}City`]: a?.city ?? null,
    [`${prefix}Country`]: a ? countryText(a) : null,
    [`${prefix}Email`]: a?.email ?? null,
    [`${prefix}Postcode`]: a?.postal_code ?? null,
    [`${prefix}Phone`]: a?.phone ?? null,
    [`${prefix}State`]: a?.state ?? null,
  } as AddressProperties<P>;
}

export function render(c: Customer): CustomerBigcapital {
  const shippingAddress = c.shipping?.same_as_billing ? c.address : (c.shipping?.address ?? null);
  return {
    id: c.number,
    customerType: c.customer_type,
    balance: c.balance,
    currencyCode: c.currency,
    openingBalance: c.opening_balance,
    // No opening balance was recorded: it is the (zero) balance the customer was created with.
    openingBalanceAt: c.opening_balance_at ?? c.created_at,
    openingBalanceExchangeRate: c.opening_balance_exchange_rate,
    ...present({
      openingBalanceBranchId: c.opening_balance_branch_id,
      salutation: c.salutation,
      firstName: c.first_name,
      lastName: c.last_name,
      companyName: c.company_name,
    }),
    displayName: c.name ?? '',
    ...present({ email: c.email, workPhone: c.phone, personalPhone: c.mobile_phone, website: c.website }),
    ...present(renderAddress('billingAddress', c.address)),
    ...present(renderAddress('shippingAddress', shippingAddress)),
    // Seed 003 marks note required in the answer: a customer with no note shows "", which written
    // back is no note (as displayName).
    note: c.description ?? '',
    active: c.active,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    localOpeningBalance: c.opening_balance * c.opening_balance_exchange_rate,
    closingBalance: c.balance,
  };
}
