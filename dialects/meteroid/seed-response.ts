import * as v from 'valibot';
import { responseEntries } from '../shared/lens.ts';
import { fieldsMeteroid } from './fields.ts';

// The Meteroid API reference's Customer (the response), from the field table (fields.ts), as a
// check on what we render.

export const CustomerResponseMeteroid = v.object(responseEntries(fieldsMeteroid));
