import { coverageOf } from '../shared/lens.ts';
import { fieldsZenskar } from './fields.ts';

export const coverageZenskar = coverageOf(fieldsZenskar);
