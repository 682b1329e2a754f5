import * as v from 'valibot';
import { currencyCodes } from '../../schemas/index.ts';

// Seed 002's response (the Customer), as a check on what we render. The first six properties are
// required in the seed; the others may be null.

const nullableString = v.nullable(v.string());

const AddressResponseMeteroid = v.strictObject({
  city: nullableString,
  country: nullableString,
  line1: nullableString,
  line2: nullableString,
  state: nullableString,
  zip_code: nullableString,
});

export const CustomerResponseMeteroid = v.object({
  currency: v.picklist(currencyCodes),
  custom_taxes: v.array(v.strictObject({ name: v.string(), rate: v.string(), tax_code: v.string() })),
  id: v.pipe(v.string(), v.startsWith('cus_')),
  invoicing_emails: v.array(v.string()),
  invoicing_entity_id: v.string(),
  name: v.string(),
  alias: nullableString,
  billing_address: v.nullable(AddressResponseMeteroid),
  billing_email: nullableString,
  phone: nullableString,
  shipping_address: v.nullable(v.strictObject({ same_as_billing: v.boolean(), address: v.nullable(AddressResponseMeteroid) })),
  vat_number: nullableString,
  // Beyond the seed: what the body's is_tax_exempt set.
  is_tax_exempt: v.boolean(),
});
