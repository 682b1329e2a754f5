import { type Rendered, renderOf, toPatchOf } from '../shared/lens.ts';
import { fieldsMeteroid } from './fields.ts';

export { addressOp } from './fields.ts';
export { vatCountry } from './hooks.ts';

// Both directions of the server half read the field table (fields.ts).

/** Meteroid body -> canonical patch: absent and null leave a member unchanged; anything else sets it. */
export const toPatch = toPatchOf(fieldsMeteroid);

/** The Meteroid API reference's Customer, as rendered. */
export type CustomerMeteroid = Rendered<typeof fieldsMeteroid>;

export const render = renderOf(fieldsMeteroid);
