import * as v from 'valibot';
import { currencyCodes, isCountryCode, isEmail, limits } from '../../schemas/index.ts';

// Seed 002: the update body. Meteroid's rules: an absent or null field is unchanged (nothing can be
// cleared), "" is stored, unknown fields are ignored (plain objects strip them).

/** Absent or null: both leave the field as it is. */
const keep = <T extends v.GenericSchema>(schema: T) => v.optional(v.nullable(schema));

const text = v.pipe(v.string(), v.maxLength(limits.text));

// valibot's object() takes an array as an object with no keys; serde (Meteroid) refuses it.
const notArray = v.custom<Record<string, unknown>>(
  (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
  'expected a JSON object',
);
const jsonObject = <T extends v.ObjectEntries>(entries: T) => v.pipe(notArray, v.object(entries));

export const CurrencyParamMeteroid = v.picklist(
  currencyCodes,
  (issue) => `unknown variant '${String(issue.input)}', expected an ISO 4217 code such as "EUR"`,
);

const CountryParam = v.pipe(
  v.string(),
  v.check(isCountryCode, (issue) => `'${String(issue.input)}' is not an ISO 3166-1 alpha-2 country code`),
  v.toUpperCase(),
);

export const AddressParamMeteroid = jsonObject({
  line1: keep(text),
  line2: keep(text),
  city: keep(text),
  country: keep(CountryParam),
  state: keep(text),
  zip_code: keep(text),
});
export type AddressParamMeteroid = v.InferOutput<typeof AddressParamMeteroid>;

export const ShippingParamMeteroid = jsonObject({
  // Required, as in Meteroid (`same_as_billing: bool`): without it the intent is unknown.
  same_as_billing: v.boolean(),
  address: keep(AddressParamMeteroid),
});
export type ShippingParamMeteroid = v.InferOutput<typeof ShippingParamMeteroid>;

export const CustomTaxParamMeteroid = jsonObject({
  name: text,
  // Meteroid's rate is a decimal sent as a string ("0.2", "20"): keep it exact, never a float.
  rate: v.pipe(v.string(), v.regex(/^\d{1,12}(\.\d{1,12})?$/, 'rate must be a non-negative decimal number as a string')),
  tax_code: text,
});

/** Each update field's schema: translation checks a value against it before sending it. */
export const updateEntries = {
  // An alias names the customer in paths: it must be non-empty and fit the per-tenant index.
  alias: keep(v.pipe(v.string(), v.minLength(1, 'alias must not be empty'), v.maxLength(255))),
  // Seed 002 types name and phone as plain strings (Rust `String` in Meteroid's REST models).
  name: keep(v.string()),
  billing_email: keep(v.pipe(v.string(), v.maxLength(limits.email), v.check(isEmail, 'billing_email must be an email address'))),
  invoicing_emails: keep(v.array(v.pipe(v.string(), v.maxLength(512)))),
  phone: keep(v.string()),
  currency: keep(CurrencyParamMeteroid),
  billing_address: keep(AddressParamMeteroid),
  shipping_address: keep(ShippingParamMeteroid),
  invoicing_entity_id: keep(v.string()),
  custom_taxes: keep(v.array(CustomTaxParamMeteroid)),
  is_tax_exempt: keep(v.boolean()),
  vat_number: keep(v.string()),
};

export const UpdateRequestMeteroid = jsonObject(updateEntries);
export type UpdateRequestMeteroid = v.InferOutput<typeof UpdateRequestMeteroid>;

/** Create: as Meteroid, `name` and `currency` are required; the rest as on update. */
export const CreateRequestMeteroid = jsonObject({
  ...updateEntries,
  name: v.string(),
  currency: CurrencyParamMeteroid,
});
export type CreateRequestMeteroid = v.InferOutput<typeof CreateRequestMeteroid>;
