import * as v from 'valibot';

// The Bigcapital API reference's 200 schema, as a check on what we render: the required properties always present,
// the optional ones strings (or a number) when present. `id` and `customerType` are not in the seed's
// schema; Bigcapital returns both and clients need the id.

const dateTime = v.pipe(v.string(), v.isoTimestamp());
const optionalString = v.optional(v.string());

export const CustomerResponseBigcapital = v.object({
  id: v.pipe(v.number(), v.integer(), v.minValue(1)),
  customerType: v.string(),
  balance: v.number(),
  currencyCode: v.pipe(v.string(), v.regex(/^[A-Z]{3}$/)),
  openingBalance: v.number(),
  openingBalanceAt: dateTime,
  openingBalanceExchangeRate: v.number(),
  displayName: v.string(),
  note: v.string(),
  active: v.boolean(),
  createdAt: dateTime,
  updatedAt: dateTime,
  localOpeningBalance: v.number(),
  closingBalance: v.number(),
  openingBalanceBranchId: v.optional(v.number()),
  salutation: optionalString,
  firstName: optionalString,
  lastName: optionalString,
  companyName: optionalString,
  email: optionalString,
  workPhone: optionalString,
  personalPhone: optionalString,
  website: optionalString,
  billingAddress1: optionalString,
  billingAddress2: optionalString,
  billingAddressCity: optionalString,
  billingAddressCountry: optionalString,
  billingAddressEmail: optionalString,
  billingAddressPostcode: optionalString,
  billingAddressPhone: optionalString,
  billingAddressState: optionalString,
  shippingAddress1: optionalString,
  shippingAddress2: optionalString,
  shippingAddressCity: optionalString,
  shippingAddressCountry: optionalString,
  shippingAddressEmail: optionalString,
  shippingAddressPostcode: optionalString,
  shippingAddressPhone: optionalString,
  shippingAddressState: optionalString,
});
