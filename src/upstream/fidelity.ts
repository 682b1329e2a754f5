import * as v from 'valibot';
import {
  type Customer,
  type CustomerFields,
  type CustomerPatch,
  type FieldName,
  fieldDefaults,
  stateDefaults,
} from '../../schemas/index.ts';
import { applyPatch } from '../core/index.ts';
import type { AnyDialect, ClientRequest, ClientWrite, Issue } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { decodeBody } from '../contract/body.ts';
import { absolutePatch } from '../core/absolute-patch.ts';
import { shadowDiff } from '../core/shadow-diff.ts';
import { emptiedPaths, emptyPaths, valueAt } from './empty-text.ts';
import { clientName } from './refusal.ts';

// What an upstream must hold after a write, and whether the request a client half builds gets it
// there. The proxy (before it sends anything) and mirror/shadow deliveries share it: the upstream
// receives the absolute values the local customer has after the write, as the upstream's dialect
// carries them; a change the request cannot make is refused rather than acknowledged with the old
// value still at the provider.

const renderContext = { expand: [], principal: { tenantId: 'upstream', credentialId: 'upstream', livemode: false } } as const;

/** A customer of the given fields, as a dialect renders one (ids and state from the local customer when known). */
export function asCustomer(customerId: string, fields: CustomerFields, local: Customer | undefined): Customer {
  if (local) return { ...local, ...fields };
  const at = new Date(0).toISOString();
  return { ...stateDefaults, ...fields, uuid: customerId, public_id: 'cus_shadow', number: 1, version: 1, created_at: at, updated_at: at };
}

/**
 * The fields as the dialect shows them: rendered by its server half, read back by its client half,
 * over `base` (the fields themselves: what it cannot show stays; the defaults: only what it shows).
 */
function shownThrough(dialect: AnyDialect, fields: CustomerFields, base: CustomerFields = fields): CustomerFields {
  const parsed = dialect.client.parse(
    dialect.wire.render(asCustomer('00000000-0000-4000-8000-000000000000', fields, undefined), renderContext),
  );
  return isGatewayError(parsed) ? fields : applyPatch(base, parsed.patch);
}

const flagCarried = new WeakMap<AnyDialect, boolean>();

/** Does the dialect keep Meteroid's same-as-billing flag (rather than an address of its own)? */
function carriesSameAsBilling(dialect: AnyDialect): boolean {
  let known = flagCarried.get(dialect);
  if (known === undefined) {
    const address = { ...fieldDefaults, address: { line1: 'Billing 1', city: 'Oslo', country: 'NO' } } as unknown as CustomerFields;
    const flagged = { ...address, shipping: { name: null, phone: null, same_as_billing: true, address: null } };
    const parsed = dialect.client.parse(
      dialect.wire.render(asCustomer('00000000-0000-4000-8000-000000000000', flagged, undefined), renderContext),
    );
    known = !isGatewayError(parsed) && applyPatch(address, parsed.patch).shipping?.same_as_billing === true;
    flagCarried.set(dialect, known);
  }
  return known;
}

/**
 * The customer as the upstream must hold it: a same-as-billing shipping address is the billing
 * address where the provider has no such flag (every local view shows it so), and every value is
 * as the provider's dialect carries it.
 */
export function asCarried(dialect: AnyDialect, fields: CustomerFields, only = false): CustomerFields {
  const materialised = materialise(dialect, fields);
  return shownThrough(dialect, materialised, only ? fieldDefaults : materialised);
}

/** A same-as-billing shipping address as the billing address, where the provider has no such flag. */
function materialise(dialect: AnyDialect, fields: CustomerFields): CustomerFields {
  const shipping = fields.shipping;
  return shipping?.same_as_billing && !carriesSameAsBilling(dialect)
    ? { ...fields, shipping: { ...shipping, same_as_billing: false, address: fields.address } }
    : fields;
}

/**
 * The fields a write changes at the upstream: those it touched that the upstream writes (and a
 * shipping that follows billing). A `create` also gives the ones it shows, which a create may take
 * where an update cannot (Bigcapital's currencyCode); its client half sends what its create takes.
 */
export function carriedFields(dialect: AnyDialect, touched: readonly FieldName[], after: CustomerFields, create = false): FieldName[] {
  const fields = new Set(touched);
  if (fields.has('address') && after.shipping?.same_as_billing && !carriesSameAsBilling(dialect)) fields.add('shipping');
  return [...fields].filter(
    (f) =>
      (dialect.translation.coverage[f]?.write != null && dialect.client.sends.includes(f)) || (create && dialect.client.reads.includes(f)),
  );
}

/**
 * The patch that brings the upstream's copy from `before` to `after` on the fields the write
 * touched: absolute values as the upstream carries them; metadata key by key, the keys the write
 * removed cleared (a replace is never sent as a merge that would keep them).
 */
export function carriedPatch(
  dialect: AnyDialect,
  before: CustomerFields,
  after: CustomerFields,
  touched: readonly FieldName[],
  create = false,
): CustomerPatch {
  const target = asCarried(dialect, after);
  const fields = carriedFields(dialect, touched, after, create);
  const removed = fields.includes('metadata') ? Object.keys(before.metadata).filter((key) => !Object.hasOwn(target.metadata, key)) : [];
  return absolutePatch(target, fields, removed);
}

async function bodyOf(request: ClientRequest, dialect: AnyDialect): Promise<unknown> {
  if (request.body === undefined) return {};
  const init = { method: 'POST', headers: request.headers, body: request.body };
  return decodeBody(new Request('http://upstream.invalid/', init), dialect.wire.bodies, Number.MAX_SAFE_INTEGER);
}

/** A change the upstream cannot be given: the canonical field and why. */
export interface Uncarried {
  readonly field: FieldName | string;
  readonly message: string;
  /** `field` is a path in the upstream's own names (its API refused the body). */
  readonly upstreamNames?: boolean;
}

/**
 * What the provider would not hold after this request, read as its own API reads it (its server
 * half, built from its reference): a body it would refuse, or a touched field it would leave at
 * another value than `after`. Empty when the request carries the whole change.
 */
export async function uncarried(
  dialect: AnyDialect,
  kind: 'create' | 'update',
  request: ClientRequest,
  write: ClientWrite & { readonly after: CustomerFields; readonly touched: readonly FieldName[] },
  exact = false,
): Promise<Uncarried[]> {
  // A create starts from nothing: leaving a member out is its clear, so only an update can ask for
  // a clear the provider has no form for.
  const declared =
    kind === 'create' ? [] : ((dialect.client as { cannotCarry?(write: ClientWrite): readonly string[] }).cannotCarry?.(write) ?? []);
  if (declared.length > 0) return declared.map((field) => ({ field, message: `the ${dialect.name} API has no way to make this change` }));
  let body: unknown;
  try {
    body = await bodyOf(request, dialect);
  } catch (error) {
    return [{ field: '', message: isGatewayError(error) ? error.message : 'the request body could not be read' }];
  }
  const parsed = v.safeParse(dialect.wire.request[kind], body);
  if (!parsed.success) {
    return parsed.issues.map((issue) => ({
      field: issue.path?.map((p) => String(p.key)).join('.') ?? '',
      message: `the ${dialect.name} API refuses the value: ${issue.message}`,
      upstreamNames: true,
    }));
  }
  let patch: CustomerPatch;
  try {
    patch = kind === 'create' ? dialect.translation.createPatch(parsed.output) : dialect.translation.updatePatch(parsed.output);
  } catch (error) {
    return [{ field: '', message: isGatewayError(error) ? error.message : 'the request cannot be read as a change' }];
  }
  const base = kind === 'create' ? fieldDefaults : (write.current ?? fieldDefaults);
  // Compared as the provider shows them: a member it has no place for (a tax id of a type it
  // does not keep) is not a change it failed to make.
  const expected = asCarried(dialect, write.after, true);
  const held = asCarried(dialect, applyPatch(base, patch), true);
  const carried = carriedFields(dialect, write.touched, write.after);
  // A field the provider shows but its API takes no value for (Wooshpay's currency, tax_exempt or
  // preferred_locales; Bigcapital's currencyCode) keeps the provider's value, and its answer puts
  // that value back here: a change of one is a change it cannot make.
  const shownOnly = write.touched.filter((f) => !carried.includes(f) && dialect.client.reads.includes(f));
  const fields = [...carried, ...shownOnly].filter((f) => dialect.translation.coverage[f]?.read === true);
  const differs: Uncarried[] = shadowDiff(expected, held, fields).map((d) => ({
    field: d.field,
    message: `the ${dialect.name} API would keep ${JSON.stringify(d.upstream)} instead`,
  }));
  // "" and none are one to the comparison, not to a client: where the provider's own API holds ""
  // (it shows it: Zenskar's phone_number and address members), a "" the write leaves must be ""
  // there after it too, named by its member (`address.city`).
  for (const f of fields) {
    if (differs.some((d) => d.field === f)) continue;
    const lost = emptyPaths(f, expected[f]).find((path) => valueAt(held, path) !== '');
    if (lost) {
      differs.push({
        field: lost.join('.'),
        message: `the ${dialect.name} API would keep ${JSON.stringify(valueAt(held, lost) ?? null)} instead`,
      });
    }
  }
  if (!exact || !fields.includes('metadata') || differs.some((d) => d.field === 'metadata')) return differs;
  // An empty value is noise to a comparison, not to a map: a key whose value is "" is a key
  // (Zenskar keeps it), where Stripe's metadata[k]="" deletes it. A proxy refuses losing the key;
  // a mirror (`exact` unset) delivers the rest of the map.
  // Keys as stored, not as shown: a Stripe-like dialect shows no "" value (it would read as a
  // delete), so a key set to "" is in neither view, and only the stored maps tell it was lost.
  const heldKeys = applyPatch(base, patch).metadata;
  const lost = Object.keys(write.after.metadata).filter((key) => !Object.hasOwn(heldKeys, key));
  return lost.length === 0
    ? differs
    : [
        ...differs,
        { field: 'metadata', message: `the ${dialect.name} API would delete the keys ${lost.join(', ')} ("" is no value there)` },
      ];
}

/**
 * The values a proxied write leaves that the provider's form cannot hold exactly (a number or an
 * object in Wooshpay's string metadata, a reverse charge as Meteroid's boolean): its answer would
 * put another value here than the one acknowledged. A proxy refuses them; a mirror cannot refuse
 * a committed write and delivers the nearest form instead (src/outbox/left-out.ts).
 */
export function inexact(
  dialect: AnyDialect,
  write: { readonly after: CustomerFields; readonly touched: readonly FieldName[] },
): Uncarried[] {
  const materialised = materialise(dialect, write.after);
  // A same-as-billing shipping address sent as the billing address is the provider's form of the
  // flag (every local view shows it so), not a value it fails to hold: uncarried checks it.
  const fields = carriedFields(dialect, write.touched, write.after).filter(
    (f) => dialect.translation.coverage[f]?.read === true && (f !== 'shipping' || materialised.shipping === write.after.shipping),
  );
  const carried = asCarried(dialect, write.after);
  const emptied = emptiedPaths(dialect, write.after, fields, carried, false);
  const named = emptied.map((path) => ({ field: path.join('.'), upstream: valueAt(carried, path) ?? null }));
  return [...shadowDiff(materialised, carried, fields), ...named].map((d) => ({
    field: d.field,
    message: `the ${dialect.name} API cannot hold this value exactly and would keep ${JSON.stringify(d.upstream)} instead`,
  }));
}

/**
 * The fields as a delivery sends them (`sent`: a same-as-billing shipping address as the billing
 * address where the provider has no such flag) and as the provider shows them then (`carried`):
 * made once per delivery, for `emptiedFields` and `heldEmpty` both.
 */
export interface Delivered {
  readonly sent: CustomerFields;
  readonly carried: CustomerFields;
}

export function delivered(dialect: AnyDialect, fields: CustomerFields): Delivered {
  const sent = materialise(dialect, fields);
  return { sent, carried: shownThrough(dialect, sent) };
}

/**
 * Of `fields`, those stored as "" or with a member stored as "" (Meteroid keeps the string it is
 * given, an address's city too) that the provider reads as none (Stripe's phone="" clears it): ""
 * is noise to a comparison, not to a client, which would be answered null there where the local
 * store answers "". With `changed` (a delivery of the change that made them ""), also those a
 * provider holding "" shows as "" (Zenskar's phone_number and address members): its API reads ""
 * as none where it holds another value, as it did before this change. A same-as-billing shipping
 * address goes as the billing address where the provider has no such flag: its "" are the billing's.
 * With `given` (what the provider holds, src/outbox/last-given.ts), a "" it holds already stays:
 * a later change of another member of the address sends it again, and nothing changes there.
 */
export function emptiedFields(
  dialect: AnyDialect,
  { sent, carried }: Delivered,
  fields: readonly FieldName[],
  changed = false,
  given?: CustomerFields,
): FieldName[] {
  const was = given && materialise(dialect, given);
  const fresh = (path: readonly string[]) => was === undefined || valueAt(was, path) !== '';
  return fields.filter((f) => emptiedPaths(dialect, sent, [f], carried, changed).some(fresh));
}

/**
 * Of the emptied fields, those whose every "" the write leaves the provider holds (its form of them,
 * `carried`, shows each as "": Zenskar, Bigcapital), address members too: sent as "", not as none.
 */
export function heldEmpty({ sent, carried }: Delivered, emptied: readonly FieldName[]): FieldName[] {
  return emptied.filter((field) => emptyPaths(field, sent[field]).every((path) => valueAt(carried, path) === ''));
}

/** The refusal a client reads: its own envelope for a refused parameter, in its own names, naming the upstream. */
export function cannotCarry(changes: readonly Uncarried[], upstream: AnyDialect, client: AnyDialect): GatewayError {
  const issues: Issue[] = changes.map((c) => {
    const name = clientName(c.field, upstream, client, c.upstreamNames === true);
    return {
      path: name === '' ? [] : [name],
      kind: 'value',
      message: `The ${upstream.name} upstream cannot carry this change: ${c.message}.`,
    };
  });
  const first = issues[0];
  const named = first && first.path.length > 0 ? `${String(first.path[0])}: ` : '';
  return new GatewayError(
    'invalid_request',
    `${named}this change cannot be made at the ${upstream.name} upstream (the system of record): ${changes[0]?.message ?? ''}.`,
    { issues },
  );
}
