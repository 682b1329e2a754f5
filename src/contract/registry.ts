import type { AnyDialect } from './dialect.ts';
import type { DialectFixtures } from './fixtures.ts';

// The registry's shape and the helpers that read it. The static registry itself is
// dialects/index.ts, imported only by src/entries/ and bin/; every other module receives one.

/** A dialect and the fixtures the shared suites, the benchmark and the CLI's examples drive it with. */
export interface RegistryEntry {
  readonly dialect: AnyDialect;
  readonly fixtures: DialectFixtures;
}

/** Dialects keyed by name (each key is its dialect's `name`). */
export type Registry = Readonly<Record<string, RegistryEntry>>;

/** The runtime side of a registry: its dialects by name. */
export const dialectsOf = <R extends Registry>(entries: R): { readonly [K in keyof R]: R[K]['dialect'] } =>
  Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, entry.dialect])) as {
    readonly [K in keyof R]: R[K]['dialect'];
  };

/** A registry's dialects, in registration order. */
export const dialectList = (entries: Registry): AnyDialect[] => Object.values(entries).map((entry) => entry.dialect);

/** The dialect registered under `name` (own keys only: `__proto__` is no dialect's name). */
export const registeredDialect = (entries: Registry, name: string): AnyDialect | undefined =>
  Object.hasOwn(entries, name) ? entries[name]?.dialect : undefined;

/** The fixtures of a registered dialect. */
export function fixturesOf(dialect: AnyDialect, entries: Registry): DialectFixtures {
  const entry = entries[dialect.name];
  if (!entry) throw new Error(`no dialect ${dialect.name} in the registry`);
  return entry.fixtures;
}

/** Dialects by name, loaded only when asked for: what a command that may need few of them takes. */
export interface DialectSource {
  /** Every registered name, in registration order, without loading any. */
  readonly names: readonly string[];
  /** The registered dialects among `names` (unknown names are left out), each loaded once. */
  load(names: Iterable<string>): Promise<AnyDialect[]>;
}

/** A source over per-dialect loaders (dialects/lazy.ts): each dialect's code is imported on first use. */
export function lazyDialects(loaders: Readonly<Record<string, () => Promise<AnyDialect>>>): DialectSource {
  const loaded = new Map<string, Promise<AnyDialect>>();
  const one = (name: string) => {
    const loader = Object.hasOwn(loaders, name) ? loaders[name] : undefined;
    if (!loader) return undefined;
    const pending = loaded.get(name) ?? loader();
    loaded.set(name, pending);
    return pending;
  };
  return {
    names: Object.keys(loaders),
    load: async (names) => (await Promise.all([...new Set(names)].map(one))).filter((d): d is AnyDialect => d !== undefined),
  };
}
