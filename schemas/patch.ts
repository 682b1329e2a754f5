import type { Address, CustomerFields, Metadata, Shipping, TaxId } from './customer.ts';

// Each dialect's wire form of "leave it", "set it" and "clear it" differs ("" in Stripe-like
// dialects, null in Bigcapital and Zenskar, impossible in Meteroid). The canonical patch makes the
// three explicit, plus "merge" for objects whose members are patched one by one.

export interface SetOp<T> {
  readonly op: 'set';
  readonly value: T;
}
export interface ClearOp {
  readonly op: 'clear';
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

/** Merge sets or deletes single keys (Stripe's metadata); set replaces the whole map (Zenskar). */
export type MetadataOp = SetOp<Metadata> | ClearOp | MergeOp<Readonly<Record<string, FieldOp<unknown>>>>;

/**
 * Set replaces the whole list (Zenskar's tax_info); merge replaces, per tax id type (compared
 * case-insensitively), the entries of that type and keeps the others (Meteroid's vat_number is
 * the "VAT" entry); a cleared type removes its entries.
 */
export type TaxIdsOp = SetOp<TaxId[]> | ClearOp | MergeOp<Readonly<Record<string, FieldOp<TaxId>>>>;

type Plain = Exclude<keyof CustomerFields, 'address' | 'shipping' | 'metadata' | 'tax_ids'>;

export type CustomerPatch = {
  readonly [K in Plain]?: FieldOp<NonNullable<CustomerFields[K]>>;
} & {
  readonly address?: AddressOp;
  readonly shipping?: ShippingOp;
  readonly metadata?: MetadataOp;
  readonly tax_ids?: TaxIdsOp;
};

export const set = <T>(value: T): SetOp<T> => ({ op: 'set', value });
export const clear: ClearOp = Object.freeze({ op: 'clear' });
export const merge = <P>(value: P): MergeOp<P> => ({ op: 'merge', value });
