import * as v from 'valibot';
import { responseEntries } from '../shared/lens.ts';
import { fieldsWooshpay } from './fields.ts';

// The Wooshpay API reference's 200 schema (its Customer component), from the field table
// (fields.ts), as a check on what we render.

export const CustomerResponseWooshpay = v.object(responseEntries(fieldsWooshpay));
