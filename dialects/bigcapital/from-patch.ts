import type { CustomerPatch } from '../../schemas/index.ts';
import type { Translation } from '../../src/contract/dialect.ts';
import { fromPatchOf } from '../shared/lens.ts';
import { keepAccepted } from '../shared/translate-guard.ts';
import { fieldsBigcapital, flatPropertiesBigcapital, requiredBigcapital } from './fields.ts';
import { title } from './hooks.ts';
import { UpdateRequestBigcapital } from './request.ts';

// Canonical patch -> Bigcapital PUT body, from the field table (fields.ts). Every clear is sent as
// null: Bigcapital also reads "" as a clear, but refuses "" for an email, so one form serves every
// field.

const fromTable = fromPatchOf(fieldsBigcapital);

/** The canonical field behind each property, for loss reports: `address.city` for billingAddressCity. */
const origins = new Map<string, string>([
  ...Object.entries(fieldsBigcapital).flatMap(([wire, m]) => (m.field === null ? [] : [[wire, m.field] as const])),
  ...flatPropertiesBigcapital.map(([name, path]) => [name, path] as const),
]);

/** Canonical patch -> Bigcapital PUT body (only what Bigcapital writes; the required properties are reported when missing). */
export function fromPatch(patch: CustomerPatch): Translation & { body: Record<string, unknown> } {
  const { body, losses: tableLosses } = fromTable(patch);
  const losses = [...tableLosses];
  const accepted = keepAccepted(UpdateRequestBigcapital.entries, body, { title, fieldOf: (p) => origins.get(p) ?? p }, losses);
  for (const [property, { message }] of Object.entries(requiredBigcapital)) {
    if (accepted[property] === undefined) losses.push({ field: property, kind: 'required', message: `${title} ${message}` });
  }
  return { body: accepted, losses };
}
