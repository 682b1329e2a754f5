import { clear, clearToEmpty, type FieldOp, set } from '../../schemas/index.ts';

/**
 * A text parameter as a canonical operation: "" or null clears ("" keeps a stored ""), text sets, absent (undefined)
 * leaves the field unchanged. Stripe-like bodies clear with "", Bigcapital and Zenskar with null too.
 */
export function textOp(value: string | null): FieldOp<string>;
export function textOp(value: string | null | undefined): FieldOp<string> | undefined;
export function textOp(value: string | null | undefined): FieldOp<string> | undefined {
  if (value === undefined) return undefined;
  if (value === null) return clear;
  // "" written back where "" is stored (and shown) keeps it: schemas/patch.ts, ClearOp.keepsEmpty.
  return value === '' ? clearToEmpty : set(value);
}
