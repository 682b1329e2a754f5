import type * as v from 'valibot';
import type { FieldName } from '../../schemas/index.ts';
import type { IssuedCredentials } from './dialect.ts';

// Not part of the runtime contract: what each dialect folder's fixtures.ts gives the shared test
// suites (contract, cross-dialect, properties), the benchmark and the CLI's curl examples.

/**
 * Fixtures the shared suites drive every dialect with (contract suite, cross-dialect suite,
 * benchmark, README). Each body is in the dialect's wire form.
 */
export interface DialectFixtures {
  /** Headers that authenticate with the issued credentials. */
  auth(credentials: IssuedCredentials): Record<string, string>;
  /** Headers that look like this dialect's credentials but verify as nothing. */
  readonly badAuth: Record<string, string>;
  /** A valid create body. */
  readonly create: unknown;
  /**
   * A realistic update: several fields, an address, metadata where the dialect has it. It must
   * set `phone` to a non-empty value (the contract suite checks absent-vs-clear on it).
   */
  readonly update: unknown;
  /** An update that sets `name` (the field every dialect has) to the given value. */
  setName(name: string): unknown;
  /** An update the dialect refuses as invalid, and the field it names. */
  readonly invalid: { readonly body: unknown; readonly field: string };
  /** An update that clears `phone`, or undefined where the dialect cannot clear. */
  readonly clearPhone: unknown;
  /** Reads the name back out of a rendered response. */
  name(response: unknown): string | null | undefined;
  /** The path segment that names the customer a response shows. */
  idOf(response: unknown): string;
  /** The provider's response schema (seed): every required property with its type. */
  readonly response: v.GenericSchema;
  /** The path segment this dialect uses for a customer. */
  ref(ids: { readonly uuid: string; readonly public_id: string; readonly number: number }): string;
  /** Canonical fields the provider fills in when a customer has none (Meteroid's currency); default none. */
  readonly filledByProvider?: readonly FieldName[];
  /** Updates after a create as the provider's clients send them: edits, clears, metadata; default `[update]`. */
  readonly clientWrites?: readonly unknown[];
  /** Canonical paths (`shipping.address.country`) -> the parameter the dialect's error envelope names instead. */
  readonly paramNames?: Readonly<Record<string, string>>;
  /**
   * Members a client writes back under another name than the read shows them by (read name ->
   * update name; Bigcapital reads `…Postcode`, writes `…Zipcode`); default none.
   */
  readonly echoRenames?: Readonly<Record<string, string>>;
  /**
   * For a dialect with a provider document to judge bodies against (test/fixtures/seed-openapi/):
   * what the document's descriptions state beyond its types, and what the provider itself refuses.
   */
  readonly judge?: JudgeHints;
}

/**
 * A value a member's description states but its JSON Schema type does not, as plain data (the
 * suites derive generators from it): an ISO 3166-1 alpha-2 code, an email address, a value that
 * names one customer in a tenant, text matching a pattern, a whole number in a range, one of
 * some values, text within a length.
 */
export type ValueShape =
  | { readonly kind: 'country' }
  | { readonly kind: 'email' }
  | { readonly kind: 'unique'; readonly prefix: string }
  | { readonly kind: 'pattern'; readonly pattern: string }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'one-of'; readonly values: readonly (string | number)[] }
  | { readonly kind: 'text'; readonly maxLength: number };

export interface JudgeHints {
  /** Member name (`custom_taxes[]` for an array's items) -> the values it takes. */
  readonly values?: Readonly<Record<string, ValueShape>>;
  /** Parent member name -> members the provider requires though its document does not say so. */
  readonly required?: Readonly<Record<string, readonly string[]>>;
}
