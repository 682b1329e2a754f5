import { fromPatchStripe } from '../stripe-like/fields.ts';
import { fieldsConnhex } from './fields.ts';
import { UpdateRequestConnhex } from './request.ts';

/**
 * Canonical patch -> Connhex update body (only the fields Connhex writes). Its parameters carry the
 * canonical names, so each property is its own field in the loss report.
 */
export const fromPatch = fromPatchStripe(fieldsConnhex, UpdateRequestConnhex.entries, 'Connhex');
