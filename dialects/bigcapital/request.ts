import * as v from 'valibot';
import { CurrencyCodeSchema, limits } from '../../schemas/index.ts';

// Seed 003: Bigcapital's edit-customer DTO. Absent is unchanged and null clears; unknown
// properties are dropped (v.object strips them), as Bigcapital's whitelisting validation pipe
// does, so read-only fields a client echoes back (balances, currencyCode, timestamps) are ignored.

/** class-validator's MaxLength message, after the property name. */
const maxLength = (n: number) => v.maxLength<string, number, string>(n, `must be shorter than or equal to ${n} characters`);

/** "" means "no value" in Bigcapital's forms, so it clears like null; a string sets. */
const text = v.optional(v.nullable(v.pipe(v.string(), maxLength(limits.text))));

/** "" is no email: a 400, as Bigcapital's IsEmail refuses it. */
const email = v.optional(v.nullable(v.pipe(v.string(), v.email(), v.maxLength(limits.email))));

/**
 * Bigcapital types a country as a free string: an English name ("United States"), an alias ("UK"),
 * an ISO code, or any other text, which is kept and shown as given (schemas/country.ts).
 */
const country = text;

const entries = {
  // Any non-empty string, as Bigcapital's DTO (@IsString() @IsNotEmpty(); schemas/customer.ts).
  customerType: v.pipe(v.string(), v.nonEmpty('customerType should not be empty')),
  // Shown as "" for a customer with no name, so "" is taken back (as no name) rather than refused.
  // No length limit: Bigcapital's DTO checks only @IsString().
  displayName: v.string(),
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
  // Responses say Postcode: a client writing back what it read sends that.
  billingAddressPostcode: text,
  billingAddressEmail: email,
  billingAddressPhone: text,
  shippingAddress1: text,
  shippingAddress2: text,
  shippingAddressCity: text,
  shippingAddressState: text,
  shippingAddressCountry: country,
  shippingAddressZipcode: text,
  shippingAddressPostcode: text,
  shippingAddressEmail: email,
  shippingAddressPhone: text,
};

export const UpdateRequestBigcapital = v.object(entries);
export type UpdateRequestBigcapital = v.InferOutput<typeof UpdateRequestBigcapital>;

/** Create also takes the customer's currency, which an edit cannot change. */
export const CreateRequestBigcapital = v.object({ ...entries, currencyCode: v.optional(v.nullable(CurrencyCodeSchema)) });
export type CreateRequestBigcapital = v.InferOutput<typeof CreateRequestBigcapital>;

/** What each property is, so a failed check is named as Bigcapital's validator names it. */
export type PropertyKind = 'required' | 'text' | 'email' | 'country' | 'boolean' | 'currency';

export const propertyKindsBigcapital = {
  customerType: 'required',
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
  billingAddressPostcode: 'text',
  billingAddressEmail: 'email',
  billingAddressPhone: 'text',
  shippingAddress1: 'text',
  shippingAddress2: 'text',
  shippingAddressCity: 'text',
  shippingAddressState: 'text',
  shippingAddressCountry: 'country',
  shippingAddressZipcode: 'text',
  shippingAddressPostcode: 'text',
  shippingAddressEmail: 'email',
  shippingAddressPhone: 'text',
  currencyCode: 'currency',
} as const satisfies Record<keyof CreateRequestBigcapital, PropertyKind>;
