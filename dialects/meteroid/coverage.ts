import { coverageOf } from '../shared/lens-coverage.ts';
import { fieldsMeteroid } from './fields.ts';

export const coverageMeteroid = coverageOf(fieldsMeteroid);
