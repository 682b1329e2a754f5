import { type Rendered, renderOf, toPatchOf } from '../shared/lens.ts';
import { fieldsConnhex } from './fields.ts';

// Both directions of the server half read the field table (fields.ts).

/** Connhex body -> canonical patch: absent unchanged, "" clears (Stripe's rules). */
export const toPatch = toPatchOf(fieldsConnhex);

/** The Connhex API reference's response: exactly its properties. */
export type CustomerConnhex = Rendered<typeof fieldsConnhex>;

export const render = renderOf(fieldsConnhex);
