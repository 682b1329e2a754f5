import type { AnyDialect } from '../src/contract/dialect.ts';
import type { DialectFixtures } from '../src/contract/fixtures.ts';
import { dialectsOf, fixturesOf as fixturesIn, type Registry } from '../src/contract/registry.ts';
import { bigcapital } from './bigcapital/index.ts';
import { fixturesBigcapital } from './bigcapital/fixtures.ts';
import { connhex } from './connhex/index.ts';
import { fixturesConnhex } from './connhex/fixtures.ts';
import { meteroid } from './meteroid/index.ts';
import { fixturesMeteroid } from './meteroid/fixtures.ts';
import { wooshpay } from './wooshpay/index.ts';
import { fixturesWooshpay } from './wooshpay/fixtures.ts';
import { zenskar } from './zenskar/index.ts';
import { fixturesZenskar } from './zenskar/fixtures.ts';

/**
 * The static registry: the only place the gateway learns of dialects. Adding a dialect is its
 * folder, its imports and one line here; every name, audience and list in src/ derives from it.
 */
export const registry = {
  wooshpay: { dialect: wooshpay, fixtures: fixturesWooshpay },
  bigcapital: { dialect: bigcapital, fixtures: fixturesBigcapital },
  meteroid: { dialect: meteroid, fixtures: fixturesMeteroid },
  connhex: { dialect: connhex, fixtures: fixturesConnhex },
  zenskar: { dialect: zenskar, fixtures: fixturesZenskar },
} satisfies Registry;

export type DialectName = keyof typeof registry;

export const dialects = dialectsOf(registry);

export const dialectNames = Object.keys(registry) as DialectName[];

/** The fixtures of a registered dialect (of this registry unless another is given). */
export const fixturesOf = (dialect: AnyDialect, entries: Registry = registry): DialectFixtures => fixturesIn(dialect, entries);

export { dialectsOf, type Registry, type RegistryEntry } from '../src/contract/registry.ts';
