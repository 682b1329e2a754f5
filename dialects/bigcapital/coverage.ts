import { coverageOf } from '../shared/lens-coverage.ts';
import { fieldsBigcapital } from './fields.ts';

export const coverageBigcapital = coverageOf(fieldsBigcapital);
