import type * as v from 'valibot';
import { requestStripe } from '../stripe-like/fields.ts';
import { fieldsWooshpay } from './fields.ts';

/**
 * The Wooshpay API reference's update body, from the field table (fields.ts): every member optional
 * (Stripe requires a shipping name and address; Wooshpay's own document does not); unknown
 * parameters are refused, as Stripe does.
 */
export const UpdateRequestWooshpay = requestStripe(fieldsWooshpay);
export type UpdateRequestWooshpay = v.InferOutput<typeof UpdateRequestWooshpay>;

/** Create takes the same parameters. */
export const CreateRequestWooshpay = UpdateRequestWooshpay;
export type CreateRequestWooshpay = UpdateRequestWooshpay;
