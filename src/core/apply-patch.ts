import {
  type Address,
  type AddressOp,
  type CustomerFields,
  type CustomerPatch,
  type FieldName,
  type FieldOp,
  fieldDefaults,
  type Metadata,
  type MetadataOp,
  type Shipping,
  type ShippingOp,
  type TaxId,
  type TaxIdsOp,
} from '../../schemas/index.ts';

const emptyAddress: Address = {
  line1: null,
  line2: null,
  line3: null,
  city: null,
  state: null,
  postal_code: null,
  country: null,
  email: null,
  phone: null,
};

const emptyShipping: Shipping = { name: null, phone: null, same_as_billing: false, address: null };

function field<T>(current: T, op: FieldOp<NonNullable<T>> | undefined, cleared: T): T {
  if (!op) return current;
  return op.op === 'set' ? op.value : cleared;
}

function applyAddress(current: Address | null, op: AddressOp | undefined): Address | null {
  if (!op) return current;
  if (op.op === 'clear') return null;
  if (op.op === 'set') return { ...emptyAddress, ...op.value };
  const base = current ?? emptyAddress;
  const next = { ...base };
  for (const key of Object.keys(op.value) as (keyof Address)[]) {
    next[key] = field(base[key], op.value[key], null);
  }
  // An address whose every member was cleared is no address.
  return Object.values(next).every((value) => value === null) ? null : next;
}

function applyShipping(current: Shipping | null, op: ShippingOp | undefined): Shipping | null {
  if (!op) return current;
  if (op.op === 'clear') return null;
  if (op.op === 'set') return { ...emptyShipping, ...op.value };
  const base = current ?? emptyShipping;
  const patch = op.value;
  const next: Shipping = {
    name: field(base.name, patch.name, null),
    phone: field(base.phone, patch.phone, null),
    same_as_billing: field(base.same_as_billing, patch.same_as_billing, false),
    address: applyAddress(base.address, patch.address),
  };
  const empty = next.name === null && next.phone === null && next.address === null && !next.same_as_billing;
  return empty ? null : next;
}

function applyMetadata(current: Metadata, op: MetadataOp | undefined): Metadata {
  if (!op) return current;
  if (op.op === 'clear') return {};
  if (op.op === 'set') return { ...op.value };
  const next: Metadata = { ...current };
  for (const [key, keyOp] of Object.entries(op.value)) {
    if (keyOp.op === 'set') next[key] = keyOp.value;
    else delete next[key];
  }
  return next;
}

function applyTaxIds(current: TaxId[], op: TaxIdsOp | undefined): TaxId[] {
  if (!op) return current;
  if (op.op === 'clear') return [];
  if (op.op === 'set') return [...op.value];
  let next = [...current];
  for (const [type, typeOp] of Object.entries(op.value)) {
    const sameType = (t: TaxId) => t.type?.toUpperCase() === type.toUpperCase();
    // The replacement takes the place of the first entry it replaces, so the order others see holds.
    const at = next.findIndex(sameType);
    next = next.filter((t) => !sameType(t));
    if (typeOp.op === 'set') next.splice(at === -1 ? next.length : at, 0, typeOp.value);
  }
  return next;
}

const structured = new Set<FieldName>(['address', 'shipping', 'metadata', 'tax_ids']);

/** The fields after a patch. Pure: the input is not changed. */
export function applyPatch(current: CustomerFields, patch: CustomerPatch): CustomerFields {
  const next: Record<string, unknown> = { ...current };
  for (const name of Object.keys(patch) as FieldName[]) {
    if (structured.has(name)) continue;
    const op = patch[name as keyof CustomerPatch] as FieldOp<unknown> | undefined;
    if (op) next[name] = op.op === 'set' ? op.value : fieldDefaults[name];
  }
  next.address = applyAddress(current.address, patch.address);
  next.shipping = applyShipping(current.shipping, patch.shipping);
  next.metadata = applyMetadata(current.metadata, patch.metadata);
  next.tax_ids = applyTaxIds(current.tax_ids, patch.tax_ids);
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
