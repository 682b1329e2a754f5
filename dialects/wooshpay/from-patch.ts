import { fromPatchStripe } from '../stripe-like/fields.ts';
import { fieldsWooshpay } from './fields.ts';
import { UpdateRequestWooshpay } from './request.ts';

/** Canonical patch -> Wooshpay update body (only the fields Wooshpay writes, only values it accepts). */
export const fromPatch = fromPatchStripe(fieldsWooshpay, UpdateRequestWooshpay.entries, 'Wooshpay');
