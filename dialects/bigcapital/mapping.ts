import {
  type Address,
  type AddressPatch,
  type Customer,
  type CustomerPatch,
  clear,
  countryName,
  type FieldOp,
  merge,
  set,
  toCountryCode,
} from '../../schemas/index.ts';
import { textOp } from '../shared/text-op.ts';
import type { CreateRequestBigcapital, UpdateRequestBigcapital } from './request.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const countryOp = (value: string | null): FieldOp<string> => {
  const code = value === null || value === '' ? undefined : toCountryCode(value);
  // The schema refused unknown names, so a non-empty value always has a code here.
  return code === undefined ? clear : set(code);
};

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
  // Requests say Zipcode, responses say Postcode: one postal code.
  Zipcode: 'postal_code',
  Email: 'email',
  Phone: 'phone',
} as const satisfies Record<string, Exclude<keyof Address, 'country' | 'line3'>>;

export type AddressPrefix = 'billingAddress' | 'shippingAddress';

/** The member-by-member patch the flat `<prefix>…` properties make, or undefined when none is present. */
function addressPatch(body: UpdateRequestBigcapital, prefix: AddressPrefix): AddressPatch | undefined {
  const patch: Mutable<AddressPatch> = {};
  for (const [suffix, member] of Object.entries(addressMembersBigcapital)) {
    const value = body[`${prefix}${suffix}` as keyof UpdateRequestBigcapital];
    if (typeof value === 'string' || value === null) patch[member] = textOp(value);
  }
  const country = body[`${prefix}Country`];
  if (country !== undefined) patch.country = countryOp(country);
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** Bigcapital body -> canonical patch: absent unchanged, null (or "") clears. */
export function toPatch(body: UpdateRequestBigcapital): CustomerPatch {
  const patch: Mutable<CustomerPatch> = {
    customer_type: set(body.customerType),
    name: set(body.displayName),
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
  // Writing a shipping field ends "same as billing" (Meteroid's flag); otherwise the write would
  // not show.
  if (shipping) patch.shipping = merge({ same_as_billing: set(false), address: merge(shipping) });
  return patch;
}

export function toCreatePatch(body: CreateRequestBigcapital): CustomerPatch {
  const patch = toPatch(body);
  return body.currencyCode ? { ...patch, currency: set(body.currencyCode) } : patch;
}

/** What Bigcapital shows as a customer's currency when none is stored: its base currency here. */
export const baseCurrencyBigcapital = 'USD';

export interface CustomerBigcapital {
  id: number;
  customerType?: 'business' | 'individual';
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
  const country = a?.country ?? null;
  // Computed keys widen to string: the template type above is what they are.
  return {
    [`${prefix}1`]: a?.line1 ?? null,
    [`${prefix}2`]: a?.line2 ?? null,
    [`${prefix}City`]: a?.city ?? null,
    [`${prefix}Country`]: country === null ? null : (countryName(country) ?? country),
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
    ...present({ customerType: c.customer_type }),
    balance: c.balance,
    currencyCode: c.currency ?? baseCurrencyBigcapital,
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
    note: c.description ?? '',
    active: c.active,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    localOpeningBalance: c.opening_balance * c.opening_balance_exchange_rate,
    closingBalance: c.balance,
  };
}
