import { createHash } from 'node:crypto';

// Named prepared statements on PostgreSQL: node-postgres parses a named statement once per
// connection and afterwards sends only Bind and Execute, so the server skips parsing and planning
// a query it has seen (https://node-postgres.com/features/queries#prepared-statements). The hot
// queries are few and fixed (prepared.ts, pg-combine.ts); queries whose text varies with their
// values (lists) would fill every connection with statements used once, so only the first
// `maxNamed` texts get a name and the rest run unnamed as before.
//
// A statement prepared before another process migrated the schema can fail with "cached plan must
// not change result type" (`select *` of a table that gained a column). Such a process runs older
// code than the database: it stops naming statements and runs the failed one again unnamed.

const maxNamed = 512;

export class PreparedNames {
  #enabled: boolean;
  readonly #names = new Map<string, string>();

  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }

  /** The statement's name, the same in every process for the same text; undefined: run it unnamed. */
  nameOf(sql: string): string | undefined {
    if (!this.#enabled) return undefined;
    let name = this.#names.get(sql);
    if (name === undefined) {
      if (this.#names.size >= maxNamed) return undefined;
      name = `custgate_${createHash('sha256').update(sql).digest('hex').slice(0, 32)}`;
      this.#names.set(sql, name);
    }
    return name;
  }

  /** True when `error` is a prepared statement outdated by a schema change; naming stops. */
  outdated(error: unknown): boolean {
    // SQLSTATE 0A000 feature_not_supported, raised for a cached plan whose result type changed.
    const stale = error instanceof Error && 'code' in error && error.code === '0A000' && /cached plan/.test(error.message);
    if (stale) {
      this.#enabled = false;
      this.#names.clear();
    }
    return stale;
  }
}
