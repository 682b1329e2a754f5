import type * as v from 'valibot';
import { requestEntries } from '../shared/lens.ts';
import { createEntriesZenskar, fieldsZenskar, model } from './fields.ts';

// The Zenskar API reference's UpdateCustomerRequestSchema, from the field table (fields.ts). Every
// property is optional and nullable: absent leaves a field unchanged, null clears it.

const entries = requestEntries(fieldsZenskar);

export const UpdateRequestZenskar = model(entries);
export type UpdateRequestZenskar = v.InferOutput<typeof UpdateRequestZenskar>;

/** Create: the same properties; a customer is created with a name (the response requires one). */
export const CreateRequestZenskar = model({ ...entries, ...createEntriesZenskar });
export type CreateRequestZenskar = v.InferOutput<typeof CreateRequestZenskar>;
