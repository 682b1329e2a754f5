import { type Rendered, renderOf, toPatchOf } from '../shared/lens.ts';
import { fieldsZenskar } from './fields.ts';

// Both directions of the server half read the field table (fields.ts).

/** Zenskar body -> canonical patch. */
export const toPatch = toPatchOf(fieldsZenskar);

/** The Zenskar API reference's CustomerResponseSchema, as rendered. */
export type CustomerZenskar = Rendered<typeof fieldsZenskar>;

export const render = renderOf(fieldsZenskar);
