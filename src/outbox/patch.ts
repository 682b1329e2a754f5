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
  readonly after: unknown;
}

const isDefault = (name: FieldName, value: unknown) => JSON.stringify(value) === JSON.stringify(fieldDefaults[name]);

/** The fields as of a version, from the change history up to it (each change holds the whole field). */
export function fieldsAt(history: readonly { readonly version: number; readonly changes: readonly RecordedChange[] }[], version: number): CustomerFields {
  const fields: Record<string, unknown> = { ...fieldDefaults };
  for (const event of history) {
    if (event.version > version) break;
    for (const change of event.changes) fields[change.field] = change.after;
  }
  return fields as CustomerFields;
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
    patch[name] = isDefault(name, value) ? clear : set(value);
  }
  return patch as CustomerPatch;
}

/** Fields a create must send: every one that is not at its default. */
export const setFields = (fields: CustomerFields): FieldName[] => fieldNames.filter((name) => !isDefault(name, fields[name]));

/** Metadata keys a change removed. */
export function removedMetadataKeys(changes: readonly { readonly field: FieldName; readonly before: unknown; readonly after: unknown }[]): string[] {
  const change = changes.find((c) => c.field === 'metadata');
  if (!change) return [];
  const before = (change.before ?? {}) as Record<string, unknown>;
  const after = (change.after ?? {}) as Record<string, unknown>;
  return Object.keys(before).filter((key) => !(key in after));
}
