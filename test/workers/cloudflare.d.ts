// Just the parts of the Workers test runtime's modules that the workers project uses, typed
// against src/store/d1.ts, so the one Node type check covers these files too.
declare module 'cloudflare:test' {
  import type { D1Database } from '../../src/store/d1.ts';

  export interface D1Migration {
    readonly name: string;
    readonly queries: string[];
  }
  export const env: {
    readonly DB: D1Database;
    readonly TEST_MIGRATIONS: D1Migration[];
    readonly [variable: string]: unknown;
  };
  export const SELF: { fetch(input: string | Request, init?: RequestInit): Promise<Response> };
  export function createExecutionContext(): import('hono').ExecutionContext;
  export function waitOnExecutionContext(ctx: import('hono').ExecutionContext): Promise<void>;
  export function applyD1Migrations(db: D1Database, migrations: D1Migration[], table?: string): Promise<void>;
}
