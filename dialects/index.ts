import type { AnyDialect } from '../src/contract/dialect.ts';
import type { DialectFixtures } from '../src/contract/fixtures.ts';
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

/** A dialect and the fixtures the shared suites, the benchmark and the CLI's examples drive it with. */
export interface RegistryEntry {
  readonly dialect: AnyDialect;
  readonly fixtures: DialectFixtures;
}

/** Dialects keyed by name (each key is its dialect's `name`). */
export type Registry = Readonly<Record<string, RegistryEntry>>;

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

/** The runtime side of a registry: its dialects by name. */
export const dialectsOf = <R extends Registry>(entries: R): { readonly [K in keyof R]: R[K]['dialect'] } =>
  Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, entry.dialect])) as {
    readonly [K in keyof R]: R[K]['dialect'];
  };

export const dialects = dialectsOf(registry);

export const dialectNames = Object.keys(registry) as DialectName[];

/** The fixtures of a registered dialect. */
export function fixturesOf(dialect: AnyDialect, entries: Registry = registry): DialectFixtures {
  const entry = entries[dialect.name];
  if (!entry) throw new Error(`no dialect ${dialect.name} in the registry`);
  return entry.fixtures;
}
