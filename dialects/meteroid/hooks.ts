import {
  type AddressOp,
  type AddressPatch,
  clear,
  type FieldOp,
  isCountryCode,
  merge,
  type ShippingOp,
  set,
  type TaxId,
  type TaxIdsOp,
} from '../../schemas/index.ts';
import type { Loss } from '../../src/contract/dialect.ts';
import type { AddressTable } from '../shared/address-lens.ts';

// What Meteroid's field table (fields.ts) cannot say member by member: an address replaced whole,
// the shipping address sent with its `same_as_billing` flag, and the one VAT number standing for
// the tax ids. Each reads the address members from the table it is given.

/** The tax id type Meteroid's VAT number reads and writes. */
export const vatType = 'VAT';

/** The country an EU-style VAT number starts with ("DE123…" -> DE; Greece writes "EL"), if any. */
export function vatCountry(vatNumber: string): string | null {
  const prefix = vatNumber.trim().slice(0, 2).toUpperCase();
  if (prefix === 'EL') return 'GR';
  return /^[A-Z]{2}$/.test(prefix) && isCountryCode(prefix) ? prefix : null;
}

/** The VAT entry of the canonical tax ids, the one Meteroid shows. */
export const vatEntry = (taxIds: readonly TaxId[]): TaxId | undefined => taxIds.find((t) => t.type?.toUpperCase() === vatType);

const isVat = (type: string | null): boolean => type?.toUpperCase() === vatType;

const loss = (field: string, kind: Loss['kind'], message: string): Loss => ({ field, kind, message });

/** A VAT number shown -> the tax id it stands for. */
export const vatShown = (vat: string): TaxId => ({ type: vatType, value: vat, country: vatCountry(vat) });

function vatNumber(entry: TaxId, losses: Loss[]): string | undefined {
  if (entry.value === null) {
    losses.push(loss('tax_ids.VAT', 'inexpressible', 'Meteroid cannot store a VAT tax id without a number; it is left out.'));
    return undefined;
  }
  // Meteroid keeps the number only; type and country are derived from it when read back.
  const country = vatCountry(entry.value);
  if (entry.type !== vatType || entry.country !== country) {
    losses.push(
      loss(
        'tax_ids.VAT',
        'lossy',
        `Meteroid stores only the VAT number; its country is taken from the number's prefix (${country ?? 'none'}).`,
      ),
    );
  }
  return entry.value;
}

/** The tax ids' change -> the VAT number sent, or undefined to leave it out. */
export function vatSent(op: TaxIdsOp, losses: Loss[]): string | undefined {
  if (op.op === 'clear') return undefined;
  const unsupported = (type: string | null) => {
    const message = `Meteroid carries only the VAT tax id; ${type ?? 'an untyped'} tax id is left out.`;
    losses.push(loss(`tax_ids.${type ?? 'untyped'}`, 'unsupported', message));
  };
  if (op.op === 'merge') {
    let out: string | undefined;
    for (const [type, typeOp] of Object.entries(op.value)) {
      if (!isVat(type)) unsupported(type);
      else if (typeOp.op === 'clear')
        losses.push(loss('tax_ids.VAT', 'inexpressible', 'Meteroid cannot remove a VAT number; it is left out.'));
      else out = vatNumber(typeOp.value, losses);
    }
    return out;
  }
  const vats = op.value.filter((t) => isVat(t.type));
  for (const t of op.value) if (!isVat(t.type)) unsupported(t.type);
  losses.push(loss('tax_ids', 'inexpressible', 'Meteroid sets only the VAT number: tax ids not in the list are kept, not removed.'));
  if (vats.length > 1) losses.push(loss('tax_ids.VAT', 'unsupported', 'Meteroid has one VAT number: only the first is sent.'));
  const [first] = vats;
  return first ? vatNumber(first, losses) : undefined;
}

/** Members Meteroid's address cannot show: a write through it keeps them as they are. */
const kept = ['line3', 'email', 'phone', 'country_name'] as const;

const memberOp = (value: unknown): FieldOp<string> => (typeof value === 'string' ? set(value) : clear);

type Body = Record<string, unknown>;

/** The address and shipping hooks, for the address members of `table`. */
export function addressHooks(table: AddressTable) {
  const pairs = Object.entries(table).flatMap(([wire, m]) => (m.to === null ? [] : [[wire, m.to] as const]));
  const members = pairs.map(([, to]) => to);

  /**
   * Meteroid replaces an address whole: every member it knows is set or cleared. The members it
   * cannot show (Zenskar's line3, Bigcapital's contact email and phone, a country given as a name
   * that names no country) are kept: a write replaces only what the dialect can express.
   */
  const addressOp = (param: Readonly<Record<string, unknown>>): AddressOp =>
    merge(Object.fromEntries(pairs.map(([wire, to]) => [to, memberOp(param[wire])])) as AddressPatch);

  /**
   * Replaces what Meteroid shows of shipping (flag and address); a name or phone stored elsewhere
   * stays. Same as billing, the address shown is the billing address, so the address sent with the
   * flag says nothing of the shipping address and leaves it as it is.
   */
  const shippingOp = (param: { readonly same_as_billing: boolean; readonly address?: Body | null | undefined }): ShippingOp => {
    if (param.same_as_billing) return merge({ same_as_billing: set(true) });
    const address = param.address === null || param.address === undefined ? clear : addressOp(param.address);
    return merge({ same_as_billing: set(false), address });
  };

  /**
   * An address Meteroid stores whole, or undefined to leave it out. A merge is sent as the members
   * it sets (the coverage table reports that the others go). `keepable` is false for the shipping
   * address, which Meteroid always replaces with its flag: leaving it out would clear it anyway.
   */
  function addressSent(op: AddressOp, field: string, losses: Loss[], keepable: boolean): Record<string, string> | undefined {
    // {} empties every member Meteroid knows; absent would leave the address as it is.
    if (op.op === 'clear') {
      for (const m of kept) {
        losses.push(loss(`${field}.${m}`, 'inexpressible', `Meteroid cannot clear an address's ${m}; a stored one is kept.`));
      }
      return {};
    }
    const out: Record<string, string> = {};
    if (op.op === 'set') {
      for (const [wire, to] of pairs) {
        const value = op.value[to];
        if (value != null) out[wire] = value;
      }
      for (const m of kept) {
        if (op.value[m] != null) losses.push(loss(`${field}.${m}`, 'unsupported', `Meteroid addresses have no ${m}; it is left out.`));
      }
      return out;
    }
    const patch = op.value;
    for (const [wire, to] of pairs) {
      const memberOp = patch[to];
      if (memberOp?.op === 'set') out[wire] = memberOp.value;
    }
    for (const m of kept) {
      if (patch[m]) losses.push(loss(`${field}.${m}`, 'unsupported', `Meteroid addresses have no ${m}; it is left out.`));
    }
    // A merge naming every member ({} when it clears them all) is a whole address.
    if (Object.keys(out).length > 0 || !keepable || members.every((m) => patch[m])) {
      // Replaced whole, a member left out is none. A clear that came in as "" keeps a stored ""
      // (schemas/patch.ts, ClearOp.keepsEmpty), and Meteroid keeps the "" it is given: "" would set
      // one where another value is stored, so neither form says it without the stored value.
      for (const m of members) {
        const memberOp = patch[m];
        if (memberOp?.op === 'clear' && memberOp.keepsEmpty) {
          const message = `Meteroid replaces the address whole and has no clear that keeps a stored "": a stored "" ${m} is cleared, not kept.`;
          losses.push(loss(`${field}.${m}`, 'lossy', message));
        }
      }
      return out;
    }
    // Nothing to set: {} would empty the whole address to clear a member or two, so nothing is sent.
    for (const m of members) {
      if (patch[m]?.op === 'clear') {
        const message = 'Meteroid cannot clear one address member without replacing the whole address; it is left out.';
        losses.push(loss(`${field}.${m}`, 'inexpressible', message));
      }
    }
    return undefined;
  }

  function shippingSent(op: ShippingOp, losses: Loss[]): Body | undefined {
    // Not same-as-billing and no address: what Meteroid stores as no shipping.
    if (op.op === 'clear') {
      for (const m of ['name', 'phone'] as const) {
        losses.push(loss(`shipping.${m}`, 'inexpressible', `Meteroid cannot clear a shipping ${m}; a stored one is kept.`));
      }
      return { same_as_billing: false };
    }
    if (op.op === 'set') {
      const { name, phone, same_as_billing, address } = op.value;
      if (name !== null) losses.push(loss('shipping.name', 'unsupported', 'Meteroid has no shipping name; it is left out.'));
      if (phone !== null) losses.push(loss('shipping.phone', 'unsupported', 'Meteroid has no shipping phone; it is left out.'));
      const out: Body = { same_as_billing };
      if (same_as_billing) {
        // Same as billing, Meteroid leaves the shipping address as it is.
        losses.push(loss('shipping.address', 'inexpressible', 'Meteroid keeps the shipping address when same_as_billing is true.'));
      } else if (address) out.address = addressSent({ op: 'set', value: address }, 'shipping.address', losses, false);
      return out;
    }
    const patch = op.value;
    for (const m of ['name', 'phone'] as const) {
      if (patch[m]) losses.push(loss(`shipping.${m}`, 'unsupported', `Meteroid has no shipping ${m}; it is left out.`));
    }
    if (!patch.same_as_billing && !patch.address) return undefined;
    let sameAsBilling = false;
    if (patch.same_as_billing) sameAsBilling = patch.same_as_billing.op === 'set' && patch.same_as_billing.value;
    else {
      // A shipping address given without the flag is one of its own.
      losses.push(
        loss(
          'shipping_address.same_as_billing',
          'required',
          'Meteroid requires same_as_billing with a shipping address; it is sent as false.',
        ),
      );
    }
    const out: Body = { same_as_billing: sameAsBilling };
    if (sameAsBilling) {
      if (patch.address)
        losses.push(loss('shipping.address', 'inexpressible', 'Meteroid keeps the shipping address when same_as_billing is true.'));
      return out;
    }
    // An absent shipping address is how Meteroid clears it.
    if (patch.address?.op === 'clear') return out;
    if (patch.address) {
      const address = addressSent(patch.address, 'shipping.address', losses, false);
      if (address) out.address = address;
    } else {
      losses.push(
        loss('shipping.address', 'inexpressible', 'Meteroid sends the shipping address with its flag: not given, it is cleared.'),
      );
    }
    return out;
  }

  /** A merge naming every member Meteroid writes replaces exactly what it says (Stripe sends all). */
  const isWhole = (op: AddressOp | undefined): boolean => op?.op === 'merge' && members.every((m) => op.value[m]);

  return { addressOp, shippingOp, addressSent, shippingSent, isWhole };
}

/** A shipping address as shown -> the canonical shipping: same as billing, the flag says it all. */
export function shippingShown(shown: unknown, addressFrom: (value: unknown) => AddressOp): ShippingOp {
  if (!shown || typeof shown !== 'object') return merge({ same_as_billing: set(false), address: clear });
  const s = shown as Record<string, unknown>;
  return merge(
    s.same_as_billing === true ? { same_as_billing: set(true) } : { same_as_billing: set(false), address: addressFrom(s.address) },
  );
}
