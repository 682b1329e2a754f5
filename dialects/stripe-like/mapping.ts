import {
  type Address,
  type AddressOp,
  type AddressPatch,
  type CustomerPatch,
  clear,
  type FieldOp,
  type MetadataOp,
  merge,
  set,
  setText,
  type TextSetOp,
} from '../../schemas/index.ts';
import type { AddressParamStripe } from './request.ts';

import { textOp } from '../shared/text-op.ts';

export { textOp };

/** The fields every Stripe-like update takes alike: name, email, phone, description, address. */
export function commonPatch(body: {
  readonly name?: string | undefined;
  readonly email?: string | undefined;
  readonly phone?: string | undefined;
  readonly description?: string | undefined;
  readonly address?: '' | AddressParamStripe | undefined;
}): { -readonly [K in keyof CustomerPatch]: CustomerPatch[K] } {
  const patch: { -readonly [K in keyof CustomerPatch]: CustomerPatch[K] } = {};
  if (body.name !== undefined) patch.name = textOp(body.name);
  if (body.email !== undefined) patch.email = textOp(body.email);
  if (body.phone !== undefined) patch.phone = textOp(body.phone);
  if (body.description !== undefined) patch.description = textOp(body.description);
  if (body.address !== undefined) patch.address = addressOp(body.address);
  return patch;
}

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

/**
 * `metadata=""` clears all keys; `metadata[k]=""` deletes one; other keys merge. Values are text:
 * one that is how a stored number or object is shown (Zenskar's custom_data) keeps that value.
 */
export function metadataOp(param: '' | Record<string, string>): MetadataOp {
  if (param === '') return clear;
  const ops: Record<string, FieldOp<unknown> | TextSetOp> = {};
  for (const [key, value] of Object.entries(param)) ops[key] = value === '' ? clear : setText(value);
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
