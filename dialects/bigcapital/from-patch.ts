import {
  type Address,
  type AddressOp,
  type AddressPatch,
  type CustomerPatch,
  clear,
  countryName,
  type FieldOp,
  set,
} from '../../schemas/index.ts';
import type { Loss, Translation } from '../../src/contract/dialect.ts';
import { keepAccepted } from '../shared/translate-guard.ts';
import { type AddressPrefix, addressMembersBigcapital, plainFieldsBigcapital } from './mapping.ts';
import { UpdateRequestBigcapital } from './request.ts';

// The inverse of mapping.ts's toPatch. Every clear is sent as null: Bigcapital also reads "" as a
// clear, but refuses "" for an email, so one form serves every field.

const title = 'Bigcapital';

type Body = Record<string, unknown>;

/** The canonical field behind each property, for loss reports. */
type Origins = Map<string, string>;

/** Bigcapital reads "" as a clear, so a value set to "" cannot survive the trip: it becomes null. */
function textValue(op: FieldOp<string>, field: string, losses: Loss[]): string | null {
  if (op.op === 'clear') return null;
  if (op.value === '') {
    losses.push({ field, kind: 'lossy', message: `${title} reads an empty value as a clear: ${field} is cleared, not set to "".` });
    return null;
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

/** The flat `<prefix>…` properties for an address operation. */
function writeAddress(op: AddressOp, prefix: AddressPrefix, field: string, body: Body, origins: Origins, losses: Loss[]): void {
  const put = (property: string, value: string | null, member: string) => {
    body[property] = value;
    origins.set(property, `${field}.${member}`);
  };
  const members = op.op === 'merge' ? op.value : wholeAddress(op.op === 'set' ? op.value : null);
  for (const [suffix, member] of Object.entries(addressMembersBigcapital)) {
    const memberOp = members[member];
    if (memberOp) put(`${prefix}${suffix}`, textValue(memberOp, `${field}.${member}`, losses), member);
  }
  if (members.country || members.country_name) put(`${prefix}Country`, countryValue(members), 'country');
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

/**
 * Bigcapital's shipping is an address and nothing else: no recipient name or phone, and no
 * same-as-billing flag (writing any shipping property ends Meteroid's flag).
 */
function writeShipping(patch: CustomerPatch, body: Body, origins: Origins, losses: Loss[]): void {
  const op = patch.shipping;
  if (!op) return;
  if (op.op === 'clear') {
    writeAddress(clear, 'shippingAddress', 'shipping.address', body, origins, losses);
    losses.push({
      field: 'shipping',
      kind: 'inexpressible',
      message: `${title} clears the shipping address fields only; the recipient name and phone it cannot show are kept.`,
    });
    return;
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
  if (shipping.sameAsBilling === true) {
    // What Bigcapital shows for a same-as-billing shipping address is the billing address, so the
    // closest body copies the billing address this update gives.
    if (patch.address) {
      writeAddress(patch.address, 'shippingAddress', 'shipping.address', body, origins, losses);
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
    return;
  }
  if (shipping.address) {
    writeAddress(shipping.address, 'shippingAddress', 'shipping.address', body, origins, losses);
    if (shipping.address.op === 'clear' || patch.address) {
      losses.push({
        field: 'shipping.address',
        kind: 'lossy',
        message: `${title} shows a same-as-billing shipping address as the billing address: one written as that is kept as it was.`,
      });
    }
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
}

/** Canonical patch -> Bigcapital PUT body (only what Bigcapital writes; the required properties are reported when missing). */
export function fromPatch(patch: CustomerPatch): Translation {
  const body: Body = {};
  const origins: Origins = new Map();
  const losses: Loss[] = [];
  // A clear of either cannot be sent (the coverage reports it); the property is then missing.
  if (patch.customer_type?.op === 'set') body.customerType = patch.customer_type.value;
  if (patch.name?.op === 'set') body.displayName = patch.name.value;
  origins.set('customerType', 'customer_type').set('displayName', 'name');
  for (const [property, field] of Object.entries(plainFieldsBigcapital)) {
    const op = patch[field];
    if (!op) continue;
    body[property] = textValue(op, field, losses);
    origins.set(property, field);
  }
  if (patch.active) {
    // null puts back the default, true.
    body.active = patch.active.op === 'set' ? patch.active.value : null;
    origins.set('active', 'active');
  }
  if (patch.address) writeAddress(patch.address, 'billingAddress', 'address', body, origins, losses);
  writeShipping(patch, body, origins, losses);

  const accepted = keepAccepted(UpdateRequestBigcapital.entries, body, { title, fieldOf: (p) => origins.get(p) ?? p }, losses);
  if (accepted.customerType === undefined) {
    losses.push({
      field: 'customerType',
      kind: 'required',
      message: `${title} requires customerType (such as business or individual) on every PUT; supply it.`,
    });
  }
  if (accepted.displayName === undefined) {
    losses.push({ field: 'displayName', kind: 'required', message: `${title} requires a non-empty displayName on every PUT; supply it.` });
  }
  return { body: accepted, losses };
}
