import { type CustomerFields, type FieldName, fieldNames } from '../../schemas/index.ts';
import { absolutePatch, changedMetadataKeys, removedMetadataKeys, setFields, undoChanges } from '../core/absolute-patch.ts';
import { rowToCustomer } from '../core/customer-row.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import type { DeliveryRow, Store } from '../store/index.ts';
import { dialectOf } from '../upstream/client.ts';
import { asCarried, carriedFields } from '../upstream/fidelity.ts';
import { changesAfter, givenEmpty, judgedOnLocal, lastGiven, type VersionChanges } from './last-given.ts';
import type { DeliveryWork, ReplicaTarget } from './types.ts';

// What one delivery of the outbox carries to its upstream (src/outbox/dispatcher.ts sends it).

// A resync's token is in its key: the version it sends may have been delivered before under the
// plain key, and a provider would answer that key with the first delivery's reply, changing nothing.
const idempotencyKeyOf = (row: Pick<DeliveryRow, 'upstream_id' | 'customer_id' | 'version' | 'resync'>): string =>
  `custgate-${row.upstream_id}-${row.customer_id}-v${row.version}${row.resync ? `-resync-${row.resync}` : ''}`;

/**
 * A delivery is built from the customer as it is now, not by replaying its history: the
 * absolute values, as the upstream carries them (src/upstream/fidelity.ts), of every field
 * changed since the upstream's last delivered version, so a later version also carries what a
 * dead earlier one did not (and supersedes it: Store.outbox.due does not wait for dead ones).
 * Where that history was purged (event retention), every field goes; so it does for a resync
 * (src/outbox/resync.ts), which sends the whole local state over what the provider was edited to.
 */
export async function deliveryWork(
  store: Store,
  dialects: readonly AnyDialect[],
  row: DeliveryRow,
  upstream: ReplicaTarget,
  since: number,
): Promise<DeliveryWork | undefined> {
  const found = await store.findCustomer(row.tenant_id, 'uuid', row.customer_id);
  if (!found) return undefined;
  const customer = rowToCustomer(found);
  const fields = Object.fromEntries(fieldNames.map((f) => [f, customer[f]])) as CustomerFields;
  const create = row.action === 'create';
  let changed: FieldName[];
  let removed: string[] = [];
  let metadataKeys: string[] | undefined;
  let before: CustomerFields | undefined;
  let events: VersionChanges[] = [];
  if (create) {
    changed = setFields(fields);
  } else if (row.resync) {
    // What the provider holds is not what it was given (it was edited there): nothing of the
    // history tells it, so every field goes, absolute, and no member clear is judged on `before`.
    changed = fieldNames;
  } else {
    events = await changesAfter(store, row, since);
    const complete = events.length > 0 && events[0]?.version === since + 1 && events.at(-1)?.version === customer.version;
    changed = complete ? [...new Set(events.flatMap((e) => e.changes.map((c) => c.field)))] : fieldNames;
    removed = events.flatMap((e) => removedMetadataKeys(e.changes)).filter((key) => !Object.hasOwn(fields.metadata, key));
    if (complete) metadataKeys = changedMetadataKeys(events.flatMap((e) => e.changes));
    // What the upstream was last given: only after a delivery (a link made by a proxy write or an
    // import holds the provider's own values, which the local history does not tell).
    if (complete && since > 0) before = events.reduceRight((at, e) => undoChanges(at, e.changes), fields);
  }
  const dialect = dialectOf(dialects, upstream.dialect);
  const patch = absolutePatch(asCarried(dialect, fields), carriedFields(dialect, changed, fields), [...new Set(removed)]);
  // A member clear judged against the local fields as nothing to clear (no contact email) may yet
  // be a loss: an earlier delivery that left its clear out kept the provider's value; and a "" sent
  // before may be held as none there (last-given.ts).
  if (before && (judgedOnLocal(dialect, patch, { ...customer, ...before }) || givenEmpty(dialect, fields, changed, before))) {
    before = await lastGiven(store, dialect, row, customer, fields, since, events);
  }
  return {
    tenantId: row.tenant_id,
    upstream,
    customerId: row.customer_id,
    version: Number(row.version),
    action: row.action === 'delete' ? 'delete' : create ? 'create' : 'update',
    attempt: row.attempts,
    idempotencyKey: idempotencyKeyOf(row),
    ...(row.via !== null ? { via: row.via } : {}),
    ...(row.resync ? { resync: true as const } : {}),
    fields,
    customer,
    changed,
    ...(metadataKeys ? { metadataKeys } : {}),
    ...(before ? { before } : {}),
    patch,
  };
}

/**
 * A resync's work once the provider's copy is read (`there`, the local fields with what the
 * provider shows put over them): what it holds is the `before` every left-out field is judged
 * against (a clear with no form is a loss only where it holds a value), the fields it shows at the
 * local value need not go, and the metadata keys it holds that the local customer does not are
 * cleared, so the whole map is the local one.
 */
export function resyncOver(dialects: readonly AnyDialect[], work: DeliveryWork, there: Partial<CustomerFields>): DeliveryWork {
  const before = { ...work.fields, ...there } as CustomerFields;
  const removed = Object.keys(before.metadata ?? {}).filter((key) => !Object.hasOwn(work.fields.metadata, key));
  // A field the provider shows at the local value is in no need of sending; one it does not show
  // (nothing tells what it holds) is sent. Nothing differing at all: the whole state, as unread.
  const differing = work.changed.filter(
    (f) => !(f in there) || JSON.stringify(there[f]) !== JSON.stringify(work.fields[f]) || (f === 'metadata' && removed.length > 0),
  );
  const changed = differing.length > 0 ? differing : work.changed;
  const dialect = dialectOf(dialects, work.upstream.dialect);
  const patch = absolutePatch(asCarried(dialect, work.fields), carriedFields(dialect, changed, work.fields), removed);
  return { ...work, before, changed, patch };
}
