import type { CompiledQuery } from 'kysely';
import { MissingReference, type SqlExecutor, StaleWrite, type Step, UniqueViolation, uniqueTarget } from './executor.ts';

// The slice of Cloudflare's D1 binding the executor uses, declared here so that this module (and
// the Node type check) does not need the Workers global types.
export interface D1Meta {
  readonly changes: number;
}
export interface D1Result<T = unknown> {
  readonly results: T[];
  readonly meta: D1Meta;
}
export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  all<T = Record<string, unknown>>(): Promise<D1Result<T>>;
  run(): Promise<D1Result>;
}
export interface D1Database {
  prepare(sql: string): D1PreparedStatement;
  batch(statements: D1PreparedStatement[]): Promise<D1Result[]>;
}

/**
 * D1 runs a batch as one transaction and rolls it back when any statement fails, but it cannot be
 * told "undo everything if this UPDATE changed no row": it only reports changes after the batch
 * has committed. So each mustChange step is followed by a guard statement that fails inside the
 * batch when the step changed nothing. SQLite's RAISE() exists only in triggers; json_extract()
 * with an invalid path is an ordinary statement error whose message carries the path, so the
 * marker below tells a lost compare-and-set apart from any other failure.
 */
const staleMarker = 'custgate:stale-write';
const guardSql = "select json_extract('{}', ?) where changes() = 0";

function messages(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) parts.push(e.message);
  return parts.join(' | ');
}

/** Turns a D1 failure into the store's errors (unique violation, lost compare-and-set). */
function translate(error: unknown): unknown {
  const text = messages(error);
  if (text.includes(staleMarker)) return new StaleWrite();
  // D1 reports no result codes, only SQLite's messages.
  if (text.includes('UNIQUE constraint failed')) return new UniqueViolation(uniqueTarget(text));
  if (text.includes('FOREIGN KEY constraint failed')) return new MissingReference();
  return error;
}

export class D1Executor implements SqlExecutor {
  readonly backend = 'd1' as const;
  readonly db: D1Database;

  constructor(db: D1Database) {
    this.db = db;
  }

  #statement(query: CompiledQuery): D1PreparedStatement {
    const statement = this.db.prepare(query.sql);
    return query.parameters.length > 0 ? statement.bind(...query.parameters) : statement;
  }

  async all<R>(query: CompiledQuery<R>): Promise<R[]> {
    try {
      return (await this.#statement(query).all<R>()).results;
    } catch (error) {
      throw translate(error);
    }
  }

  async run(query: CompiledQuery): Promise<number> {
    try {
      return (await this.#statement(query).run()).meta.changes;
    } catch (error) {
      throw translate(error);
    }
  }

  async atomic(steps: readonly Step[]): Promise<void> {
    const statements: D1PreparedStatement[] = [];
    for (const step of steps) {
      statements.push(this.#statement(step.query));
      if (step.mustChange) statements.push(this.db.prepare(guardSql).bind(staleMarker));
    }
    try {
      await this.db.batch(statements);
    } catch (error) {
      throw translate(error);
    }
  }

  async close(): Promise<void> {
    // The binding belongs to the Workers runtime; there is nothing to close.
  }
}
