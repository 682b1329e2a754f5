import * as v from 'valibot';
import { responseEntries } from '../shared/lens.ts';
import { fieldsZenskar } from './fields.ts';

// The Zenskar API reference's CustomerResponseSchema (200), from the field table (fields.ts), as a
// check on what we render: the required properties must be present with their types; the others
// may be absent, and are typed when present.

export const CustomerResponseZenskar = v.object(responseEntries(fieldsZenskar));
