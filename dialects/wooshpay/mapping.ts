import { type Rendered, renderOf, toPatchOf } from '../shared/lens.ts';
import { fieldsWooshpay } from './fields.ts';

// Both directions of the server half read the field table (fields.ts).

/** Wooshpay body -> canonical patch: absent unchanged, "" clears. */
export const toPatch = toPatchOf(fieldsWooshpay);

/** The Wooshpay API reference's Customer object, as rendered. */
export type CustomerWooshpay = Rendered<typeof fieldsWooshpay>;

export const render = renderOf(fieldsWooshpay);
