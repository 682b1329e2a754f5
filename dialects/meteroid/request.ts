import type * as v from 'valibot';
import { requestEntries } from '../shared/lens.ts';
import { createEntriesMeteroid, fieldsMeteroid, jsonObject } from './fields.ts';

// The Meteroid API reference's UpdateCustomerRequest, from the field table (fields.ts): absent or
// null leaves a member unchanged, "" is stored, unknown members are ignored.

/** Each update member's schema: translation checks a value against it before sending it. */
export const updateEntries = requestEntries(fieldsMeteroid);

export const UpdateRequestMeteroid = jsonObject(updateEntries);
export type UpdateRequestMeteroid = v.InferOutput<typeof UpdateRequestMeteroid>;

/** Create: as Meteroid, a name and a currency are required; the rest as on update. */
export const CreateRequestMeteroid = jsonObject({ ...updateEntries, ...createEntriesMeteroid });
export type CreateRequestMeteroid = v.InferOutput<typeof CreateRequestMeteroid>;
