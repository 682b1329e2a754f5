import {
  type Address,
  type Customer,
  type CustomerFields,
  type CustomerPatch,
  type FieldName,
  fieldDefaults,
  fieldNames,
  set,
  stateDefaults,
} from '../../schemas/index.ts';
import { applyPatch, CustomerService } from '../../src/core/index.ts';
import { emptyAddress } from '../../src/core/apply-patch.ts';
import { type AnyDialect, type ErrorCode, GatewayError, type IssueKind, type Loss, type Principal } from '../../src/contract/dialect.ts';
import { errorCodes } from '../../src/contract/errors.ts';
import { fixturesOf, type Registry } from '../../src/contract/registry.ts';
import { canonicalView } from '../../src/http/gateway-api.ts';
import { patchToDialect } from '../../src/gateway/translate.ts';
import { jsonInit, type TestGateway } from './gateway.ts';

// What the cross-dialect and property suites share: a customer's fields out of the canonical view,
// a dialect's wire body for a canonical patch (with the fields it requires filled in), comparison
// that leaves out what a translation reported lost, and the envelopes a dialect answers errors in.

export type CanonicalView = Awaited<ReturnType<TestGateway['canonical']>>;

/** The canonical view (ids nested) as the Customer a dialect renders. */
export function customerOf(view: CanonicalView): Customer {
  const { ids, ...rest } = view;
  return { ...rest, ...ids } as unknown as Customer;
}

/** Only the fields an update can change. */
export function fieldsOf(view: CanonicalView | Customer | CustomerFields): CustomerFields {
  const source = 'ids' in view ? customerOf(view as CanonicalView) : view;
  return Object.fromEntries(fieldNames.map((f) => [f, (source as Record<string, unknown>)[f]])) as CustomerFields;
}

export const collectionPath = (d: AnyDialect) => `${d.routes.prefix}${d.routes.collection}`;
/** A customer's path in a dialect (`registry`: the one the dialect is registered in, with its fixtures). */
export const itemPath = (d: AnyDialect, ids: CanonicalView['ids'], registry: Registry) =>
  `${collectionPath(d)}/${encodeURIComponent(fixturesOf(d, registry).ref(ids as { uuid: string; public_id: string; number: number }))}`;

/**
 * Creates a customer with every field of the patch set, straight through the service: the state an
 * update starts from, not what is under test (that is the update through a dialect).
 */
export async function seedCustomer(gw: TestGateway, patch: CustomerPatch): Promise<CanonicalView> {
  const service = new CustomerService(gw.store, { now: () => new Date(), maxAttempts: 16, writeWaitMs: 10_000 });
  const principal: Principal = { tenantId: gw.tenant.tenant.id, credentialId: 'test-seed', livemode: false };
  const created = await service.create(patch, {
    principal,
    dialect: 'test-seed',
  });
  return JSON.parse(JSON.stringify(canonicalView(created))) as CanonicalView;
}

export interface Wire {
  /** The patch the body stands for: the generated one plus the required fields filled in. */
  readonly patch: CustomerPatch;
  readonly body: Record<string, unknown>;
  readonly losses: readonly Loss[];
}

/**
 * A canonical patch in the dialect's wire form. Fields the dialect requires in every body
 * (Bigcapital's displayName and customerType) and the patch did not give are sent with their
 * current values, as a client of that dialect does; the patch then says so too.
 */
export function toWire(dialect: AnyDialect, patch: CustomerPatch, current: CustomerFields): Wire {
  let full: CustomerPatch = patch;
  let translated = patchToDialect(dialect, full);
  const filled = new Set<FieldName>();
  const replaced: Loss[] = [];
  for (const loss of translated.losses) {
    if (loss.kind !== 'required') continue;
    const field = fieldNames.find((f) => f === loss.field || dialect.translation.coverage[f]?.as === loss.field);
    const requested = field === undefined ? undefined : (full as Record<string, { op: string } | undefined>)[field];
    if (field === undefined || filled.has(field) || requested?.op === 'set') continue;
    const value = current[field];
    if (value === null) throw new Error(`${dialect.name} requires ${loss.field}, and the customer has no ${field} to send`);
    // A change the dialect cannot send (clearing a required field) is sent as the current value:
    // the field then differs from what the change asked for, as a loss says.
    if (requested !== undefined) replaced.push({ field, kind: 'inexpressible', message: `${dialect.name} requires ${loss.field}` });
    full = { ...full, [field]: set(value) };
    filled.add(field);
  }
  if (filled.size > 0) translated = patchToDialect(dialect, full);
  const emptied = nullWhereEmpty(dialect, full, current, translated.body);
  return {
    patch: full,
    body: emptied.body,
    losses: [...translated.losses, ...replaced, ...writtenBack(dialect, full, current), ...emptied.losses],
  };
}

/**
 * A clear sent as "" keeps a stored "" (schemas/patch.ts, ClearOp.keepsEmpty); a JSON null is none.
 * A Stripe-like dialect's wire form clears with "" (its form bodies have no null), so where a clear
 * reaches a field or member stored as "" (Meteroid keeps the "" it is given), the JSON body the
 * harness sends says null there, as a JSON client that means none does. A member the body leaves
 * out (Stripe's shipping hash omits an empty one) is cleared as "" clears: that one keeps its "".
 */
function nullWhereEmpty(
  dialect: AnyDialect,
  patch: CustomerPatch,
  current: CustomerFields,
  sent: Record<string, unknown>,
): { body: Record<string, unknown>; losses: Loss[] } {
  if (!dialect.wire.bodies.includes('form')) return { body: sent, losses: [] };
  const body = structuredClone(sent);
  const after = applyPatch(current, patch);
  const losses: Loss[] = [];
  const visit = (before: unknown, now: unknown, path: string[]) => {
    if (before === '' && now === null) {
      if (!nullAt(body, path))
        losses.push({ field: path.join('.'), kind: 'lossy', message: `${dialect.name} leaves it out: cleared as "", a stored "" stays.` });
    } else if (before && typeof before === 'object' && !Array.isArray(before) && (now === null || typeof now === 'object')) {
      // A value the write left with no member (an address, a shipping) is none: each member is none.
      for (const [k, v] of Object.entries(before)) visit(v, (now as Record<string, unknown> | null)?.[k] ?? null, [...path, k]);
    }
  };
  // A same-as-billing shipping address is the billing address, as the dialect shows it and as a
  // write of the shipping address starts from it (src/core/apply-patch.ts): its "" are the billing's.
  const shown = (f: FieldName) =>
    f === 'shipping' && current.shipping?.same_as_billing ? { ...current.shipping, address: current.address } : current[f];
  for (const f of Object.keys(patch) as FieldName[]) if (f !== 'metadata') visit(shown(f), after[f], [f]);
  return { body, losses };
}

/** Sets the body's "" at `path` (a Stripe-like member is named as its canonical one) to null; false where there is none. */
function nullAt(body: Record<string, unknown>, path: readonly string[]): boolean {
  let node: unknown = body;
  for (const key of path.slice(0, -1)) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  const last = path.at(-1)!;
  if (!node || typeof node !== 'object' || (node as Record<string, unknown>)[last] !== '') return false;
  (node as Record<string, unknown>)[last] = null;
  return true;
}

const shownPrincipal: Principal = { tenantId: 'harness', credentialId: 'harness', livemode: false };

/**
 * A shipping set that a dialect with no same-as-billing flag can only send as the billing address
 * it shows, written back: the gateway keeps the flag and the shipping address stored under it (the
 * coverage notes of Wooshpay and Zenskar: "writing it back unchanged keeps the flag";
 * src/core/apply-patch.ts, shippingAddress), so neither the set's flag nor its address is
 * carried. The body cannot tell a write-back from this set: every member the dialect shows is the
 * billing address's, and the billing address is left as it was.
 */
function writtenBack(dialect: AnyDialect, patch: CustomerPatch, current: CustomerFields): Loss[] {
  const op = patch.shipping;
  if (op?.op !== 'set' || !current.shipping?.same_as_billing || showsSameAsBilling(dialect)) return [];
  const hidden = hiddenMembers(dialect, shownPrincipal);
  const shownOf = (...path: string[]) =>
    (Object.keys(emptyAddress) as (keyof Address)[]).filter((m) => !hidden.some((p) => p.join('.') === [...path, m].join('.')));
  // A form body clears with "", which keeps a stored "" (ClearOp.keepsEmpty): there a member set to
  // "" or none reads as the "" it is written over, else as none.
  const form = dialect.wire.bodies.includes('form');
  const read = (a: Address | null, over: Address | null, m: keyof Address) =>
    form && (a?.[m] ?? '') === '' ? (over?.[m] === '' ? '' : null) : (a?.[m] ?? null);
  const same = (members: (keyof Address)[], a: Address | null, over: Address | null, b: Address | null) =>
    members.every((m) => read(a, over, m) === (b?.[m] ?? null));
  // The billing address as the body changes it: what the dialect cannot write (a contact email) stays.
  const billing = current.address;
  const billed = patch.address ? applyPatch(current, { address: patch.address }).address : billing;
  if (patch.address && !same(shownOf('address'), billed, billing, billing)) return [];
  if (!same(shownOf('shipping', 'address'), op.value.address, billing, billing)) return [];
  const message = `${dialect.name} has no same-as-billing flag: the billing address written back as the shipping address keeps it, and the shipping address stored under it.`;
  return [
    { field: 'shipping.same_as_billing', kind: 'lossy', message },
    { field: 'shipping.address', kind: 'lossy', message },
  ];
}

/** Sends an update body through a dialect. */
export async function update(
  gw: TestGateway,
  dialect: AnyDialect,
  ids: CanonicalView['ids'],
  body: unknown,
  extra: Record<string, string> = {},
) {
  const auth = fixturesOf(dialect, gw.registry).auth(gw.tenant.credentials[dialect.name]!);
  return gw.request(itemPath(dialect, ids, gw.registry), jsonInit(dialect.routes.update, body, { ...auth, ...extra }));
}

/**
 * A field's value ready to compare: an address whose every member is null is no address (the rule
 * apply-patch follows for merges), and members named by a loss (`address.line3`,
 * `shipping.address.email`) are left out.
 */
function comparable(field: FieldName, value: unknown, lost: readonly string[][]): unknown {
  let out: unknown = structuredClone(value);
  // Addresses stored before country_name existed have no such key: the same as null.
  const normaliseAddress = (a: unknown) => ({ ...emptyAddress, ...((a ?? {}) as object) });
  if (field === 'address') out = normaliseAddress(out);
  if (field === 'shipping') {
    const s = (out ?? { name: null, phone: null, same_as_billing: false, address: null }) as Record<string, unknown>;
    out = { ...s, address: normaliseAddress(s.address) };
  }
  if (field === 'tax_ids') {
    // tax_ids members are types, compared case-insensitively (apply-patch's rule): `tax_ids.GST`.
    const types = lost.map((p) => p[0]!.toUpperCase());
    return (out as { type: string | null }[]).filter((t) => !types.includes(t.type?.toUpperCase() ?? ''));
  }
  for (const path of lost) {
    let node = out as Record<string, unknown> | null;
    for (const key of path.slice(0, -1)) node = (node?.[key] as Record<string, unknown> | null) ?? null;
    if (node && typeof node === 'object') delete node[path.at(-1)!];
  }
  return out;
}

/**
 * The fields of a customer with everything a translation reported lost taken out: a whole field
 * (`tax_exempt` lossy in Meteroid) or a member (`address.line3`). `required` losses were filled in.
 */
export function carried(
  fields: CustomerFields,
  losses: readonly Loss[],
  hidden: readonly string[][] = [],
  skip: readonly FieldName[] = [],
): Record<string, unknown> {
  const paths = [...hidden, ...losses.filter((l) => l.kind !== 'required').map((l) => l.field.split('.'))];
  // A required member that could not be filled (Wooshpay's shipping.name) is not compared either.
  for (const l of losses) if (l.kind === 'required' && l.field.includes('.')) paths.push(l.field.split('.'));
  const out: Record<string, unknown> = {};
  for (const f of fieldNames) {
    if (skip.includes(f) || paths.some((p) => p.length === 1 && p[0] === f)) continue;
    const members = paths.filter((p) => p[0] === f && p.length > 1).map((p) => p.slice(1));
    out[f] = comparable(f, fields[f], members);
  }
  return out;
}

const issueKinds: readonly IssueKind[] = ['unknown', 'missing', 'empty', 'type', 'format', 'value'];
const detailVariants = [
  {},
  ...issueKinds.map((kind) => ({ issues: [{ path: ['x'], kind, message: 'x', value: 1 }] })),
  { reason: 'missing' as const },
  { reason: 'invalid' as const },
  { reference: 'x' },
  { field: 'x' },
];

/**
 * Every (status, top-level keys) the dialect's own renderer gives for any gateway error: an answer
 * outside this set is not in the dialect's envelope.
 */
export function errorEnvelopes(dialect: AnyDialect): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const code of errorCodes as readonly ErrorCode[]) {
    for (const details of detailVariants) {
      const { status, body } = dialect.wire.renderError(new GatewayError(code, 'x', details));
      const keys = Object.keys(body as object)
        .sort()
        .join(',');
      out.set(status, (out.get(status) ?? new Set()).add(keys));
    }
  }
  return out;
}

const fullAddress: Address = {
  line1: '1 Main St',
  line2: 'Suite 2',
  line3: 'Floor 3',
  city: 'Springfield',
  state: 'IL',
  postal_code: '62701',
  country: 'US',
  country_name: 'USA',
  email: 'a@b.example',
  phone: '+15555550100',
};

/** A customer with every address member set and a shipping address of its own. */
const shownBase = {
  ...fieldDefaults,
  ...stateDefaults,
  uuid: '00000000-0000-4000-8000-000000000001',
  public_id: 'cus_hiddenmembers00',
  number: 1,
  version: 1,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  address: fullAddress,
  shipping: { name: 'Ship To', phone: '+15555550101', same_as_billing: false, address: { ...fullAddress, city: 'Shelbyville' } },
} as Customer;

const showOf = (dialect: AnyDialect, principal: Principal) => (c: Customer) =>
  JSON.stringify(dialect.wire.render(c, { expand: [], principal }));

/** Does the dialect show the same-as-billing flag, rather than the billing address alone as the shipping address? */
function showsSameAsBilling(dialect: AnyDialect): boolean {
  const show = showOf(dialect, shownPrincipal);
  const shipping = shownBase.shipping!;
  return (
    show({ ...shownBase, shipping: { ...shipping, same_as_billing: true } }) !==
    show({ ...shownBase, shipping: { ...shipping, address: shownBase.address } })
  );
}

/**
 * Members of the address and shipping a dialect never shows (Stripe-like addresses have no line3
 * or contact; Bigcapital shows no shipping name): found by rendering, so a dialect's own code
 * decides. A dialect cannot say anything about those through its wire form, so the round trip
 * does not compare them; the cross-dialect suite checks they survive.
 */
export function hiddenMembers(dialect: AnyDialect, principal: Principal): string[][] {
  const base = shownBase;
  const show = showOf(dialect, principal);
  const shown = show(base);
  const hidden: string[][] = [];
  for (const m of Object.keys(fullAddress) as (keyof Address)[]) {
    // A country is a code with the name it was given as: a new code comes without that name.
    const changed: Partial<Address> =
      m === 'country' ? { country: 'FR', country_name: null } : m === 'email' ? { email: 'z@y.example' } : { [m]: `${fullAddress[m]}x` };
    if (show({ ...base, address: { ...fullAddress, ...changed } }) === shown) hidden.push(['address', m]);
    if (show({ ...base, shipping: { ...base.shipping!, address: { ...base.shipping!.address!, ...changed } } }) === shown) {
      hidden.push(['shipping', 'address', m]);
    }
  }
  if (show({ ...base, shipping: { ...base.shipping!, name: 'Other' } }) === shown) hidden.push(['shipping', 'name']);
  if (show({ ...base, shipping: { ...base.shipping!, phone: '+15555550199' } }) === shown) hidden.push(['shipping', 'phone']);
  return hidden;
}
