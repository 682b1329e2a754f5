import { coverageOf } from '../shared/lens-coverage.ts';
import { fieldsConnhex } from './fields.ts';

export const coverageConnhex = coverageOf(fieldsConnhex);
