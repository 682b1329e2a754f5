import { coverageOf } from '../shared/lens-coverage.ts';
import { fieldsWooshpay } from './fields.ts';

export const coverageWooshpay = coverageOf(fieldsWooshpay);
