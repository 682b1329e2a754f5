import {
  type CompiledQuery,
  type DatabaseConnection,
  DummyDriver,
  Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { SqlExecutor, Step } from './executor.ts';
import { migrations } from './migrations.ts';

// Turns what the store would run into plain SQL text, for the places that can only take a file:
// D1's migrations folder and `wrangler d1 execute --file`. No node: imports, no driver.

/** A SQLite literal for one bound parameter. */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as SQL`);
    return String(value);
  }
  if (typeof value === 'string') {
    // A NUL would end the string early in some SQLite front ends; no value of ours contains one.
    if (value.includes('\0')) throw new Error('cannot write a string containing NUL as SQL');
    return `'${value.replaceAll("'", "''")}'`;
  }
  throw new Error(`cannot write a ${typeof value} as SQL`);
}

/**
 * The statement with every `?` placeholder replaced by its parameter as a literal. Placeholders are
 * only looked for outside quoted identifiers and strings, so a `?` inside a name is left alone.
 */
export function inlineParameters(query: CompiledQuery): string {
  const { sql, parameters } = query;
  let out = '';
  let next = 0;
  let quote: string | undefined;
  for (const ch of sql) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
      out += ch;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      if (next >= parameters.length) throw new Error(`more placeholders than parameters in: ${sql}`);
      out += sqlLiteral(parameters[next++]);
    } else {
      out += ch;
    }
  }
  if (next !== parameters.length) throw new Error(`more parameters than placeholders in: ${sql}`);
  return out;
}

export function sqlScript(queries: readonly CompiledQuery[]): string {
  return queries.map((q) => `${inlineParameters(q)};\n`).join('');
}

/**
 * An executor that runs nothing and remembers every write, for building a script that someone else
 * runs. Reads find nothing, so only write-only operations (creating a tenant) make sense on it.
 */
export class ScriptExecutor implements SqlExecutor {
  readonly backend = 'd1' as const;
  readonly queries: CompiledQuery[] = [];

  async all<R>(): Promise<R[]> {
    return [];
  }

  async run(query: CompiledQuery): Promise<number> {
    this.queries.push(query);
    return 1;
  }

  async atomic(steps: readonly Step[]): Promise<void> {
    for (const step of steps) this.queries.push(step.query);
  }

  async close(): Promise<void> {}

  script(): string {
    return sqlScript(this.queries);
  }
}

class RecordingDriver extends DummyDriver {
  readonly queries: CompiledQuery[] = [];
  override async acquireConnection(): Promise<DatabaseConnection> {
    const queries = this.queries;
    return {
      async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
        queries.push(query);
        return { rows: [] };
      },
      async *streamQuery() {},
    };
  }
}

export interface MigrationFile {
  /** File name in D1's migrations folder: the migration's name, which starts with its number. */
  readonly name: string;
  readonly sql: string;
}

const header = (name: string) =>
  `-- Generated from src/store/migrations.ts (migration "${name}") by \`npm run d1:migrations\`. Do not edit.\n`;

/** Every migration compiled to SQLite text, in order: the contents of D1's migrations folder. */
export async function d1MigrationFiles(): Promise<MigrationFile[]> {
  const files: MigrationFile[] = [];
  for (const name of Object.keys(migrations).sort()) {
    const driver = new RecordingDriver();
    const db = new Kysely<unknown>({
      dialect: {
        createAdapter: () => new SqliteAdapter(),
        createDriver: () => driver,
        createIntrospector: (k) => new SqliteIntrospector(k),
        createQueryCompiler: () => new SqliteQueryCompiler(),
      },
    });
    await migrations[name]!.up(db);
    files.push({ name: `${name}.sql`, sql: header(name) + sqlScript(driver.queries) });
  }
  return files;
}
