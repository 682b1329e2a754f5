import { coverageOf } from '../shared/lens.ts';
import { fieldsConnhex } from './fields.ts';

export const coverageConnhex = coverageOf(fieldsConnhex);
