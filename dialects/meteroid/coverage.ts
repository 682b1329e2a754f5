import { coverageOf } from '../shared/lens.ts';
import { fieldsMeteroid } from './fields.ts';

export const coverageMeteroid = coverageOf(fieldsMeteroid);
