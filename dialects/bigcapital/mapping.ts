import type { CustomerPatch } from '../../schemas/index.ts';
import { type Rendered, renderOf, toPatchOf } from '../shared/lens.ts';
import { createPatchBigcapital, fieldsBigcapital } from './fields.ts';
import type { CreateRequestBigcapital, UpdateRequestBigcapital } from './request.ts';

// Both directions of the server half read the field table (fields.ts).

const fromBody = toPatchOf(fieldsBigcapital);

/** Bigcapital body -> canonical patch: absent unchanged, null (or "") clears. */
export const toPatch = (body: UpdateRequestBigcapital): CustomerPatch => fromBody(body);

export const toCreatePatch = (body: CreateRequestBigcapital): CustomerPatch => ({ ...toPatch(body), ...createPatchBigcapital(body) });

/** The Bigcapital API reference's customer, as rendered. */
export type CustomerBigcapital = Rendered<typeof fieldsBigcapital>;

export const render = renderOf(fieldsBigcapital);
