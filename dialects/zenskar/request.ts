import * as v from 'valibot';
import { isCountryCode } from '../../schemas/index.ts';
import { emailError, pydantic, valueError } from './errors.ts';

// Seed 004's UpdateCustomerRequestSchema. Every property is optional and nullable: absent leaves a
// field unchanged, null clears it. Unknown properties are ignored (v.object), as pydantic does.
// Messages are pydantic's so errors.ts can name each issue's type.

const isRecord = (input: unknown): input is Record<string, unknown> => typeof input === 'object' && input !== null && !Array.isArray(input);

/** A pydantic model: a JSON object (not an array) with these properties. */
const model = <E extends v.ObjectEntries>(entries: E) =>
  v.pipe(v.custom<Record<string, unknown>>(isRecord, pydantic.model_attributes_type), v.object(entries, pydantic.model_attributes_type));

const nullable = <S extends v.GenericSchema>(schema: S) => v.optional(v.nullable(schema));

const text = nullable(v.string(pydantic.string_type));

/** "", or only spaces, is no country (clients that send every member send that for "none"). */
export const isBlank = (value: string | null | undefined): boolean => value == null || value.trim() === '';

/**
 * Zenskar types a country name as a free string: a recognised name or alias maps to its code, any
 * other text is kept and shown as given (schemas/country.ts).
 */
const CountryNameParam = v.string(pydantic.string_type);

const CountryCodeParam = v.pipe(
  v.string(pydantic.string_type),
  v.check(
    (code) => isBlank(code) || isCountryCode(code),
    (issue) => valueError(`'${String(issue.input)}' is not a two-letter ISO 3166-1 country code (e.g. 'US', 'GB')`),
  ),
);

export const AddressParamZenskar = model({
  line1: text,
  line2: text,
  line3: text,
  city: text,
  state: text,
  zipCode: text,
  country: nullable(CountryNameParam),
  country_code: nullable(CountryCodeParam),
  // Set by address validation in Zenskar; accepted and not stored.
  validation_status: text,
  connector_validation: nullable(v.record(v.string(), v.unknown(), pydantic.dict_type)),
});
export type AddressParamZenskar = v.InferOutput<typeof AddressParamZenskar>;

export const TaxIdParamZenskar = model({
  country_code: nullable(CountryCodeParam),
  tax_code: text,
  tax_id: text,
});
export type TaxIdParamZenskar = v.InferOutput<typeof TaxIdParamZenskar>;

export const ConnectorParamZenskar = model({ name: text, reference_id: text });

const CustomDataParam = v.pipe(
  v.custom<Record<string, unknown>>(isRecord, pydantic.dict_type),
  v.record(v.string(), v.unknown(), pydantic.dict_type),
);

const entries = {
  external_id: nullable(v.pipe(v.string(pydantic.string_type), v.maxLength(255, pydantic.string_too_long))),
  // Seed 004 gives customer_name and phone_number no length limit (only external_id has one).
  customer_name: nullable(v.string(pydantic.string_type)),
  custom_data: nullable(CustomDataParam),
  address: nullable(AddressParamZenskar),
  ship_to_address: nullable(AddressParamZenskar),
  tax_info: nullable(v.array(TaxIdParamZenskar, pydantic.list_type)),
  phone_number: nullable(v.string(pydantic.string_type)),
  email: nullable(
    v.pipe(
      v.string(pydantic.string_type),
      v.email((issue) => emailError(issue.input)),
    ),
  ),
  connector: nullable(ConnectorParamZenskar),
  communications_enabled: nullable(v.boolean(pydantic.bool_type)),
  auto_charge_enabled: nullable(v.boolean(pydantic.bool_type)),
  business_entity_id: nullable(v.pipe(v.string(pydantic.uuid_type), v.uuid(pydantic.uuid_parsing), v.toLowerCase())),
};

export const UpdateRequestZenskar = model(entries);
export type UpdateRequestZenskar = v.InferOutput<typeof UpdateRequestZenskar>;

/** Create: the same properties; a customer is created with a name (the response requires one). */
export const CreateRequestZenskar = model({ ...entries, customer_name: v.string(pydantic.string_type) });
export type CreateRequestZenskar = v.InferOutput<typeof CreateRequestZenskar>;
