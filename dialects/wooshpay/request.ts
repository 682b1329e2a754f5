import * as v from 'valibot';
import { AddressParam, clearable, EmailParam, expandParam, MetadataParam, NameParam, PhoneParam, text } from '../stripe-like/index.ts';

/** What `expand[]` may name on a Wooshpay customer. */
export const expandableWooshpay = ['tax_ids', 'cash_balance', 'sources', 'tax'] as const;

export const ShippingParamWooshpay = v.strictObject({
  name: text,
  phone: v.optional(text),
  address: AddressParam,
});

/** Seed 000: the update body. Unknown parameters are refused, as Stripe does. */
export const UpdateRequestWooshpay = v.strictObject({
  address: v.optional(clearable(AddressParam)),
  description: v.optional(text),
  email: v.optional(clearable(EmailParam)),
  metadata: v.optional(clearable(MetadataParam)),
  name: v.optional(NameParam),
  phone: v.optional(PhoneParam),
  shipping: v.optional(clearable(ShippingParamWooshpay)),
  expand: v.optional(expandParam(expandableWooshpay)),
});
export type UpdateRequestWooshpay = v.InferOutput<typeof UpdateRequestWooshpay>;

/** Create takes the same parameters. */
export const CreateRequestWooshpay = UpdateRequestWooshpay;
export type CreateRequestWooshpay = UpdateRequestWooshpay;
