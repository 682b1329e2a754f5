import * as v from 'valibot';
import { AddressParam, clearable, clearableString, EmailParam, expandParam, MetadataParam, text } from '../stripe-like/index.ts';

/** What `expand[]` may name on a Wooshpay customer. */
export const expandableWooshpay = ['tax_ids', 'cash_balance', 'sources', 'tax'] as const;

/**
 * Seed 000 requires none of the members (Stripe requires name and address; Wooshpay's own document
 * does not). The hash replaces the shipping details whole: a member left out is cleared.
 */
export const ShippingParamWooshpay = v.strictObject({
  name: v.optional(text),
  phone: v.optional(text),
  address: v.optional(clearable(AddressParam)),
});

/** Seed 000: the update body. Unknown parameters are refused, as Stripe does. */
export const UpdateRequestWooshpay = v.strictObject({
  address: v.optional(clearable(AddressParam)),
  description: v.optional(text),
  email: v.optional(clearable(EmailParam)),
  metadata: v.optional(clearable(MetadataParam)),
  // Seed 000 types both as plain strings, with no limit; a phone may carry an extension.
  name: v.optional(clearableString(v.string())),
  phone: v.optional(clearableString(v.string())),
  shipping: v.optional(clearable(ShippingParamWooshpay)),
  expand: v.optional(expandParam(expandableWooshpay)),
});
export type UpdateRequestWooshpay = v.InferOutput<typeof UpdateRequestWooshpay>;

/** Create takes the same parameters. */
export const CreateRequestWooshpay = UpdateRequestWooshpay;
export type CreateRequestWooshpay = UpdateRequestWooshpay;
