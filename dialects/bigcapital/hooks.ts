import {
  type Address,
  type AddressOp,
  type AddressPatch,
  type CustomerPatch,
  clear,
  countryName,
  countryTextAlone,
  readCountryText,
  type FieldOp,
  merge,
  set,
  toCountryCode,
} from '../../schemas/index.ts';
import type { Loss } from '../../src/contract/dialect.ts';
import { heldText, shownText } from '../../src/contract/dialect.ts';
import { textOp } from '../shared/text-op.ts';

// What Bigcapital's field table (fields.ts) cannot say member by member: an address spread over
// flat properties (Bigcapital's billingAddressCity), its country written as a name, and a shipping address with
// no same-as-billing flag. Each reads the address members from the table it is given, by suffix.

export const title = 'Bigcapital';

/** What each property is, so a failed check is named as Bigcapital's validator names it. */
export type PropertyKind = 'required' | 'text' | 'email' | 'country' | 'boolean' | 'currency';

/** One flat address property, after its prefix (the billing or shipping member's wire name). */
export interface FlatAddressMember {
  readonly to: keyof Address;
  readonly param: import('valibot').GenericSchema;
  /** Its response schema; absent where responses do not show it (they say Postcode for Zipcode). */
  readonly shown?: import('valibot').GenericSchema;
  readonly kind: PropertyKind;
  /** The suffix this one is another name for: read when that one is absent, never sent. */
  readonly aliasOf?: string;
}
export type FlatAddress = Readonly<Record<string, FlatAddressMember>>;

type Sent = Record<string, string | null>;

/**
 * Bigcapital reads "" as a clear that keeps a stored "" (as the other dialects' "" does), so a
 * value set to "" survives the trip only where "" is stored. A clear that came in as "" goes out as
 * "", and so does a "" set, where Bigcapital takes "" (`emptyTaken`; an email property refuses it):
 * null would clear the "" Bigcapital holds.
 */
export function textValue(op: FieldOp<string>, field: string, losses: Loss[], emptyTaken = true): string | null {
  if (op.op === 'clear') return op.keepsEmpty && emptyTaken ? '' : null;
  if (op.value === '') {
    losses.push({ field, kind: 'lossy', message: `${title} reads an empty value as a clear: ${field} is cleared, not set to "".` });
    return emptyTaken ? '' : null;
  }
  return op.value;
}

/**
 * Bigcapital takes country names: the name given where there is one, else the English name of the
 * code, which it reads back as that code (an exact round trip: "US" <-> "United States").
 */
function countryValue(members: AddressPatch): string | null {
  const name = members.country_name;
  if (name?.op === 'set') return name.value;
  const code = members.country;
  if (code?.op === 'set') return countryName(code.value) ?? code.value;
  return null;
}

/**
 * A whole address (or none) as every member, cleared where it has none: Bigcapital patches member
 * by member, so members left out would keep the old address's values.
 */
function wholeAddress(address: Address | null): AddressPatch {
  const patch: { -readonly [K in keyof AddressPatch]: AddressPatch[K] } = {};
  for (const key of ['line1', 'line2', 'city', 'state', 'postal_code', 'country', 'country_name', 'email', 'phone'] as const) {
    const value = address?.[key] ?? null;
    patch[key] = value === null ? clear : set(value);
  }
  // Bigcapital keeps a stored line3 whatever it is sent: a whole address without one is a loss too.
  patch.line3 = address?.line3 ? set(address.line3) : clear;
  return patch;
}

/** The address hooks, for the flat address members of `table`. */
export function addressHooks(table: FlatAddress) {
  const members = Object.entries(table);
  const sent = members.filter(([, m]) => m.aliasOf === undefined);
  const aliases = new Map(members.flatMap(([suffix, m]) => (m.aliasOf ? [[m.aliasOf, suffix] as const] : [])));

  /** The member-by-member patch a request's flat properties (by suffix, the present ones) make. */
  function addressPatch(part: Readonly<Record<string, unknown>>): AddressPatch {
    const patch: { -readonly [K in keyof AddressPatch]: AddressPatch[K] } = {};
    for (const [suffix, { to }] of sent) {
      const alias = aliases.get(suffix);
      const value = (part[suffix] === undefined && alias ? part[alias] : part[suffix]) as string | null | undefined;
      if (value === undefined) continue;
      if (to === 'country') Object.assign(patch, countryOps(value));
      else patch[to] = textOp(value) as never;
    }
    return patch;
  }

  /** The address as shown, by suffix: an empty member is left out. */
  const renderAddress = (a: Address | null): Record<string, string | undefined> =>
    Object.fromEntries(
      members.flatMap(([suffix, m]) =>
        m.shown ? [[suffix, (m.to === 'country' ? a && countryTextAlone(a) : a?.[m.to]) ?? undefined]] : [],
      ),
    );

  /**
   * The flat properties as shown (an absent one has no value) -> the members, merged. The reference
   * types each a string: a "" shown is the "" held (as workPhone's), where an email property refuses "".
   */
  function addressFrom(shown: Readonly<Record<string, unknown>>): AddressOp {
    const patch: { -readonly [K in keyof AddressPatch]: AddressPatch[K] } = {};
    for (const [suffix, m] of members) {
      if (!m.shown) continue;
      if (m.to !== 'country') patch[m.to] = (m.kind === 'email' ? shownText : heldText)(shown[suffix]) as never;
      else {
        const value = shown[suffix];
        const code = typeof value === 'string' ? toCountryCode(value) : undefined;
        patch.country = code === undefined ? clear : set(code);
      }
    }
    return merge(patch);
  }

  /** An address operation -> the flat properties sent, by suffix. */
  function writeAddress(op: AddressOp, field: string, losses: Loss[]): Sent {
    const out: Sent = {};
    const members = op.op === 'merge' ? op.value : wholeAddress(op.op === 'set' ? op.value : null);
    for (const [suffix, { to, kind }] of sent) {
      if (to === 'country') {
        if (members.country || members.country_name) out[suffix] = countryValue(members);
        continue;
      }
      const memberOp = members[to];
      if (memberOp) out[suffix] = textValue(memberOp as FieldOp<string>, `${field}.${to}`, losses, kind !== 'email');
    }
    // A name alone cannot be sent without its country, nor a name cleared while the code stays
    // (the English name of the code leaves a name given before for that country as it is).
    const name = members.country_name;
    const clearsName = members.country?.op === 'clear' && !name;
    if ((name && !members.country) || (name?.op === 'clear' && members.country?.op === 'set') || clearsName) {
      losses.push({
        field: `${field}.country_name`,
        kind: 'inexpressible',
        message: `${title} writes a country name and its code together.`,
      });
    }
    // Meteroid clears line3 with every address it writes: a clear is not carried either, as the
    // stored line3 then stays (Bigcapital never shows it).
    if (members.line3) {
      losses.push({ field: `${field}.line3`, kind: 'unsupported', message: `${title} addresses have no third line; it is left out.` });
    }
    return out;
  }

  /**
   * Bigcapital's shipping is an address and nothing else: no recipient name or phone, and no
   * same-as-billing flag (writing any shipping property ends Meteroid's flag).
   */
  function writeShipping(patch: CustomerPatch, losses: Loss[]): Sent | undefined {
    const op = patch.shipping;
    if (!op) return undefined;
    if (op.op === 'clear') {
      const out = writeAddress(clear, 'shipping.address', losses);
      losses.push({
        field: 'shipping',
        kind: 'inexpressible',
        message: `${title} clears the shipping address fields only; the recipient name and phone it cannot show are kept.`,
      });
      return out;
    }
    const shipping =
      op.op === 'set'
        ? {
            name: op.value.name === null ? undefined : set(op.value.name),
            phone: op.value.phone === null ? undefined : set(op.value.phone),
            sameAsBilling: op.value.same_as_billing,
            address: op.value.address === null ? clear : set(op.value.address),
          }
        : {
            name: op.value.name,
            phone: op.value.phone,
            sameAsBilling: op.value.same_as_billing && (op.value.same_as_billing.op === 'set' ? op.value.same_as_billing.value : false),
            address: op.value.address,
          };
    if (shipping.name)
      losses.push({ field: 'shipping.name', kind: 'unsupported', message: `${title} has no shipping recipient name; it is left out.` });
    if (shipping.phone)
      losses.push({ field: 'shipping.phone', kind: 'unsupported', message: `${title} has no shipping recipient phone; it is left out.` });
    let out: Sent | undefined;
    if (shipping.sameAsBilling === true) {
      // What Bigcapital shows for a same-as-billing shipping address is the billing address, so the
      // closest body copies the billing address this update gives.
      if (patch.address) {
        out = writeAddress(patch.address, 'shipping.address', losses);
        losses.push({ field: 'shipping.address', kind: 'lossy', message: `${title} is sent the billing address as the shipping address.` });
        losses.push({
          field: 'shipping.same_as_billing',
          kind: 'lossy',
          message: `${title} has no same-as-billing flag: the billing address given is copied to the shipping address, which will not follow later billing changes.`,
        });
      } else {
        losses.push({
          field: 'shipping.same_as_billing',
          kind: 'unsupported',
          message: `${title} has no same-as-billing flag, and this update gives no billing address to copy; the shipping address is left as is.`,
        });
        losses.push({ field: 'shipping.address', kind: 'inexpressible', message: `${title} leaves the shipping address as it is.` });
      }
      return out;
    }
    if (shipping.address) {
      out = writeAddress(shipping.address, 'shipping.address', losses);
      // Whether the address written is the billing address a same-as-billing shipping shows (then
      // the flag and the address stored under it are kept: src/core/apply-patch.ts) depends on the
      // stored customer, which the change does not carry: any shipping address write may be one.
      losses.push({
        field: 'shipping.address',
        kind: 'lossy',
        message: `${title} shows a same-as-billing shipping address as the billing address: one written as that is kept as it was.`,
      });
      // Bigcapital's shipping fields are the shipping address itself: writing one ends "same as billing".
      losses.push({
        field: 'shipping.same_as_billing',
        kind: 'lossy',
        message: `Writing ${title}'s shipping address ends "same as billing".`,
      });
    } else if (shipping.sameAsBilling === false) {
      losses.push({
        field: 'shipping.same_as_billing',
        kind: 'unsupported',
        message: `${title} has no same-as-billing flag; only writing a shipping address ends it.`,
      });
    }
    return out;
  }

  return { addressPatch, renderAddress, addressFrom, writeAddress, writeShipping };
}

/**
 * A country as free text: the code it names and the text as given (schemas/country.ts); the name
 * shown for a code anyway leaves a name given before for the same country as it is.
 */
export function countryOps(value: string | null): Pick<AddressPatch, 'country' | 'country_name'> {
  const read = value === null ? null : readCountryText(value);
  if (read === null) return { country: clear, country_name: clear };
  const country = read.code === null ? clear : set(read.code);
  return read.name === null ? { country } : { country, country_name: set(read.name) };
}
