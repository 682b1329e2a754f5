import * as v from 'valibot';
import { responseEntries } from '../shared/lens.ts';
import { fieldsBigcapital } from './fields.ts';

// The Bigcapital API reference's 200 schema, from the field table (fields.ts), as a check on what
// we render: the required properties always present, the optional ones strings (or a number) when
// present. The id and the customer type are not in the reference's schema; Bigcapital returns
// both and clients need the id.

export const CustomerResponseBigcapital = v.object(responseEntries(fieldsBigcapital));
