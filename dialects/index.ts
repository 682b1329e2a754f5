import type { AnyDialect, DialectName } from '../src/dialect.ts';
import { bigcapital } from './bigcapital/index.ts';
import { meteroid } from './meteroid/index.ts';
import { connhex } from './connhex/index.ts';
import { wooshpay } from './wooshpay/index.ts';
import { zenskar } from './zenskar/index.ts';

/**
 * The static registry: the only place the gateway learns of dialects. Adding a dialect is one
 * import and one line here; a missing one will not compile once its name is in DialectName.
 */
export const dialects = {
  wooshpay,
  bigcapital,
  meteroid,
  connhex,
  zenskar,
} satisfies Record<DialectName, AnyDialect>;
