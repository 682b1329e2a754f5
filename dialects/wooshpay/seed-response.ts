import * as v from 'valibot';

// Seed 000's 200 schema (and its Customer component), as a check on what we render.

const nullableString = v.nullable(v.string());

const AddressResponseWooshpay = v.nullable(
  v.strictObject({
    line1: nullableString,
    line2: nullableString,
    city: nullableString,
    state: nullableString,
    postal_code: nullableString,
    country: nullableString,
  }),
);

export const CustomerResponseWooshpay = v.object({
  id: v.pipe(v.string(), v.startsWith('cus_')),
  object: v.literal('customer'),
  address: AddressResponseWooshpay,
  balance: v.pipe(v.number(), v.integer()),
  created: v.pipe(v.number(), v.integer()),
  currency: nullableString,
  default_source: nullableString,
  delinquent: v.boolean(),
  description: nullableString,
  discount: v.null(),
  email: nullableString,
  invoice_prefix: nullableString,
  invoice_settings: v.object({}),
  livemode: v.boolean(),
  metadata: v.record(v.string(), v.string()),
  name: nullableString,
  next_invoice_sequence: v.nullable(v.pipe(v.number(), v.integer())),
  phone: nullableString,
  preferred_locales: v.array(v.string()),
  shipping: v.nullable(v.object({ address: AddressResponseWooshpay, name: nullableString, phone: nullableString })),
  tax_exempt: v.picklist(['none', 'exempt', 'reverse']),
  test_clock: v.null(),
});
