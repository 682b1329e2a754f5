import type { FieldName } from '../../schemas/index.ts';

// What a dialect carries of the canonical customer (its coverage table, src/contract/dialect.ts's
// `translation.coverage`) and what a translation into it reports lost.

/** Canonical fields plus the identifiers and read-only state a coverage table speaks of. */
export type CoverageField =
  | FieldName
  | 'uuid'
  | 'public_id'
  | 'number'
  | 'livemode'
  | 'delinquent'
  | 'balance'
  | 'created_at'
  | 'updated_at';

/** How one dialect carries one canonical field (the generated coverage matrix reads these). */
export interface FieldCoverage {
  /** The provider's name for it: `address.city`, `billingAddressCity`, `metadata[key]`. */
  readonly as: string;
  readonly read: boolean;
  /** Whether an update can set it, clear it, and whether a map/object merges or replaces. */
  readonly write: { readonly set: boolean; readonly clear: boolean; readonly mode?: 'merge' | 'replace' } | null;
  /** What a user should know: lossy conversions, wire forms of clear, limits. */
  readonly note?: string;
  /**
   * The provider's path of each canonical member below the field it names otherwise: `postal_code`
   * -> `address.zipCode` (Zenskar), `address.postal_code` -> `shippingAddressZipcode` (Bigcapital).
   * Errors name a member by it, both ways (src/contract/field-path.ts).
   */
  readonly members?: Readonly<Record<string, string>>;
}

/** A field the dialect shows, sets and clears. */
export const readWrite = (as: string, note?: string) =>
  ({ as, read: true, write: { set: true, clear: true }, ...(note ? { note } : {}) }) as const satisfies FieldCoverage;

/** A field the dialect shows but no update of it can change. */
export const readOnly = (as: string, note?: string) =>
  ({ as, read: true, write: null, ...(note ? { note } : {}) }) as const satisfies FieldCoverage;

/** The canonical fields an update through a dialect can change: its coverage table's writable ones. */
export const writableFields = (coverage: Coverage): FieldName[] =>
  (Object.keys(coverage) as CoverageField[]).filter((f): f is FieldName => coverage[f]?.write != null && !identity.has(f));

const identity: ReadonlySet<CoverageField> = new Set([
  'uuid',
  'public_id',
  'number',
  'livemode',
  'delinquent',
  'balance',
  'created_at',
  'updated_at',
]);

/** Every canonical field, each either carried (how) or not (null): a missing field will not compile. */
export type Coverage = Readonly<Record<CoverageField, FieldCoverage | null>>;

/**
 * What a translation into a dialect could not carry faithfully: `unsupported` (the dialect has no
 * such field), `lossy` (carried, but converted with loss: ISO code -> country name, a tri-state ->
 * boolean), `inexpressible` (the field is there but the operation is not: clearing in Meteroid,
 * merging keys where the dialect replaces the whole map), `required` (the dialect needs a field
 * the source did not give).
 */
export type LossKind = 'unsupported' | 'lossy' | 'inexpressible' | 'required';

export interface Loss {
  /** Canonical field (or `field.member`), or for `required` the provider's field name. */
  readonly field: string;
  readonly kind: LossKind;
  readonly message: string;
}

export interface Translation {
  /** An update body in the dialect's wire form. */
  readonly body: Record<string, unknown>;
  /** Only the losses particular to this dialect; the gateway adds those its coverage implies. */
  readonly losses: readonly Loss[];
  /**
   * Fields carried exactly though the coverage table says the dialect replaces them whole: a
   * merge that names every member the replacement writes. The gateway then reports no loss.
   */
  readonly exact?: readonly FieldName[];
}
