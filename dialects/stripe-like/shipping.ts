import * as v from 'valibot';
import { type Customer, clear, merge, type ShippingOp } from '../../schemas/index.ts';
import { type Loss, shownText } from '../../src/contract/dialect.ts';
import { member, readWrite } from '../shared/lens-members.ts';
import { textOp } from '../shared/text-op.ts';
import {
  AddressParamStripe,
  AddressResponseStripe,
  addressFromStripe,
  addressOp,
  emptiedMembers,
  lostMembers,
  noneAsEmpty,
  renderAddress,
  shownString,
} from './fields.ts';
import { clearable, hash, isCleared, text } from './request.ts';

// Stripe's shipping hash (Stripe's API reference, "Update a customer": shipping.name, .phone and
// .address), a member of a Stripe-like field table: replaced whole, never patched member by member.

/** Every member optional (Stripe requires name and address; a provider's own reference may not). */
const ShippingParamStripe = v.strictObject({
  name: v.optional(text),
  phone: v.optional(text),
  address: v.optional(clearable(hash(AddressParamStripe))),
});
type ShippingParamStripe = v.InferOutput<typeof ShippingParamStripe>;

const addressMembers = Object.keys(AddressParamStripe.entries) as (keyof AddressParamStripe)[];

/**
 * The hash replaces the shipping details whole, so every member it can show is set or cleared; the
 * members it cannot (line3, a contact email and phone, a country name) are kept, and whether the
 * address is still the billing address is src/core/apply-patch.ts's to say (it is, if nothing changed).
 */
function shippingOp(param: '' | null | ShippingParamStripe): ShippingOp {
  if (isCleared(param)) return clear;
  // A member left out is cleared as "" clears (a stored "" stays); one sent as null is none.
  const given: Readonly<Record<string, string | null | undefined>> =
    param.address === null ? Object.fromEntries(addressMembers.map((m) => [m, null])) : param.address === '' ? {} : (param.address ?? {});
  const address = Object.fromEntries(addressMembers.map((m) => [m, given[m] === undefined ? '' : given[m]])) as AddressParamStripe;
  const member = (value: string | null | undefined) => textOp(value === undefined ? '' : value);
  return merge({ name: member(param.name), phone: member(param.phone), address: addressOp(address) });
}

/**
 * The hash is sent whole (name and address required); the members it cannot show are kept by the
 * write, so a source that sets them differently loses them. A member-by-member change cannot be
 * sent as a whole hash: it is left out (the member declares it unsent).
 */
function shippingSent(title: string, op: ShippingOp, losses: Loss[]): unknown {
  if (op.op === 'clear') return '';
  if (op.op === 'merge') return undefined;
  const { name, phone, address, same_as_billing } = op.value;
  if (same_as_billing)
    losses.push({ field: 'shipping.same_as_billing', kind: 'unsupported', message: `${title} has no same-as-billing flag.` });
  if (name === null) losses.push({ field: 'shipping.name', kind: 'required', message: `${title} requires shipping[name] with shipping.` });
  for (const [m, value] of [
    ['name', name],
    ['phone', phone],
  ] as const) {
    if (value === '')
      losses.push({
        field: `shipping.${m}`,
        kind: 'lossy',
        message: `${title} reads "" as a clear: shipping.${m} is cleared, not set to "".`,
      });
  }
  lostMembers(address, 'shipping.address', losses, true);
  emptiedMembers(address, 'shipping.address', losses);
  // A member left out of the hash is read as "" is (a stored "" stays), where the source's none empties it.
  noneAsEmpty(phone == null ? ['phone'] : [], 'shipping', losses);
  noneAsEmpty(
    addressMembers.filter((m) => address?.[m] == null),
    'shipping.address',
    losses,
  );
  const sent: Record<string, string> = {};
  for (const m of addressMembers) {
    const value = address?.[m];
    if (value) sent[m] = value;
  }
  return { name: name ?? '', ...(phone ? { phone } : {}), address: sent };
}

/** Stripe's shipping hash, as a provider named `title` takes it. */
export const shippingMember = (title: string, note: string) =>
  member('shipping', {
    param: clearable(hash(ShippingParamStripe)),
    shown: v.nullable(v.object({ address: AddressResponseStripe, name: shownString, phone: shownString })),
    write: { ...readWrite, mode: 'replace' },
    // The provider's reference types shipping as an object (no "" form), and a hash replaces.
    unsent: ['clear', 'merge'],
    note,
    toPatch: (param: '' | null | ShippingParamStripe) => ({ shipping: shippingOp(param) }),
    // Meteroid's "same as billing" is shown as the billing address, which is what it means.
    render: (c: Customer) =>
      c.shipping
        ? {
            address: renderAddress(c.shipping.same_as_billing ? c.address : (c.shipping.address ?? null)),
            name: c.shipping.name,
            phone: c.shipping.phone,
          }
        : null,
    fromPatch: ({ shipping }, losses) => (shipping ? shippingSent(title, shipping, losses) : undefined),
    // The hash as shown: its name, phone and address (members merged); no hash, no shipping.
    parse: (shown) => {
      const hash = shown && typeof shown === 'object' ? (shown as Record<string, unknown>) : undefined;
      return {
        shipping: hash
          ? merge({ name: shownText(hash.name), phone: shownText(hash.phone), address: addressFromStripe(hash.address) })
          : clear,
      };
    },
  });
