import { coverageOf } from '../shared/lens-coverage.ts';
import { fieldsZenskar } from './fields.ts';

export const coverageZenskar = coverageOf(fieldsZenskar);
