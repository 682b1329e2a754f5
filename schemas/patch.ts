import type { Address, CustomerFields, Metadata, Shipping, TaxExempt, TaxId } from './customer.ts';

// Each dialect's wire form of "leave it", "set it" and "clear it" differs ("" in Stripe-like
// dialects, null in Bigcapital and Zenskar, impossible in Meteroid). The canonical patch makes the
// three explicit, plus "merge" for objects whose members are patched one by one.

export interface SetOp<T> {
  readonly op: 'set';
  readonly value: T;
}
export interface ClearOp {
  readonly op: 'clear';
  /**
   * Sent as "" by a dialect that reads "" as none (Stripe-like, Bigcapital, Zenskar): it keeps a
   * stored "" (Meteroid keeps the "" it is given), which that dialect shows as "", so writing back
   * what was read changes nothing. null, where a dialect takes it, clears whatever is stored.
   */
  readonly keepsEmpty?: true;
}
export interface MergeOp<P> {
  readonly op: 'merge';
  readonly value: P;
}

/** A scalar or list field: set or cleared; absent from the patch means unchanged. */
export type FieldOp<T> = SetOp<T> | ClearOp;

/** Member by member: absent members are unchanged. */
export type AddressPatch = { readonly [K in keyof Address]?: FieldOp<NonNullable<Address[K]>> };
export type AddressOp = SetOp<Address> | ClearOp | MergeOp<AddressPatch>;

export interface ShippingPatch {
  readonly name?: FieldOp<string>;
  readonly phone?: FieldOp<string>;
  readonly same_as_billing?: FieldOp<boolean>;
  readonly address?: AddressOp;
}
export type ShippingOp = SetOp<Shipping> | ClearOp | MergeOp<ShippingPatch>;

/**
 * A metadata value as a string-only dialect (Stripe's metadata) writes it: it sets the key unless
 * the stored value already shows as this text (Zenskar's 12 shown as "12"), so writing back what was
 * read keeps the stored number, boolean or object.
 */
export interface TextSetOp {
  readonly op: 'set-text';
  readonly value: string;
}

/** Merge sets or deletes single keys (Stripe's metadata); set replaces the whole map (Zenskar). */
export type MetadataOp = SetOp<Metadata> | ClearOp | MergeOp<Readonly<Record<string, FieldOp<unknown> | TextSetOp>>>;

/**
 * "Exempt, of whichever kind": Meteroid's `is_tax_exempt: true` cannot say exempt or reverse
 * charge, so it keeps a stored reverse charge and turns none into exempt.
 */
export interface ExemptOp {
  readonly op: 'exempt';
}
export type TaxExemptOp = FieldOp<TaxExempt> | ExemptOp;

/**
 * Set replaces the whole list (Zenskar's tax_info); merge replaces, per tax id type (compared
 * case-insensitively), the first entry of that type and keeps the others (Meteroid's vat_number is
 * the first "VAT" entry); a cleared type removes its entries.
 */
export type TaxIdsOp = SetOp<TaxId[]> | ClearOp | MergeOp<Readonly<Record<string, FieldOp<TaxId>>>>;

type Plain = Exclude<keyof CustomerFields, 'address' | 'shipping' | 'metadata' | 'tax_ids' | 'tax_exempt'>;

export type CustomerPatch = {
  readonly [K in Plain]?: FieldOp<NonNullable<CustomerFields[K]>>;
} & {
  readonly address?: AddressOp;
  readonly shipping?: ShippingOp;
  readonly metadata?: MetadataOp;
  readonly tax_ids?: TaxIdsOp;
  readonly tax_exempt?: TaxExemptOp;
};

export const set = <T>(value: T): SetOp<T> => ({ op: 'set', value });
export const clear: ClearOp = Object.freeze({ op: 'clear' });
/** A clear sent as "": none, and a stored "" stays (ClearOp.keepsEmpty). */
export const clearToEmpty: ClearOp = Object.freeze({ op: 'clear', keepsEmpty: true });
/** The value a clear leaves where `current` is stored and `none` is the field's unset value. */
export const clearedValue = <T>(op: ClearOp, current: T, none: T): T => (op.keepsEmpty && current === '' ? current : none);
export const merge = <P>(value: P): MergeOp<P> => ({ op: 'merge', value });
export const setText = (value: string): TextSetOp => ({ op: 'set-text', value });
export const exempt: ExemptOp = Object.freeze({ op: 'exempt' });

/** How a string-only dialect shows a metadata value: strings as they are, anything else as JSON. */
export const metadataText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

// Pure, and here rather than in the gateway core, so that a client half can resolve a change
// against the customer it applies to (a provider that replaces an object whole).

/** Metadata after a change: a merge sets or deletes single keys, a set replaces the map. */
export function metadataAfter(current: Metadata, op: MetadataOp): Metadata {
  if (op.op === 'clear') return {};
  if (op.op === 'set') return { ...op.value };
  const next: Metadata = { ...current };
  for (const [key, keyOp] of Object.entries(op.value)) {
    if (keyOp.op === 'set') next[key] = keyOp.value;
    else if (keyOp.op === 'set-text') {
      if (!(key in current) || metadataText(current[key]) !== keyOp.value) next[key] = keyOp.value;
    } else delete next[key];
  }
  return next;
}

/** The tax ids after a change (TaxIdsOp says how a merge treats each type). */
export function taxIdsAfter(current: TaxId[], op: TaxIdsOp): TaxId[] {
  if (op.op === 'clear') return [];
  if (op.op === 'set') return [...op.value];
  let next = [...current];
  for (const [type, typeOp] of Object.entries(op.value)) {
    const sameType = (t: TaxId) => t.type?.toUpperCase() === type.toUpperCase();
    if (typeOp.op === 'clear') {
      next = next.filter((t) => !sameType(t));
      continue;
    }
    // A dialect with one entry of a type (Meteroid's vat_number) shows the first: a set replaces
    // that one, in its place, and further entries of the type (which it cannot show) are kept.
    // The same number again is no change: Meteroid's vat_number written back as read would else
    // take the country another dialect gave it (Meteroid guesses one from the number's prefix) and
    // the type as it was spelt ("vat").
    const at = next.findIndex(sameType);
    if (at === -1) next.push(typeOp.value);
    else if (next[at]?.value !== typeOp.value.value) next[at] = typeOp.value;
  }
  return next;
}
