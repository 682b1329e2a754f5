import * as v from 'valibot';
import { requestEntries } from '../shared/lens.ts';
import { createEntriesBigcapital, fieldsBigcapital, requiredEntriesBigcapital } from './fields.ts';

// Bigcapital's edit-customer DTO, from the field table (fields.ts): absent is unchanged and null
// clears; unknown properties are dropped (v.object strips them).

const entries = { ...requestEntries(fieldsBigcapital), ...requiredEntriesBigcapital };

export const UpdateRequestBigcapital = v.object(entries);
export type UpdateRequestBigcapital = v.InferOutput<typeof UpdateRequestBigcapital>;

/** Create also takes the customer's currency, which an edit cannot change. */
export const CreateRequestBigcapital = v.object({ ...entries, ...createEntriesBigcapital });
export type CreateRequestBigcapital = v.InferOutput<typeof CreateRequestBigcapital>;

export type { PropertyKind } from './hooks.ts';
export { propertyKindsBigcapital } from './fields.ts';
