import { fromPatchOf } from '../shared/lens.ts';
import { fieldsZenskar } from './fields.ts';

// Canonical patch -> Zenskar update body, from the field table (fields.ts): null clears; addresses
// patch member by member; custom_data and tax_info are replaced whole.

export const fromPatch = fromPatchOf(fieldsZenskar);
