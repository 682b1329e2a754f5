import { type Customer, type CustomerFields, type CustomerPatch, type FieldName, fieldNames } from '../../schemas/index.ts';
import { absolutePatch, undoChanges } from '../core/absolute-patch.ts';
import type { FieldChange } from '../core/apply-patch.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import type { DeliveryRow, Store } from '../store/index.ts';
import { emptiedPaths, valueAt } from '../upstream/empty-text.ts';
import { asCarried, carriedFields } from '../upstream/fidelity.ts';

// What a mirror's provider holds where the local history alone tells it wrong. A member its API
// cannot clear (Bigcapital's address contact email: dialects/bigcapital/fields.ts,
// noClearFormBigcapital): a delivery that left the clear out kept the provider's value, and every
// later delivery was judged against a local customer without it (src/outbox/left-out.ts). A ""
// member it reads as none: the provider holds none where the local customer holds "".

/** More delivered rows than this for one customer: the walk is not made (judged on the change alone). */
const deliveredCap = 1000;

/** One version of a customer's history: the changes that made it. */
export interface VersionChanges {
  readonly version: number;
  readonly changes: FieldChange[];
}

/** A customer's history after `after` (up to `through`), oldest first, its changes parsed. */
export async function changesAfter(
  store: Store,
  row: Pick<DeliveryRow, 'tenant_id' | 'customer_id'>,
  after: number,
  through?: number,
): Promise<VersionChanges[]> {
  const rows = await store.eventsAfter(row.tenant_id, row.customer_id, after, through);
  return rows.map((e) => ({ version: Number(e.version), changes: JSON.parse(e.changes) as FieldChange[] }));
}

/**
 * The fields the upstream was last given, replayed delivery by delivery from the customer's first
 * delivered version: each delivery gives the local fields of its version, except the members its
 * client half declared it cannot carry against what the provider held (`cannotCarry`), which keep
 * the provider's value, and each "" as the provider holds it (`asHeld`). `since` is the last
 * delivered version, `recent` the history after it (the delivery read it: only what came before
 * is read here). Undefined where the history does not reach back (event retention, a customer with
 * very many deliveries): then any value may be there.
 */
export async function lastGiven(
  store: Store,
  dialect: AnyDialect,
  row: Pick<DeliveryRow, 'tenant_id' | 'upstream_id' | 'customer_id'>,
  customer: Customer,
  fields: CustomerFields,
  since: number,
  recent: readonly VersionChanges[],
): Promise<CustomerFields | undefined> {
  const version = customer.version;
  const filter = { tenantId: row.tenant_id, upstreamId: row.upstream_id, customerId: row.customer_id, limit: deliveredCap };
  const rows = await store.outbox.list({ ...filter, states: ['delivered'] });
  if (rows.length >= deliveredCap) return undefined;
  const delivered = [...new Set(rows.map((r) => Number(r.version)).filter((v) => v <= since))].sort((a, b) => a - b);
  const first = delivered[0];
  if (first === undefined) return undefined;
  const events = [...(first < since ? await changesAfter(store, row, first, since) : []), ...recent];
  if (events.length !== version - first || events.some((e, i) => e.version !== first + 1 + i)) return undefined;
  // The local fields at each version from the first delivered one, undone from the current ones.
  const at: CustomerFields[] = [fields];
  for (const e of [...events].reverse()) at.unshift(undoChanges(at[0] ?? fields, e.changes));
  const local = (v: number) => at[v - first] ?? fields;
  let given = asHeld(dialect, local(first), undefined, fieldNames);
  let previous = first;
  for (const next of delivered.slice(1)) {
    const changed = [
      ...new Set(events.filter((e) => e.version > previous && e.version <= next).flatMap((e) => e.changes.map((c) => c.field))),
    ];
    const fieldsThen = local(next);
    const patch = absolutePatch(asCarried(dialect, fieldsThen), carriedFields(dialect, changed, fieldsThen));
    const kept = (dialect.client.cannotCarry?.({ patch, current: { ...customer, ...given } }) ?? []).filter((path) => path.includes('.'));
    const sent = kept.reduce((out, path) => withMember(out, path.split('.'), valueAt(given, path.split('.'))), fieldsThen);
    given = asHeld(dialect, sent, given, changed);
    previous = next;
  }
  return given;
}

/**
 * Does a delivery's patch ask a member clear its upstream judges, against the local fields it was
 * last given, as nothing to clear? Only then can a value an earlier delivery kept there be missed.
 */
export function judgedOnLocal(dialect: AnyDialect, patch: CustomerPatch, before: Customer): boolean {
  const alone = dialect.client.cannotCarry?.({ patch }) ?? [];
  if (!alone.some((path) => path.includes('.'))) return false;
  const known = new Set(dialect.client.cannotCarry?.({ patch, current: before }) ?? []);
  return alone.some((path) => path.includes('.') && !known.has(path));
}

/**
 * A "" the delivery sent as the provider holds it: "" where its form shows one and it held "" there
 * already, else none (a Stripe-like form has no "", and Zenskar and Bigcapital read a "" sent onto
 * another value, none or nothing at a create too, as none: custgate's own halves of them do).
 */
function asHeld(
  dialect: AnyDialect,
  sent: CustomerFields,
  held: CustomerFields | undefined,
  changed: readonly FieldName[],
): CustomerFields {
  const { carried, paths } = emptiedBy(dialect, sent, changed);
  return paths.reduce(
    (out, path) => (valueAt(carried, path) === '' && held !== undefined && valueAt(held, path) === '' ? out : withMember(out, path, null)),
    sent,
  );
}

/**
 * Is the delivery judged against a "" the provider was last given (a later change of another
 * member of the address sends it again)? Whether the provider holds it or none is in the history.
 */
export function givenEmpty(dialect: AnyDialect, fields: CustomerFields, changed: readonly FieldName[], before: CustomerFields): boolean {
  return emptiedBy(dialect, fields, changed).paths.some((path) => valueAt(before, path) === '');
}

/**
 * The "" of `sent` a delivery of `changed` may leave the provider without (emptiedPaths, as of a
 * change), and the provider's form of the fields they were judged against (asCarried).
 */
function emptiedBy(dialect: AnyDialect, sent: CustomerFields, changed: readonly FieldName[]) {
  const carried = asCarried(dialect, sent);
  return { carried, paths: emptiedPaths(dialect, sent, carriedFields(dialect, changed, sent), carried, true) };
}

function withMember(fields: CustomerFields, path: readonly string[], value: unknown): CustomerFields {
  const put = (node: unknown, [key, ...rest]: readonly string[]): unknown => {
    if (key === undefined) return value;
    const object = node !== null && typeof node === 'object' ? (node as Record<string, unknown>) : {};
    return { ...object, [key]: put(object[key], rest) };
  };
  return put(fields, path) as CustomerFields;
}
