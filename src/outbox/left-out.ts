import type { Customer, CustomerFields, CustomerPatch, FieldName } from '../../schemas/index.ts';
import { fieldNames } from '../../schemas/index.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { applyPatch } from '../core/index.ts';
import { type GatewayError, isGatewayError } from '../contract/errors.ts';
import type { LinkRow } from '../store/index.ts';
import { requestFor, type Upstream, wholePatch } from '../upstream/client.ts';
import { asCarried, carriedFields, delivered, emptiedFields, heldEmpty, type Uncarried, uncarried } from '../upstream/fidelity.ts';
import { canonicalOf } from '../upstream/refusal.ts';
import type { DeliveryOutcome, DeliveryWork } from './types.ts';

// What one mirror delivery carries and what its failure means: the changes the upstream's API
// cannot make are left out and named (a mirror cannot refuse a committed write), and the
// provider's answer becomes a delivered, retry or dead outcome (upstream-port.ts sends it).

/**
 * A mirror cannot refuse the write (the local store is the system of record, and it committed):
 * what the upstream's client half declares it cannot carry (a clear Meteroid has no form for, a
 * shipping clear in Wooshpay's reference) is left out of the update rather than sent in a form
 * the provider would misread, and named so the delivery records it. The decision is made against
 * what the upstream was last given for a member (`given`: a clear with no form is a loss only
 * where it held a value, not for every address a Bigcapital mirror sends with no contact email),
 * else on the change alone: the upstream may still hold the value the local customer cleared.
 * A create needs none of this: leaving a member out is its clear.
 *
 * `local` is the customer the request is built with (src/upstream/client.ts `requestFor`). A
 * key-by-key change the client half names only for want of a customer to resolve it against
 * (Zenskar replaces custom_data whole) is carried: the request resolves it against `local`, and a
 * delivery's metadata names every key the local customer holds (src/core/absolute-patch.ts), so
 * what the provider is given is the local map, whatever it held.
 */
export function leaveOutUncarried(
  dialect: AnyDialect,
  patch: CustomerPatch,
  given?: Customer,
  local?: Customer,
  readThere = false,
): { patch: CustomerPatch; notCarried: string[] } {
  const alone = dialect.client.cannotCarry?.({ patch }) ?? [];
  const known = given && new Set(dialect.client.cannotCarry?.({ patch, current: given }) ?? []);
  const resolved = local && new Set(dialect.client.cannotCarry?.({ patch, current: local }) ?? []);
  const unresolved = (f: string) =>
    !resolved || resolved.has(f) || (patch as Record<string, { op?: string } | undefined>)[f]?.op !== 'merge';
  // A whole field as on the change alone: an earlier delivery may have left it out, and the
  // provider keep a value the local customer no longer had then (a Meteroid VAT number). Not where
  // `given` was read at the provider (a resync): it says what the provider holds.
  const declared = alone.filter((f) => (!known || (!readThere && !f.includes('.')) || known.has(f)) && unresolved(f));
  if (declared.length === 0) return { patch, notCarried: [] };
  const out: Record<string, unknown> = { ...patch };
  // A member path (address.line2) is left to the client half, which sends no form for it.
  for (const field of declared) if (!field.includes('.')) delete out[field];
  return { patch: out as CustomerPatch, notCarried: declared };
}

/**
 * What a delivery sends and what it names: `emptied` are the named fields sent as the provider's
 * form of a "", and `held` those of them it holds as "" (the rest went as none).
 */
export type Carried = { patch: CustomerPatch; notCarried: string[]; emptied: string[]; held: string[] };

/**
 * The delivery's record of what it did not carry. A field left out keeps the provider's value; a
 * "" the provider reads as none (a Meteroid phone "" into Stripe's phone) was sent as none, so the
 * provider's value went: the record says which is which.
 */
export function notCarriedNote(dialect: AnyDialect, { notCarried, emptied, held }: Omit<Carried, 'patch'>): string {
  const kept = notCarried.filter((f) => !emptied.includes(f));
  // A provider that shows "" holds one (Zenskar, Bigcapital): it keeps "" only where it held "".
  const none = emptied.filter((f) => !held.includes(f));
  const parts = [
    ...(kept.length > 0
      ? [`${kept.join(', ')} (the ${dialect.name} API has no way to make this change; the provider keeps its value)`]
      : []),
    ...(none.length > 0 ? [`${none.join(', ')} (the ${dialect.name} API holds no empty text; sent as none)`] : []),
    ...(held.length > 0
      ? [`${held.join(', ')} (sent as "", which the ${dialect.name} API reads as none where it holds another value)`]
      : []),
  ];
  return `not carried: ${parts.join('; ')}`;
}

/**
 * What the update would leave at another value than the local customer, read as the provider's
 * own API reads it (the proxy's check, src/upstream/fidelity.ts): a body it refuses (Bigcapital's
 * required displayName cleared) or a change it ignores (Bigcapital's currency). A mirror cannot
 * refuse the write, so those fields are left out of the delivery and named, as declared ones are.
 */
export async function leaveOutRefused(upstream: Upstream, link: LinkRow, work: DeliveryWork, current: Customer): Promise<Carried> {
  const declared = leaveOutUncarried(
    upstream.dialect,
    work.patch,
    work.before && { ...current, ...work.before },
    current,
    work.resync === true && work.before !== undefined,
  );
  let patch = declared.patch;
  const client = upstream.dialect.client;
  // A field the provider shows but its update takes no value for (Wooshpay's tax_exempt or
  // preferred_locales, Bigcapital's currency) is in no delivery: it keeps the provider's value,
  // which the delivery names rather than being delivered in silence.
  // A resync knows what the provider holds (work.before, read there): only a field it holds at
  // another value is kept from the local one.
  const differs = (f: FieldName) => !work.resync || !work.before || JSON.stringify(work.before[f]) !== JSON.stringify(work.fields[f]);
  const shownOnly = work.changed.filter((f) => client.reads.includes(f) && !client.sends.includes(f) && differs(f));
  // Only the keys this change touched: a "" key kept from before was named when it was written.
  const touchedKeys = work.metadataKeys && new Set(work.metadataKeys.map((key) => `metadata.${key}`));
  const keys = work.changed.includes('metadata')
    ? unheldKeys(upstream.dialect, work.fields).filter((path) => !touchedKeys || touchedKeys.has(path))
    : [];
  // A "" the provider reads as none (a Meteroid phone "" into Stripe's phone) is delivered in that
  // form, none, and named: the provider will not hold "". One it holds (Zenskar's phone_number) is
  // sent as "", and named too: this change made it "", and the provider held another value, which
  // its API reads "" as clearing.
  const shown = delivered(upstream.dialect, work.fields);
  const changed = carriedFields(upstream.dialect, work.changed, work.fields);
  const emptied = emptiedFields(upstream.dialect, shown, changed, true, work.before);
  const notCarried = [...new Set([...declared.notCarried, ...shownOnly, ...keys, ...emptied])];
  // Twice at most: leaving a field out cannot make another one refused, but a body refused as a
  // whole names no field and is sent as it is (the provider's answer then says why).
  for (let round = 0; round < 2; round++) {
    const touched = (Object.keys(patch) as FieldName[]).filter((f) => patch[f] !== undefined);
    const request = requestFor(upstream, link, { patch, current });
    const refused = await uncarried(upstream.dialect, 'update', request, { patch, current, after: work.fields, touched });
    const fields = new Set<FieldName>();
    for (const r of refused) {
      // A declared member (address.line2) is already left to the client half, which sends no form for it.
      if (declared.notCarried.includes(r.field)) continue;
      const field = canonicalField(upstream, r);
      if (field !== undefined && touched.includes(field)) fields.add(field);
    }
    if (fields.size === 0) break;
    const out: Record<string, unknown> = { ...patch };
    for (const f of fields) {
      delete out[f];
      if (!notCarried.includes(f)) notCarried.push(f);
    }
    patch = out as CustomerPatch;
  }
  // A "" left out after all (declared, or refused above) was not sent as none: the provider keeps it.
  const sent = emptied.filter((f) => Object.hasOwn(patch, f));
  return { patch, notCarried, emptied: sent, held: heldEmpty(shown, sent) };
}

/**
 * What a create would leave at another value than the local customer, read as the provider's own
 * API reads it (the proxy's check before a create): a field it shows but takes no value for (a
 * Connhex tax_exempt into Wooshpay). Leaving a field out of a create is its clear, so the create
 * goes as it is and these are named on the delivery, as an update's are. A value the provider
 * holds only in a nearer form (a number in Wooshpay's string metadata) is delivered in that form,
 * unnamed, as an update delivers it.
 */
export async function notHeldByCreate(upstream: Upstream, current: Customer, patch: CustomerPatch): Promise<Carried> {
  const request = requestFor(upstream, undefined, { patch, current });
  const after: CustomerFields = applyPatch(current, patch);
  const checked = { after, touched: fieldNames };
  const refused = await uncarried(upstream.dialect, 'create', request, { patch: wholePatch(after), ...checked });
  // The patch is already in the provider's form (a "" sent as none): the local fields tell it was "".
  const shown = delivered(upstream.dialect, current);
  const emptied = emptiedFields(upstream.dialect, shown, carriedFields(upstream.dialect, fieldNames, current), true);
  const notCarried = [
    ...new Set([...refused.flatMap((r) => canonicalField(upstream, r) ?? []), ...unheldKeys(upstream.dialect, after), ...emptied]),
  ];
  return { patch, notCarried, emptied, held: heldEmpty(shown, emptied) };
}

/**
 * The metadata keys the provider has no value for (a Zenskar custom_data value "" into Stripe's
 * metadata, where `metadata[k]=""` deletes the key: https://docs.stripe.com/api/metadata), as
 * member paths: the delivery sends every other key of the map and names these, rather than leaving
 * the whole map out or the key out in silence. A proxy refuses them (fidelity.ts, `uncarried`).
 */
function unheldKeys(dialect: AnyDialect, fields: CustomerFields): string[] {
  const coverage = dialect.translation.coverage.metadata;
  if (!coverage?.read || coverage.write == null) return [];
  const shown = asCarried(dialect, fields, true).metadata;
  return Object.keys(fields.metadata)
    .filter((key) => !Object.hasOwn(shown, key))
    .map((key) => `metadata.${key}`);
}

/** The canonical field an uncarried change is about, if it names one. */
function canonicalField(upstream: Upstream, r: Uncarried): FieldName | undefined {
  const top = r.field.split('.')[0] ?? '';
  return r.upstreamNames ? canonicalOf(upstream.dialect, top) : fieldNames.find((f) => f === top);
}

const retryable = new Set(['upstream_timeout', 'upstream_unavailable', 'bad_gateway', 'internal', 'rate_limited']);

export function outcomeOf(error: unknown, seen: { readonly retryAfter?: number; readonly loop?: boolean }): DeliveryOutcome {
  const message = error instanceof Error ? error.message : String(error);
  // 508: the upstream (another gateway) has already had this request (src/upstream/loop.ts); a retry goes round again.
  if (seen.loop) return { kind: 'rejected', error: `loop_detected: the upstream answered 508 Loop Detected (${message})` };
  const retryAfter = seen.retryAfter;
  if (!isGatewayError(error) || retryable.has(error.code)) {
    return { kind: 'retry', error: message, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) };
  }
  const fields = refusedFields(error);
  const named = fields.length > 0 ? ` [the provider refused: ${fields.join(', ')}]` : '';
  return { kind: 'rejected', error: `${error.code}: ${message}${named}` };
}

/**
 * The parameters a provider's refusal names (its error envelope, read by the client half: Zenskar's
 * `detail[].loc`, Stripe's `param`), in the provider's names: what a dead delivery shows, so the
 * operator knows which value to change (docs/migrating.md, "Dead deliveries").
 */
function refusedFields(error: GatewayError): string[] {
  const paths = (error.details.issues ?? []).map((issue) =>
    issue.path
      .filter((p) => p !== 'body')
      .map(String)
      .join('.'),
  );
  if (error.details.field !== undefined) paths.push(error.details.field);
  return [...new Set(paths.filter((p) => p !== ''))].slice(0, 10);
}
