import {
  type CustomerFields,
  type CustomerPatch,
  clear,
  type FieldName,
  fieldDefaults,
  fieldNames,
  type FieldOp,
  merge,
  set,
} from '../../schemas/index.ts';

// What a delivery sends: the absolute values the changed fields have at that version, never the
// change itself, so that sending it twice (at-least-once delivery) leaves the upstream as once.

interface RecordedChange {
  readonly field: FieldName;
  readonly before?: unknown;
  readonly after: unknown;
}

type Map = Record<string, unknown>;

/**
 * The metadata keys a recorded change removed. The history records only the keys that changed,
 * a removed one as null (rows written before that held whole maps: a key of `before` missing
 * from `after` was removed); both are read.
 */
function removedKeysOf(change: { readonly before?: unknown; readonly after: unknown }): string[] {
  const before = (change.before ?? {}) as Map;
  const after = (change.after ?? {}) as Map;
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => !Object.hasOwn(after, key) || after[key] === null);
}

/** The metadata keys recorded changes name (changed-keys rows; a whole-map row names all its keys). */
export function changedMetadataKeys(changes: readonly RecordedChange[]): string[] {
  const keys = changes
    .filter((c) => c.field === 'metadata')
    .flatMap((c) => [...Object.keys((c.before ?? {}) as Map), ...Object.keys((c.after ?? {}) as Map)]);
  return [...new Set(keys)];
}

const isDefault = (name: FieldName, value: unknown) => JSON.stringify(value) === JSON.stringify(fieldDefaults[name]);

/**
 * A field whose default is no value (null, [], {}): there the default is sent as a clear. Where it
 * is a value (customer_type "business", currency "USD", tax_exempt "none") it is sent as that
 * value: a clear of it is a change some providers' APIs have no form for (Bigcapital's
 * customerType, Meteroid's currency), so a change back to it was refused or left out.
 */
const noValueDefault = (name: FieldName) => {
  const value: unknown = fieldDefaults[name];
  return value === null || (typeof value === 'object' && Object.keys(value as object).length === 0);
};

/**
 * The fields before a recorded change, from the fields after it: each changed field back to its
 * `before` (metadata: each key it names back to its old value, or gone where that was null or
 * absent, which reads both the changed-keys rows and the older whole-map ones).
 */
export function undoChanges(fields: CustomerFields, changes: readonly RecordedChange[]): CustomerFields {
  const out: Record<string, unknown> = { ...fields };
  for (const change of changes) {
    if (change.field !== 'metadata') {
      out[change.field] = change.before;
      continue;
    }
    const before = (change.before ?? {}) as Map;
    const metadata: Map = { ...(out.metadata as Map) };
    for (const key of new Set([...Object.keys(before), ...Object.keys((change.after ?? {}) as Map)])) {
      if (Object.hasOwn(before, key) && before[key] !== null) metadata[key] = before[key];
      else delete metadata[key];
    }
    out.metadata = metadata;
  }
  return out as CustomerFields;
}

/**
 * The patch that brings any copy to `fields` on the named fields. Metadata goes key by key (the
 * keys set, the keys the version removed cleared), so dialects that only merge metadata can carry
 * it; everything else is set whole or cleared.
 */
export function absolutePatch(fields: CustomerFields, changed: readonly FieldName[], removedKeys: readonly string[] = []): CustomerPatch {
  const patch: Record<string, unknown> = {};
  for (const name of changed) {
    const value = fields[name];
    if (name === 'metadata') {
      const ops: Record<string, FieldOp<unknown>> = {};
      for (const key of removedKeys) ops[key] = clear;
      for (const [key, v] of Object.entries(fields.metadata)) ops[key] = set(v);
      patch.metadata = Object.keys(ops).length > 0 ? merge(ops) : clear;
      continue;
    }
    patch[name] = isDefault(name, value) && noValueDefault(name) ? clear : set(value);
  }
  return patch as CustomerPatch;
}

/** Fields a create must send: every one that is not at its default. */
export const setFields = (fields: CustomerFields): FieldName[] => fieldNames.filter((name) => !isDefault(name, fields[name]));

/** Metadata keys a change removed. */
export function removedMetadataKeys(
  changes: readonly { readonly field: FieldName; readonly before: unknown; readonly after: unknown }[],
): string[] {
  const change = changes.find((c) => c.field === 'metadata');
  return change ? removedKeysOf(change) : [];
}
