import type * as v from 'valibot';
import { requestStripe } from '../stripe-like/fields.ts';
import { fieldsConnhex } from './fields.ts';

/**
 * The Connhex API reference's update body, from the field table (fields.ts), with Stripe's rules
 * (absent unchanged, "" clears, unknown refused).
 */
export const UpdateRequestConnhex = requestStripe(fieldsConnhex);
export type UpdateRequestConnhex = v.InferOutput<typeof UpdateRequestConnhex>;

/** Create takes the same parameters. */
export const CreateRequestConnhex = UpdateRequestConnhex;
export type CreateRequestConnhex = UpdateRequestConnhex;
