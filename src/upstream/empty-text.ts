import { type CustomerFields, type CustomerPatch, type FieldName, merge, set } from '../../schemas/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';

// A "" is noise to a comparison (shadow-diff.ts reads "" and null as one), not to a client: where
// the local customer holds "" (Meteroid keeps the string it is given, an address's city too) the
// provider must hold "" as well, or the write is refused (proxy) or named (mirror). fidelity.ts
// and src/outbox/left-out.ts ask these, field by field and member by member.

/**
 * Of `fields`, the paths of the "" values (`phone`, `address.city`) the provider's form of them,
 * `carried`, does not hold as "" (it reads "" as none: Stripe's); with `changed` (a delivery of the
 * change that made them ""), also those it holds but reads as none where it holds another value.
 */
export function emptiedPaths(
  dialect: AnyDialect,
  after: CustomerFields,
  fields: readonly FieldName[],
  carried: CustomerFields,
  changed: boolean,
): string[][] {
  return fields.flatMap((f) =>
    emptyPaths(f, after[f]).filter((path) => valueAt(carried, path) !== '' || (changed && readsEmptyAsClear(dialect, path))),
  );
}

/**
 * The paths of a field's "" values: the field itself, or an address's members (`address.city`,
 * `shipping.address.city`, `shipping.phone`). Metadata has its own rule (a "" value is a key: the
 * mirror's unheldKeys, the proxy's exact check in fidelity.ts).
 */
export function emptyPaths(field: FieldName, value: unknown): string[][] {
  const walk = (node: unknown, path: string[]): string[][] =>
    node === ''
      ? [path]
      : node !== null && typeof node === 'object' && !Array.isArray(node)
        ? Object.entries(node).flatMap(([key, member]) => walk(member, [...path, key]))
        : [];
  return field === 'address' || field === 'shipping' ? walk(value, [field]) : value === '' ? [[field]] : [];
}

/** The value at a member path (`address.city`). */
export const valueAt = (fields: CustomerFields, path: readonly string[]): unknown =>
  path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
    fields,
  );

/**
 * Does the dialect read a "" sent for the member at `path` as a clear (its translation reports a ""
 * set there as lost)? Meteroid keeps it.
 */
function readsEmptyAsClear(dialect: AnyDialect, path: readonly string[]): boolean {
  const [field = '', ...members] = path;
  const op = members.reduceRight<unknown>((inner, key) => merge({ [key]: inner }), set(''));
  const named = path.join('.');
  return dialect.translation.fromPatch({ [field]: op } as CustomerPatch).losses.some((l) => l.field === named && l.kind === 'lossy');
}
