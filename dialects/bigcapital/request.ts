import * as v from 'valibot';
import { CurrencyCodeSchema, CustomerTypeSchema, toCountryCode } from '../../schemas/index.ts';

// Seed 003: Bigcapital's edit-customer DTO. Absent is unchanged and null clears; unknown
// properties are dropped (v.object strips them), as Bigcapital's whitelisting validation pipe
// does, so read-only fields a client echoes back (balances, currencyCode, timestamps) are ignored.

/** "" means "no value" in Bigcapital's forms, so it clears like null; a string sets. */
const text = v.optional(v.nullable(v.string()));

/** "" is no email: a 400, as Bigcapital's IsEmail refuses it. */
const email = v.optional(v.nullable(v.pipe(v.string(), v.email())));

/** An English country name ("United States"); ISO codes are accepted too. Unknown names are a 400. */
const country = v.optional(
  v.nullable(
    v.pipe(
      v.string(),
      v.check((name) => name === '' || toCountryCode(name) !== undefined),
    ),
  ),
);

const entries = {
  customerType: CustomerTypeSchema,
  displayName: v.pipe(v.string(), v.nonEmpty()),
  salutation: text,
  firstName: text,
  lastName: text,
  companyName: text,
  email,
  workPhone: text,
  personalPhone: text,
  website: text,
  note: text,
  active: v.optional(v.nullable(v.boolean())),
  billingAddress1: text,
  billingAddress2: text,
  billingAddressCity: text,
  billingAddressState: text,
  billingAddressCountry: country,
  billingAddressZipcode: text,
  billingAddressEmail: email,
  billingAddressPhone: text,
  shippingAddress1: text,
  shippingAddress2: text,
  shippingAddressCity: text,
  shippingAddressState: text,
  shippingAddressCountry: country,
  shippingAddressZipcode: text,
  shippingAddressEmail: email,
  shippingAddressPhone: text,
};

export const UpdateRequestBigcapital = v.object(entries);
export type UpdateRequestBigcapital = v.InferOutput<typeof UpdateRequestBigcapital>;

/** Create also takes the customer's currency, which an edit cannot change. */
export const CreateRequestBigcapital = v.object({ ...entries, currencyCode: v.optional(v.nullable(CurrencyCodeSchema)) });
export type CreateRequestBigcapital = v.InferOutput<typeof CreateRequestBigcapital>;

/** What each property is, so a failed check is named as Bigcapital's validator names it. */
export type PropertyKind = 'customerType' | 'required' | 'text' | 'email' | 'country' | 'boolean' | 'currency';

export const propertyKindsBigcapital = {
  customerType: 'customerType',
  displayName: 'required',
  salutation: 'text',
  firstName: 'text',
  lastName: 'text',
  companyName: 'text',
  email: 'email',
  workPhone: 'text',
  personalPhone: 'text',
  website: 'text',
  note: 'text',
  active: 'boolean',
  billingAddress1: 'text',
  billingAddress2: 'text',
  billingAddressCity: 'text',
  billingAddressState: 'text',
  billingAddressCountry: 'country',
  billingAddressZipcode: 'text',
  billingAddressEmail: 'email',
  billingAddressPhone: 'text',
  shippingAddress1: 'text',
  shippingAddress2: 'text',
  shippingAddressCity: 'text',
  shippingAddressState: 'text',
  shippingAddressCountry: 'country',
  shippingAddressZipcode: 'text',
  shippingAddressEmail: 'email',
  shippingAddressPhone: 'text',
  currencyCode: 'currency',
} as const satisfies Record<keyof CreateRequestBigcapital, PropertyKind>;
