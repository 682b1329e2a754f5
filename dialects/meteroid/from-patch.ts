import * as v from 'valibot';
import type { AddressOp, CustomerPatch, FieldName, ShippingOp, TaxId, TaxIdsOp } from '../../schemas/index.ts';
import type { Loss, Translation } from '../../src/contract/dialect.ts';
import { vatCountry, vatType } from './mapping.ts';
import { updateEntries } from './request.ts';

// Canonical patch -> Meteroid update body: the inverse of toPatch (mapping.ts). Clearing a scalar,
// writing a field Meteroid lacks and merging into an object it replaces are reported by the
// coverage table (src/gateway/translate.ts); the losses here are the ones only Meteroid's wire form causes.

type Key = keyof typeof updateEntries;
type Body = Record<string, unknown>;

/** Canonical address member -> Meteroid's name for it. */
const addressMembers = {
  line1: 'line1',
  line2: 'line2',
  city: 'city',
  state: 'state',
  postal_code: 'zip_code',
  country: 'country',
} as const;
type Member = keyof typeof addressMembers;
const members = Object.keys(addressMembers) as Member[];

const loss = (field: string, kind: Loss['kind'], message: string): Loss => ({ field, kind, message });

/**
 * An address Meteroid stores whole, or undefined to leave it out. A merge is sent as the members
 * it sets (the coverage table reports that the others go). `keepable` is false for the shipping
 * address, which Meteroid always replaces with its flag: leaving it out would clear it anyway.
 */
/** Members Meteroid's address cannot show: a write through it keeps them as they are. */
const kept = ['line3', 'email', 'phone', 'country_name'] as const;

function addressParam(op: AddressOp, field: string, losses: Loss[], keepable: boolean): Record<string, string> | undefined {
  // {} empties every member Meteroid knows; absent would leave the address as it is.
  if (op.op === 'clear') {
    for (const m of kept) {
      losses.push(loss(`${field}.${m}`, 'inexpressible', `Meteroid cannot clear an address's ${m}; a stored one is kept.`));
    }
    return {};
  }
  const out: Record<string, string> = {};
  if (op.op === 'set') {
    for (const m of members) {
      const value = op.value[m];
      if (value !== null) out[addressMembers[m]] = value;
    }
    for (const m of kept) {
      if (op.value[m] != null) losses.push(loss(`${field}.${m}`, 'unsupported', `Meteroid addresses have no ${m}; it is left out.`));
    }
    return out;
  }
  const patch = op.value;
  for (const m of members) {
    const memberOp = patch[m];
    if (memberOp?.op === 'set') out[addressMembers[m]] = memberOp.value;
  }
  for (const m of kept) {
    if (patch[m]) losses.push(loss(`${field}.${m}`, 'unsupported', `Meteroid addresses have no ${m}; it is left out.`));
  }
  // A merge naming every member ({} when it clears them all) is a whole address.
  if (Object.keys(out).length > 0 || !keepable || members.every((m) => patch[m])) return out;
  // Nothing to set: {} would empty the whole address to clear a member or two, so nothing is sent.
  for (const m of members) {
    if (patch[m]?.op === 'clear') {
      const message = 'Meteroid cannot clear one address member without replacing the whole address; it is left out.';
      losses.push(loss(`${field}.${m}`, 'inexpressible', message));
    }
  }
  return undefined;
}

function shippingParam(op: ShippingOp, losses: Loss[]): Body | undefined {
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
    } else if (address) out.address = addressParam({ op: 'set', value: address }, 'shipping.address', losses, false);
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
    const address = addressParam(patch.address, 'shipping.address', losses, false);
    if (address) out.address = address;
  } else {
    losses.push(loss('shipping.address', 'inexpressible', 'Meteroid sends the shipping address with its flag: not given, it is cleared.'));
  }
  return out;
}

const isVat = (type: string | null): boolean => type?.toUpperCase() === vatType;

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

function vatParam(op: TaxIdsOp, losses: Loss[]): string | undefined {
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

/** Canonical patch -> Meteroid update body (only the fields Meteroid writes). */
export function fromPatch(patch: CustomerPatch): Translation {
  const body: Body = {};
  const losses: Loss[] = [];
  // Every value is checked against Meteroid's own schema, so the body is never refused.
  const put = (field: string, key: Key, value: unknown) => {
    const result = v.safeParse(updateEntries[key], value);
    if (result.success) body[key] = value;
    else losses.push(loss(field, 'inexpressible', `Meteroid refuses this ${key} (${result.issues[0].message}); it is left out.`));
  };

  // A cleared scalar is left out: Meteroid reads null as "unchanged" (the coverage table says so).
  const scalars = {
    alias: 'alias',
    name: 'name',
    email: 'billing_email',
    phone: 'phone',
    currency: 'currency',
    invoicing_entity_id: 'invoicing_entity_id',
  } as const;
  for (const [field, key] of Object.entries(scalars) as [keyof typeof scalars, Key][]) {
    const op = patch[field];
    if (op?.op === 'set') put(field, key, op.value);
  }
  // Lists are replaced whole, so [] is how Meteroid clears them.
  if (patch.invoicing_emails) {
    put('invoicing_emails', 'invoicing_emails', patch.invoicing_emails.op === 'set' ? patch.invoicing_emails.value : []);
  }
  if (patch.custom_taxes) {
    const taxes = patch.custom_taxes.op === 'set' ? patch.custom_taxes.value : [];
    if (taxes.some((t) => t.tax_code === null)) {
      losses.push(loss('custom_taxes', 'lossy', 'Meteroid requires a tax_code on every custom tax: a missing one is sent as "".'));
    }
    put(
      'custom_taxes',
      'custom_taxes',
      taxes.map((t) => ({ name: t.name, rate: t.rate, tax_code: t.tax_code ?? '' })),
    );
  }
  if (patch.tax_exempt) {
    const op = patch.tax_exempt;
    const value = op.op === 'set' ? op.value : op.op === 'exempt' ? 'exempt' : 'none';
    // true means "exempt of either kind": it turns none into exempt and keeps a stored kind.
    if (op.op === 'set' && value !== 'none') {
      losses.push(
        loss(
          'tax_exempt',
          'lossy',
          `Meteroid has only is_tax_exempt: ${value} is sent as true, which keeps a stored kind of exemption and turns none into exempt.`,
        ),
      );
    }
    put('tax_exempt', 'is_tax_exempt', value !== 'none');
  }
  if (patch.address) {
    const address = addressParam(patch.address, 'address', losses, true);
    if (address) put('address', 'billing_address', address);
  }
  // A merge naming every member Meteroid writes replaces exactly what it says (Stripe sends all).
  const op = patch.address;
  const exact: FieldName[] = op?.op === 'merge' && members.every((m) => op.value[m]) ? ['address'] : [];
  if (patch.shipping) {
    const shipping = shippingParam(patch.shipping, losses);
    if (shipping) put('shipping', 'shipping_address', shipping);
  }
  if (patch.tax_ids) {
    const vat = vatParam(patch.tax_ids, losses);
    if (vat !== undefined) put('tax_ids.VAT', 'vat_number', vat);
  }
  return { body, losses, exact };
}
