import { coverageOf } from '../shared/lens.ts';
import { fieldsWooshpay } from './fields.ts';

export const coverageWooshpay = coverageOf(fieldsWooshpay);
