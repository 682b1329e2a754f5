import * as v from 'valibot';
import { responseEntries } from '../shared/lens.ts';
import { fieldsConnhex } from './fields.ts';

// The Connhex API reference's response schema, from the field table (fields.ts), as a check on what
// we render. Its required properties (id, created, delinquent) are required here; the rest are
// always rendered, null when empty.

export const CustomerResponseConnhex = v.object(responseEntries(fieldsConnhex));
