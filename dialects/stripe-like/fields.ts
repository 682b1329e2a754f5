import * as v from 'valibot';
import {
  type AddressOp,
  type Customer,
  type CustomerPatch,
  clear,
  type FieldOp,
  type MetadataOp,
  merge,
  metadataText,
  set,
  setText,
  type TextSetOp,
} from '../../schemas/index.ts';
import { GatewayError, type Loss, type Translation } from '../../src/contract/dialect.ts';
import {
  type AddressTable,
  addressParams,
  addressShown,
  plainAddressPatch,
  renderAddressOf,
  shownAddressOf,
} from '../shared/address-lens.ts';
import { expandableOf, fromPatchOf, idMemberOf, parseOf, requestEntries } from '../shared/lens.ts';
import { type FieldTable, member, readWrite, type TextField, text } from '../shared/lens-members.ts';
import { keepAccepted } from '../shared/translate-guard.ts';
import { clearable, CountryParam, expandParam, hasBrackets, hash, isCleared, MetadataParam, text as textParam } from './request.ts';

// The Stripe shape's members (Stripe's API reference, "The Customer object" and "Update a
// customer"), each declared once and read both ways by dialects/shared/lens.ts: Wooshpay's and
// Connhex's field tables (their fields.ts) are built from these. Stripe's rules: an absent
// parameter is unchanged, "" clears (and a clear is sent as ""), an address hash patches member by
// member, metadata merges by key.

const shownString = v.nullable(v.string());

/** Stripe's address hash: country is ISO-2, upper-cased; a Stripe address has no line3 or contact. */
const addressStripe = {
  line1: { to: 'line1', param: v.optional(textParam), shown: shownString },
  line2: { to: 'line2', param: v.optional(textParam), shown: shownString },
  city: { to: 'city', param: v.optional(textParam), shown: shownString },
  state: { to: 'state', param: v.optional(textParam), shown: shownString },
  postal_code: { to: 'postal_code', param: v.optional(textParam), shown: shownString },
  country: { to: 'country', param: v.optional(clearable(CountryParam)), shown: shownString, hook: true },
} as const satisfies AddressTable;

export const AddressParamStripe = v.strictObject(addressParams(addressStripe));
export type AddressParamStripe = v.InferOutput<typeof AddressParamStripe>;
const AddressResponseStripe = v.nullable(v.strictObject(addressShown(addressStripe)));

const carried = Object.values(addressStripe).map((m) => m.to);
/** Members a Stripe-like address cannot show; a write through it keeps them as they are. */
const notCarried = ['line3', 'email', 'phone', 'country_name'] as const;

/** An address hash patches member by member; "" or null clears the whole address. */
function addressOp(param: '' | null | AddressParamStripe): AddressOp {
  if (isCleared(param)) return clear;
  const country = param.country === undefined ? {} : { country: isCleared(param.country) ? clear : set(param.country.toUpperCase()) };
  return merge({ ...plainAddressPatch(addressStripe, param), ...country });
}

const renderAddress = renderAddressOf(addressStripe);
/** A Stripe address hash as shown -> the members it shows, merged (line3 and contact details stay). */
export const addressFromStripe = shownAddressOf(addressStripe);

/** A loss for each member a Stripe-like address has no place for; `kept`: the write keeps the stored one. */
export function lostMembers(
  address: Readonly<Partial<Record<(typeof notCarried)[number], unknown>>> | null,
  field: string,
  losses: Loss[],
  kept = false,
) {
  for (const m of notCarried) {
    if (address?.[m] === null || address?.[m] === undefined) continue;
    const message = `Stripe-like addresses have no ${m}${kept ? '; the stored one is kept' : ''}.`;
    losses.push({ field: `${field}.${m}`, kind: 'unsupported', message });
  }
}

/**
 * A loss for each member set to "" (Meteroid keeps one as given): a Stripe-like address reads ""
 * as a clear, which keeps only a stored "".
 */
export function emptiedMembers(values: Readonly<Record<string, unknown>> | null | undefined, field: string, losses: Loss[]) {
  for (const m of carried) {
    if (values?.[m] !== '') continue;
    losses.push({
      field: `${field}.${m}`,
      kind: 'lossy',
      message: `Stripe-like addresses read "" as a clear: ${field}.${m} is cleared, not set to "".`,
    });
  }
}

/**
 * A loss for each member a change takes to none (a null, a clear that came in as null: Zenskar's,
 * Bigcapital's) that a Stripe-like body can only send as "" (form bodies have no null, and the
 * provider's reference types each member a string), which keeps a stored "" (schemas/patch.ts,
 * ClearOp.keepsEmpty) where the source's clear empties it. A country "" clears outright.
 */
export function noneAsEmpty(members: readonly string[], field: string, losses: Loss[]) {
  for (const m of members) {
    if (m === 'country') continue;
    losses.push({
      field: `${field}.${m}`,
      kind: 'lossy',
      message: `Stripe-like bodies clear with "", which keeps a stored "": ${field}.${m} stays "" where it is "".`,
    });
  }
}

/** An address change in Stripe's wire form: every member for a set ("" for the empty ones replaces it), the changed ones for a merge. */
function addressSent(op: AddressOp, field: string, losses: Loss[]): '' | Record<string, string> {
  if (op.op === 'clear') return '';
  const out: Record<string, string> = {};
  for (const m of carried) {
    if (op.op === 'set') out[m] = op.value[m] ?? '';
    else {
      const memberOp = op.value[m];
      if (memberOp) out[m] = memberOp.op === 'set' ? memberOp.value : '';
    }
  }
  const none = (m: (typeof carried)[number]) => {
    if (op.op === 'set') return op.value[m] == null;
    const memberOp = op.value[m];
    return memberOp?.op === 'clear' && !memberOp.keepsEmpty;
  };
  noneAsEmpty(carried.filter(none), field, losses);
  const values =
    op.op === 'set' ? op.value : Object.fromEntries(Object.entries(op.value).map(([m, o]) => [m, o?.op === 'set' ? o.value : undefined]));
  emptiedMembers(values, field, losses);
  lostMembers(op.value, field, losses);
  return out;
}

/** A canonical text change in Stripe's wire form. */
export const sentText = (op: FieldOp<string>): string => (op.op === 'set' ? op.value : '');

/** Text: "" or null clears; shown as the text or null. */
export function textStripe<S extends v.GenericSchema<unknown, string | null>>(field: TextField, param: S, note?: string) {
  return { ...text(field, param, shownString, note), fromPatch: (patch: CustomerPatch) => sentText(patch[field] as FieldOp<string>) };
}

/** Text where the provider reads "" as a clear, so a value set to "" is reported as lost. */
export function textEmptyIsClear<S extends v.GenericSchema<unknown, string | null>>(
  title: string,
  field: TextField,
  param: S,
  note?: string,
) {
  const base = textStripe(field, param, note);
  return {
    ...base,
    fromPatch: (patch: CustomerPatch, losses: Loss[]) => {
      const op = patch[field] as FieldOp<string>;
      if (op.op === 'set' && op.value === '') {
        losses.push({ field, kind: 'lossy', message: `${title} reads "" as a clear: ${field} is cleared, not set to "".` });
      }
      // A clear that came in as null (Zenskar's, Bigcapital's) empties a stored ""; the "" this one
      // goes as keeps it (schemas/patch.ts, ClearOp.keepsEmpty), and a form body has no null.
      if (op.op === 'clear' && !op.keepsEmpty) {
        losses.push({
          field,
          kind: 'lossy',
          message: `${title} clears with "", which keeps a stored "": ${field} stays "" where it is "".`,
        });
      }
      return base.fromPatch(patch);
    },
  };
}

/** The customer's `cus_…` id, shown and never written. */
export const idStripe = member<undefined, string>('public_id', {
  shown: v.pipe(v.string(), v.startsWith('cus_')),
  render: (c) => c.public_id,
});

/** A deleted customer, as Stripe's delete answers it (https://docs.stripe.com/api/customers/delete). */
export const tombstoneStripe = (c: Customer) => ({ id: c.public_id, object: 'customer', deleted: true });

/** The path parameter a Stripe `resource_missing` error names: the customer's id. */
export const idParamStripe = 'id';

export const unixSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

export const createdStripe = member<undefined, number>('created_at', {
  shown: v.pipe(v.number(), v.integer()),
  note: 'unix seconds',
  render: (c) => unixSeconds(c.created_at),
});

export const delinquentStripe = member<undefined, boolean>('delinquent', { shown: v.boolean(), render: (c) => c.delinquent });

/** A member the provider always shows with one value (`object: "customer"`, `discount: null`). */
export const constant = <R>(shown: v.GenericSchema, value: () => R) => member<undefined, R>(null, { shown, render: value });

export const addressMember = (note: string) =>
  member('address', {
    param: clearable(hash(AddressParamStripe)),
    shown: AddressResponseStripe,
    write: { ...readWrite, mode: 'merge' },
    note,
    toPatch: (param: '' | null | AddressParamStripe) => ({ address: addressOp(param) }),
    render: (c: Customer) => renderAddress(c.address),
    fromPatch: ({ address }, losses) => (address ? addressSent(address, 'address', losses) : undefined),
    parse: (shown) => ({ address: addressFromStripe(shown) }),
  });

/**
 * `metadata=""` clears all keys; `metadata[k]=""` deletes one; other keys merge. Values are text:
 * one that is how a stored number or object is shown (Zenskar's custom_data) keeps that value.
 */
function metadataOp(param: '' | null | Record<string, string>): MetadataOp {
  if (isCleared(param)) return clear;
  const ops: Record<string, FieldOp<unknown> | TextSetOp> = {};
  for (const [key, value] of Object.entries(param)) ops[key] = value === '' ? clear : setText(value);
  return merge(ops);
}

/** Metadata ops as Stripe metadata: values become strings. */
function metadataSent(op: MetadataOp, losses: Loss[]): '' | Record<string, string> {
  if (op.op === 'clear') return '';
  const out: Record<string, string> = {};
  const entries =
    op.op === 'set' ? Object.entries(op.value).map(([k, v]) => [k, { op: 'set', value: v }] as const) : Object.entries(op.value);
  let stringified = false;
  let empty = false;
  let unnamed = false;
  const bracketed: string[] = [];
  for (const [key, keyOp] of entries) {
    // Its form would be `metadata[]=…`, a list Stripe refuses as an invalid hash: not sent, named.
    if (key === '') unnamed = true;
    else if (hasBrackets(key)) bracketed.push(key);
    else if (keyOp.op === 'clear') out[key] = '';
    else if (keyOp.value === '') empty = true;
    else {
      if (typeof keyOp.value !== 'string') stringified = true;
      out[key] = metadataText(keyOp.value);
    }
  }
  if (op.op === 'set') {
    losses.push({
      field: 'metadata',
      kind: 'inexpressible',
      message: 'Stripe-like metadata merges by key: keys not named in the source are kept, not removed.',
    });
  }
  if (empty) {
    losses.push({
      field: 'metadata',
      kind: 'inexpressible',
      message: 'Stripe-like metadata has no empty value: "" deletes the key. A key set to "" is not sent.',
    });
  }
  if (unnamed) {
    losses.push({
      field: 'metadata',
      kind: 'inexpressible',
      message: 'Stripe-like metadata keys are names: the key "" has no form (metadata[]= is a list) and is not sent.',
    });
  }
  if (bracketed.length > 0) {
    losses.push({
      field: 'metadata',
      kind: 'inexpressible',
      message: `Stripe-like metadata keys cannot contain square brackets (a form reads them as nesting): ${bracketed.map((k) => JSON.stringify(k)).join(', ')} not sent.`,
    });
  }
  if (stringified)
    losses.push({
      field: 'metadata',
      kind: 'lossy',
      message: 'Stripe-like metadata values are strings: other values are sent as JSON text.',
    });
  return out;
}

/**
 * Stripe metadata values are strings: a value stored through Zenskar's custom_data is shown as one.
 * An empty string (custom_data {"k": ""}) is not shown: Stripe never shows one, since
 * `metadata[k]=""` deletes k, so a client writing back what it read would delete the key. It is
 * kept, as the members a dialect cannot show are (docs/seams.md).
 */
const metadataStrings = (metadata: Readonly<Record<string, unknown>>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(metadata)
      .filter(([, value]) => value !== '')
      .map(([key, value]) => [key, metadataText(value)]),
  );

export const metadataMember = (note: string) =>
  member('metadata', {
    param: clearable(MetadataParam),
    shown: v.record(v.string(), v.string()),
    write: { ...readWrite, mode: 'merge' },
    note,
    toPatch: (param: '' | null | Record<string, string>) => ({ metadata: metadataOp(param) }),
    render: (c: Customer) => metadataStrings(c.metadata),
    fromPatch: ({ metadata }, losses) => (metadata ? metadataSent(metadata, losses) : undefined),
    parse: (shown) => (shown && typeof shown === 'object' ? { metadata: set({ ...(shown as Record<string, unknown>) }) } : {}),
  });

export { AddressResponseStripe, addressOp, renderAddress, shownString };

/** A Stripe-like dialect's request body: its table's parameters, and `expand[]` over its expandable members. */
export const requestStripe = <T extends FieldTable>(table: T) =>
  v.strictObject({ ...requestEntries(table), expand: v.optional(expandParam(expandableOf(table))) });

/** `expand[]` as the gateway reads it (src/contract/dialect.ts, DialectWire.expand). */
export const expandStripe = (table: FieldTable) => ({
  paths: expandParam(expandableOf(table)),
  of: (body: { readonly expand?: readonly string[] | undefined }) => body.expand ?? [],
});

/** Canonical patch -> the update body, from the table, without the values the provider's own request schema refuses. */
export const fromPatchStripe = (table: FieldTable, entries: v.ObjectEntries, title: string) => {
  const base = fromPatchOf(table);
  return (patch: CustomerPatch): Translation => {
    const translated = base(patch);
    const losses = [...translated.losses];
    return { body: keepAccepted(entries, translated.body, { title, fieldOf: (p) => p }, losses), losses };
  };
};

/**
 * A Stripe-like answer -> the customer it shows: its id, and (where the table shows Stripe's
 * `object`) `object: "customer"`; anything else is no customer.
 */
export function parseCustomerStripe(table: FieldTable) {
  const state = parseOf(table);
  const id = idMemberOf(table, 'public_id');
  const typed = 'object' in table;
  return (body: unknown) => {
    const shown = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
    const ref = shown?.[id];
    if (!shown || typeof ref !== 'string' || (typed && shown.object !== 'customer')) {
      return new GatewayError('bad_gateway', 'The upstream answered with no customer.');
    }
    return { id: ref, patch: state(shown) };
  };
}
