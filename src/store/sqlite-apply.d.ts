import type BetterSqlite3 from 'better-sqlite3';

export interface WireStep {
  readonly sql: string;
  readonly params: readonly unknown[];
  readonly mustChange?: boolean | undefined;
  readonly mustFind?: boolean | undefined;
}
export interface WireError {
  readonly code?: string;
  readonly message: string;
  readonly stale?: true;
  readonly check?: true;
}
export type WireResult = { readonly changes: number } | { readonly error: WireError };

export function describe(error: unknown): WireError;
export function statementsOf(db: BetterSqlite3.Database): (sql: string) => BetterSqlite3.Statement<unknown[]>;
export function createApplier(
  db: BetterSqlite3.Database,
  statement?: (sql: string) => BetterSqlite3.Statement<unknown[]>,
): (units: readonly (readonly WireStep[])[]) => WireResult[];
export function cacheMbFor(fileBytes: number, mb: number): number;
export function setCacheMb(db: BetterSqlite3.Database, mb: number): number;
export function cacheKeeper(db: BetterSqlite3.Database, mb: number): () => void;
export function openConnection(
  Database: typeof BetterSqlite3,
  path: string,
  synchronous: 'full' | 'normal',
  busyTimeoutMs?: number,
): BetterSqlite3.Database;
