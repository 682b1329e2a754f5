import * as v from 'valibot';
import { isCountryCode } from './country.ts';
import { type CurrencyCode, CurrencyCodeSchema } from './currency.ts';
import { isEmail, limits, maxChars } from './limits.ts';

// The canonical customer is a superset of the five providers' customers (docs/coverage.md): a dialect
// shows what it can, and an update through it never drops what it cannot show. Every field is
// always present in the stored form (null, [] or a default), so renderers need no existence checks.

const text = v.nullable(v.string());
const longText = v.nullable(v.pipe(v.string(), maxChars(limits.text)));

export const CountryCodeSchema = v.pipe(v.string(), v.check(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code'), v.toUpperCase());

export const AddressSchema = v.object({
  line1: longText,
  line2: longText,
  line3: longText,
  city: longText,
  state: longText,
  postal_code: longText,
  /** ISO-2; null where the country is unknown or was given as text naming no country. */
  country: v.nullable(CountryCodeSchema),
  /**
   * The country as a name-taking dialect (Bigcapital, Zenskar) was given it, where that is not the
   * name shown for the code anyway: "UK" (GB), "Turkey" (TR), or text naming no country known
   * ("Atlantis", country null). Shown back as given. Optional: addresses stored before it, and
   * addresses built by code-only dialects, have none; every write through apply-patch adds it.
   */
  country_name: v.optional(longText),
  /** Contact at this address (Bigcapital's billingAddressEmail/Phone, shippingAddressEmail/Phone). */
  email: text,
  phone: text,
});
export type Address = v.InferOutput<typeof AddressSchema>;

export const ShippingSchema = v.object({
  name: text,
  phone: text,
  /** Meteroid's flag: when true the billing address is the shipping address, and reads say so. */
  same_as_billing: v.boolean(),
  address: v.nullable(AddressSchema),
});
export type Shipping = v.InferOutput<typeof ShippingSchema>;

export const TaxExemptSchema = v.picklist(['none', 'exempt', 'reverse']);
export type TaxExempt = v.InferOutput<typeof TaxExemptSchema>;

/**
 * Free text: Bigcapital's edit-customer DTO takes any non-empty string (`@IsString() @IsNotEmpty()`,
 * packages/server/src/modules/Customers/dtos/EditCustomer.dto.ts in bigcapitalhq/bigcapital); its
 * own forms offer `business` and `individual`.
 */
export const CustomerTypeSchema = v.string();
export type CustomerType = v.InferOutput<typeof CustomerTypeSchema>;

export const TaxIdSchema = v.object({
  /** Kind of tax id: "VAT", "GST", "EIN", … (Zenskar's tax_code, Meteroid's vat_number is "VAT"). */
  type: text,
  value: text,
  country: v.nullable(CountryCodeSchema),
});
export type TaxId = v.InferOutput<typeof TaxIdSchema>;

export const CustomTaxSchema = v.object({
  name: v.string(),
  rate: v.string(),
  tax_code: text,
});
export type CustomTax = v.InferOutput<typeof CustomTaxSchema>;

export const ConnectorSchema = v.object({ name: text, reference_id: text });
export type Connector = v.InferOutput<typeof ConnectorSchema>;

export const MetadataSchema = v.record(v.string(), v.unknown());
export type Metadata = v.InferOutput<typeof MetadataSchema>;

/** The fields a patch may change: everything but identity, counters and timestamps. */
export const CustomerFieldsSchema = v.object({
  alias: text,
  external_id: v.nullable(v.pipe(v.string(), maxChars(255))),
  name: text,
  first_name: text,
  last_name: text,
  salutation: text,
  company_name: text,
  customer_type: CustomerTypeSchema,
  email: v.nullable(v.pipe(v.string(), v.maxLength(limits.email), v.check(isEmail, 'must be an email address'))),
  invoicing_emails: v.array(v.string()),
  phone: text,
  mobile_phone: text,
  website: text,
  description: longText,
  address: v.nullable(AddressSchema),
  shipping: v.nullable(ShippingSchema),
  currency: CurrencyCodeSchema,
  preferred_locales: v.array(v.string()),
  invoice_prefix: v.nullable(v.pipe(v.string(), v.regex(/^[A-Z0-9]{3,12}$/))),
  next_invoice_sequence: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1))),
  tax_exempt: TaxExemptSchema,
  tax_ids: v.array(TaxIdSchema),
  custom_taxes: v.array(CustomTaxSchema),
  metadata: MetadataSchema,
  invoicing_entity_id: text,
  business_entity_id: text,
  connector: v.nullable(ConnectorSchema),
  communications_enabled: v.boolean(),
  auto_charge_enabled: v.boolean(),
  active: v.boolean(),
});
export type CustomerFields = v.InferOutput<typeof CustomerFieldsSchema>;
export type FieldName = keyof CustomerFields;

/**
 * Where a provider always shows a value, the default lives here, so every dialect reads the same
 * thing and writing it back changes nothing (docs/seams.md): Bigcapital requires a customer type on
 * every customer, Meteroid a currency.
 */
export const defaultCustomerType: CustomerType = 'business';
export const defaultCurrency: CurrencyCode = 'USD';

/** What a customer is cleared back to, and what a new one starts with. */
export const fieldDefaults = {
  alias: null,
  external_id: null,
  name: null,
  first_name: null,
  last_name: null,
  salutation: null,
  company_name: null,
  customer_type: defaultCustomerType,
  email: null,
  invoicing_emails: [],
  phone: null,
  mobile_phone: null,
  website: null,
  description: null,
  address: null,
  shipping: null,
  currency: defaultCurrency,
  preferred_locales: [],
  invoice_prefix: null,
  next_invoice_sequence: null,
  tax_exempt: 'none',
  tax_ids: [],
  custom_taxes: [],
  metadata: {},
  invoicing_entity_id: null,
  business_entity_id: null,
  connector: null,
  communications_enabled: true,
  auto_charge_enabled: true,
  active: true,
} as const satisfies CustomerFields;

export const fieldNames = Object.keys(fieldDefaults) as FieldName[];

/** Read-only state: set by the gateway or by billing, never by an update body. */
export const CustomerStateSchema = v.object({
  livemode: v.boolean(),
  delinquent: v.boolean(),
  balance: v.number(),
  opening_balance: v.number(),
  opening_balance_at: text,
  opening_balance_exchange_rate: v.number(),
  opening_balance_branch_id: v.nullable(v.number()),
});
export type CustomerState = v.InferOutput<typeof CustomerStateSchema>;

export const stateDefaults = {
  livemode: false,
  delinquent: false,
  balance: 0,
  opening_balance: 0,
  opening_balance_at: null,
  opening_balance_exchange_rate: 1,
  opening_balance_branch_id: null,
} as const satisfies CustomerState;

/** Every identifier a customer is known by; each is unique within its tenant. */
export interface CustomerIds {
  /** Canonical UUID (Zenskar's `id`, also accepted raw by Meteroid). */
  readonly uuid: string;
  /** `cus_…` (Wooshpay, Connhex, Meteroid). */
  readonly public_id: string;
  /** Per-tenant sequence number (Bigcapital's numeric `id`). */
  readonly number: number;
}

export type Customer = CustomerIds &
  CustomerFields &
  CustomerState & {
    readonly version: number;
    /** ISO 8601 timestamps with milliseconds, UTC. */
    readonly created_at: string;
    readonly updated_at: string;
  };

/** The identifier kinds a path segment may be resolved as, in a dialect's own order. */
export type IdKind = 'uuid' | 'public_id' | 'number' | 'alias' | 'external_id';
