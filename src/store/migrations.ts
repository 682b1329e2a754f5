import type { Kysely, Migration } from 'kysely';
import { migrations0001 } from './migrations-0001.ts';
import { migrations0010 } from './migrations-0010.ts';
import { migrations0025 } from './migrations-0025.ts';
import { migrations0057 } from './migrations-0057.ts';

// One source of truth for every backend: written with kysely's schema builder only (no driver
// calls), so the same migrations run on SQLite and PostgreSQL and compile to SQL files for D1.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's table types
export type AnyDb = Kysely<any>;

/** Every migration, oldest first: a part per file, each kept as it was (a migration once run is never edited). */
export const migrations: Record<string, Migration> = { ...migrations0001, ...migrations0010, ...migrations0025, ...migrations0057 };
