import type { AnyDialect } from '../src/dialect.ts';
import { bigcapital } from './bigcapital/index.ts';
import { connhex } from './connhex/index.ts';
import { meteroid } from './meteroid/index.ts';
import { wooshpay } from './wooshpay/index.ts';
import { zenskar } from './zenskar/index.ts';

/**
 * The static registry: the only place the gateway learns of dialects. Adding a dialect is its
 * folder, one import and one line here; every name, audience and list in src/ derives from it.
 */
export const dialects = {
  wooshpay,
  bigcapital,
  meteroid,
  connhex,
  zenskar,
} satisfies Registry;

/** A set of dialects keyed by name (each key is its dialect's `name`). */
export type Registry = Readonly<Record<string, AnyDialect>>;

export type DialectName = keyof typeof dialects;

export const dialectNames = Object.keys(dialects) as DialectName[];
