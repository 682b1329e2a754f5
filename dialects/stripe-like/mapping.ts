import {
  type Address,
  type AddressOp,
  type AddressPatch,
  clear,
  type FieldOp,
  type MetadataOp,
  merge,
  set,
} from '../../schemas/index.ts';
import type { AddressParamStripe } from './request.ts';

/** "" clears, anything else sets. */
export const textOp = (value: string): FieldOp<string> => (value === '' ? clear : set(value));

/** An address hash patches member by member; "" clears the whole address. */
export function addressOp(param: '' | AddressParamStripe): AddressOp {
  if (param === '') return clear;
  const patch: { -readonly [K in keyof AddressPatch]: AddressPatch[K] } = {};
  for (const key of ['line1', 'line2', 'city', 'state', 'postal_code'] as const) {
    const value = param[key];
    if (value !== undefined) patch[key] = textOp(value);
  }
  if (param.country !== undefined) patch.country = param.country === '' ? clear : set(param.country.toUpperCase());
  return merge(patch);
}

const nullIfEmpty = (value: string | undefined): string | null => (value === undefined || value === '' ? null : value);

/** An address hash as a whole address, for hashes that replace rather than patch (shipping). */
export function addressValue(param: AddressParamStripe): Address {
  return {
    line1: nullIfEmpty(param.line1),
    line2: nullIfEmpty(param.line2),
    line3: null,
    city: nullIfEmpty(param.city),
    state: nullIfEmpty(param.state),
    postal_code: nullIfEmpty(param.postal_code),
    country: param.country ? param.country.toUpperCase() : null,
    email: null,
    phone: null,
  };
}

export { nullIfEmpty };

/** `metadata=""` clears all keys; `metadata[k]=""` deletes one; other keys merge. */
export function metadataOp(param: '' | Record<string, string>): MetadataOp {
  if (param === '') return clear;
  const ops: Record<string, FieldOp<unknown>> = {};
  for (const [key, value] of Object.entries(param)) ops[key] = value === '' ? clear : set(value);
  return merge(ops);
}

export interface AddressStripe {
  line1: string | null;
  line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
}

export function renderAddress(address: Address | null): AddressStripe | null {
  if (!address) return null;
  return {
    line1: address.line1,
    line2: address.line2,
    city: address.city,
    state: address.state,
    postal_code: address.postal_code,
    country: address.country,
  };
}

export const unixSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
