import * as v from 'valibot';

// Seed 004's CustomerResponseSchema (200), as a check on what we render: the required properties
// must be present with their types; the others may be absent, and are typed when present.

const nullableString = v.nullable(v.string());
const nullableObject = v.nullable(v.record(v.string(), v.unknown()));

const AddressResponseZenskar = v.nullable(
  v.object({
    line1: v.optional(nullableString),
    line2: v.optional(nullableString),
    line3: v.optional(nullableString),
    city: v.optional(nullableString),
    state: v.optional(nullableString),
    zipCode: v.optional(nullableString),
    country: v.optional(nullableString),
    country_code: v.optional(nullableString),
    validation_status: v.optional(nullableString),
    connector_validation: v.optional(nullableObject),
  }),
);

const TaxIdZenskar = v.object({
  country_code: v.optional(nullableString),
  tax_code: v.optional(nullableString),
  tax_id: v.optional(nullableString),
});

export const CustomerResponseZenskar = v.object({
  id: v.pipe(v.string(), v.uuid()),
  external_id: nullableString,
  customer_name: v.string(),
  custom_data: nullableObject,
  address: AddressResponseZenskar,
  ship_to_address: v.optional(AddressResponseZenskar),
  tax_info: v.optional(v.nullable(v.array(TaxIdZenskar))),
  email: v.optional(nullableString),
  custom_attributes: v.optional(nullableObject),
  phone_number: v.optional(nullableString),
  communications_enabled: v.optional(v.nullable(v.boolean())),
  auto_charge_enabled: v.optional(v.nullable(v.boolean())),
  business_entity_id: v.optional(v.nullable(v.pipe(v.string(), v.uuid()))),
});
