import {
  type Address,
  type AddressOp,
  type CustomerFields,
  type CustomerPatch,
  clearedValue,
  type FieldName,
  type FieldOp,
  fieldDefaults,
  type Metadata,
  metadataAfter,
  type Shipping,
  type ShippingOp,
  type TaxExempt,
  type TaxExemptOp,
  taxIdsAfter,
  toCountryCode,
} from '../../schemas/index.ts';

/** An address with every member unset: what a set or merge starts from. */
export const emptyAddress: Required<Address> = {
  line1: null,
  line2: null,
  line3: null,
  city: null,
  state: null,
  postal_code: null,
  country: null,
  country_name: null,
  email: null,
  phone: null,
};

const emptyShipping: Shipping = { name: null, phone: null, same_as_billing: false, address: null };

function field<T>(current: T, op: FieldOp<NonNullable<T>> | undefined, cleared: T): T {
  if (!op) return current;
  return op.op === 'set' ? op.value : clearedValue(op, current, cleared);
}

function applyAddress(current: Address | null, op: AddressOp | undefined): Address | null {
  if (!op) return current;
  if (op.op === 'clear') return null;
  if (op.op === 'set') return noAddressIfEmpty({ ...emptyAddress, ...op.value });
  const base: Required<Address> = { ...emptyAddress, ...current, country_name: current?.country_name ?? null };
  const next = { ...base };
  for (const key of Object.keys(op.value) as (keyof Address)[]) {
    next[key] = field<string | null>(base[key] ?? null, op.value[key] as FieldOp<string> | undefined, null);
  }
  // A code written without a name (Stripe, Meteroid) keeps the name given before only where it
  // still names that country, or where the code is the one stored: written back as read, even
  // beside a name naming another country (Zenskar's text with a code: the code is the country). A
  // cleared code keeps only a name that names no country known ("Atlantis"), which a code-only
  // dialect could neither show nor mean to clear.
  const name = base.country_name;
  if (op.value.country && !op.value.country_name && name) {
    const named = toCountryCode(name);
    const code = op.value.country.op === 'set' ? op.value.country.value : undefined;
    const keep = code !== undefined ? named === code || code === base.country : named === undefined;
    if (!keep) next.country_name = null;
  }
  return noAddressIfEmpty(next);
}

/** An address whose every member is empty is no address: one canonical form for "none". */
const noAddressIfEmpty = (address: Address): Address | null =>
  Object.values(address).every((value) => value === null || value === undefined) ? null : address;

/** Shipping with nothing in it is no shipping. */
const noShippingIfEmpty = (s: Shipping): Shipping | null =>
  s.name === null && s.phone === null && s.address === null && !s.same_as_billing ? null : s;

const sameAddress = (a: Address | null, b: Address | null): boolean =>
  JSON.stringify({ ...emptyAddress, ...a }) === JSON.stringify({ ...emptyAddress, ...b });

/**
 * The shipping address a merge leaves, and whether it is still the billing address. A same-as-billing
 * shipping address is the billing address as every dialect shows it, so a member edit applies to the
 * billing address (materialised), and one that changes nothing (writing back what was read, the
 * billing address left as it was) leaves "same as billing" as it is. Any other write of the address
 * ends it, unless the patch says: one that empties both addresses at once is a change of the
 * shipping address, and a billing address set later must not show up as it.
 */
function shippingAddress(
  base: Shipping,
  patch: NonNullable<Extract<ShippingOp, { op: 'merge' }>['value']>,
  billing: { readonly before: Address | null; readonly after: Address | null },
): Pick<Shipping, 'address' | 'same_as_billing'> {
  const flag = patch.same_as_billing;
  const sameAsBilling = field(base.same_as_billing, flag, false);
  if (!patch.address) return { address: base.address, same_as_billing: sameAsBilling };
  if (base.same_as_billing) {
    const materialised = applyAddress(billing.before, patch.address);
    if (!flag && sameAddress(materialised, billing.before) && sameAddress(materialised, billing.after))
      return { address: base.address, same_as_billing: true };
    return { address: materialised, same_as_billing: flag ? sameAsBilling : false };
  }
  return { address: applyAddress(base.address, patch.address), same_as_billing: flag ? sameAsBilling : false };
}

function applyShipping(
  current: Shipping | null,
  op: ShippingOp | undefined,
  billing: { readonly before: Address | null; readonly after: Address | null },
): Shipping | null {
  if (!op) return current;
  if (op.op === 'clear') return null;
  if (op.op === 'set') {
    const value = { ...emptyShipping, ...op.value };
    return noShippingIfEmpty({ ...value, address: value.address && noAddressIfEmpty({ ...emptyAddress, ...value.address }) });
  }
  const base = current ?? emptyShipping;
  const patch = op.value;
  const { address, same_as_billing } = shippingAddress(base, patch, billing);
  // Keys in emptyShipping's order: the change history compares stored JSON text.
  const next: Shipping = {
    name: field(base.name, patch.name, null),
    phone: field(base.phone, patch.phone, null),
    same_as_billing,
    address,
  };
  return noShippingIfEmpty(next);
}

function applyTaxExempt(current: TaxExempt, op: TaxExemptOp | undefined): TaxExempt {
  if (!op) return current;
  if (op.op === 'exempt') return current === 'none' ? 'exempt' : current;
  return op.op === 'set' ? op.value : fieldDefaults.tax_exempt;
}

const structured = new Set<FieldName>(['address', 'shipping', 'metadata', 'tax_ids', 'tax_exempt']);

/** The fields after a patch. Pure: the input is not changed. */
export function applyPatch(current: CustomerFields, patch: CustomerPatch): CustomerFields {
  const next: Record<string, unknown> = { ...current };
  for (const name of Object.keys(patch) as FieldName[]) {
    if (structured.has(name)) continue;
    const op = patch[name as keyof CustomerPatch] as FieldOp<unknown> | undefined;
    if (op) next[name] = op.op === 'set' ? op.value : clearedValue(op, current[name], fieldDefaults[name]);
  }
  const address = applyAddress(current.address, patch.address);
  next.address = address;
  next.shipping = applyShipping(current.shipping, patch.shipping, { before: current.address, after: address });
  next.tax_exempt = applyTaxExempt(current.tax_exempt, patch.tax_exempt);
  next.metadata = patch.metadata ? metadataAfter(current.metadata, patch.metadata) : current.metadata;
  next.tax_ids = patch.tax_ids ? taxIdsAfter(current.tax_ids, patch.tax_ids) : current.tax_ids;
  return next as CustomerFields;
}

export interface FieldChange {
  readonly field: FieldName;
  readonly before: unknown;
  readonly after: unknown;
}

/**
 * Metadata as the history records it: only the keys whose value changed (null where absent), so
 * one small change to a large map writes a small row.
 */
function metadataChange(before: Metadata, after: Metadata): FieldChange | undefined {
  const was: Record<string, unknown> = {};
  const now: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = Object.hasOwn(before, key) ? (before[key] ?? null) : null;
    const b = Object.hasOwn(after, key) ? (after[key] ?? null) : null;
    if (a === b || (typeof a === 'object' && JSON.stringify(a) === JSON.stringify(b))) continue;
    was[key] = a;
    now[key] = b;
  }
  return Object.keys(now).length === 0 ? undefined : { field: 'metadata', before: was, after: now };
}

/** Top-level fields whose value differs (metadata: its changed keys); what the change history records. */
export function diffFields(before: CustomerFields, after: CustomerFields): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const name of Object.keys(fieldDefaults) as FieldName[]) {
    // applyPatch keeps untouched fields by reference: the same value needs no serialising.
    if (before[name] === after[name]) continue;
    if (name === 'metadata') {
      const change = metadataChange(before.metadata, after.metadata);
      if (change) changes.push(change);
      continue;
    }
    if (JSON.stringify(before[name]) !== JSON.stringify(after[name])) {
      changes.push({ field: name, before: before[name], after: after[name] });
    }
  }
  return changes;
}
