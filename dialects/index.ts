import type { AnyDialect, DialectName } from '../src/dialect.ts';
import { wooshpay } from './wooshpay/index.ts';
import { zenskar } from './zenskar/index.ts';

/**
 * The static registry: the only place the gateway learns of dialects. Adding a dialect is one
 * import and one line here; a missing one will not compile once its name is in DialectName.
 */
export const dialects: Partial<Record<DialectName, AnyDialect>> = {
  wooshpay,
  zenskar,
};
