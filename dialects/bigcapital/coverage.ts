import { coverageOf } from '../shared/lens.ts';
import { fieldsBigcapital } from './fields.ts';

export const coverageBigcapital = coverageOf(fieldsBigcapital);
