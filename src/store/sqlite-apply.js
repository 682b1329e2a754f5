// @ts-check
// The SQLite write path, shared by the writer thread (sqlite-writer.js) and the in-thread fallback
// (sqlite.ts, for `:memory:`, which one connection only can see). Plain JavaScript because a
// worker thread starts without the tsx loader the rest of the sources run under.

/**
 * @typedef {{ sql: string, params: unknown[], mustChange?: boolean | undefined, mustFind?: boolean | undefined }} WireStep
 * @typedef {{ code?: string, message: string, stale?: true, check?: true }} WireError
 * @typedef {{ changes: number } | { error: WireError }} WireResult
 */

const stale = Symbol('stale write');
const checkFailed = Symbol('check failed');

/** @param {unknown} error @returns {WireError} */
export function describe(error) {
  if (error === stale) return { message: 'stale write', stale: true };
  if (error === checkFailed) return { message: 'a check of the write found a change', check: true };
  if (error instanceof Error) {
    const code = 'code' in error ? String(error.code) : undefined;
    return code === undefined ? { message: error.message } : { code, message: error.message };
  }
  return { message: String(error) };
}

/**
 * A connection's statements, each prepared once per distinct SQL text: preparing costs more than
 * running a point query.
 * @param {import('better-sqlite3').Database} db
 * @returns {(sql: string) => import('better-sqlite3').Statement<unknown[]>}
 */
export function statementsOf(db) {
  /** @type {Map<string, import('better-sqlite3').Statement<unknown[]>>} */
  const statements = new Map();
  return (sql) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
}

/**
 * Group commit on one connection: the units of a batch run one after another, each in its own
 * savepoint, inside one transaction, so they share one commit (with synchronous=FULL, one fsync).
 * A unit that fails is undone alone; every other unit's outcome is exactly what it would be alone
 * in that order. Some errors (I/O, full disk) roll back the whole transaction: then every unit of
 * the batch gets that error and nothing of it was kept.
 * @param {import('better-sqlite3').Database} db
 * @param {(sql: string) => import('better-sqlite3').Statement<unknown[]>} [statement] the connection's statements (`statementsOf`)
 * @returns {(units: readonly (readonly WireStep[])[]) => WireResult[]}
 */
export function createApplier(db, statement = statementsOf(db)) {
  const unit = db.transaction((/** @type {readonly WireStep[]} */ steps) => {
    let total = 0;
    for (const step of steps) {
      // A read the unit was decided on (executor.ts, `mustFind`): on this connection, in this
      // transaction, it sees what the write commits over, so no read has to come before it.
      if (step.mustFind) {
        if (statement(step.sql).get(...step.params) === undefined) throw checkFailed;
        continue;
      }
      const changes = statement(step.sql).run(...step.params).changes;
      if (step.mustChange && changes === 0) throw stale;
      total += changes;
    }
    return total;
  });
  // Called inside `group`, `unit` runs as a savepoint.
  const group = db.transaction((/** @type {readonly (readonly WireStep[])[]} */ units, /** @type {WireResult[]} */ results) => {
    for (const [i, steps] of units.entries()) {
      try {
        results[i] = { changes: unit(steps) };
      } catch (error) {
        if (!db.inTransaction) throw error;
        results[i] = { error: describe(error) };
      }
    }
  });
  return (units) => {
    /** @type {WireResult[]} */
    const results = [];
    try {
      // IMMEDIATE: the write lock is taken at BEGIN, so a lock another process holds fails the batch
      // once, after busy_timeout, instead of once per unit inside it.
      if (units.length === 1) results.push({ changes: unit.immediate(/** @type {readonly WireStep[]} */ (units[0])) });
      else group.immediate(units, results);
    } catch (error) {
      const failed = { error: describe(error) };
      return units.map(() => failed);
    }
    return results;
  };
}

/**
 * The write connection's cache for a file of `fileBytes`: about a 32nd of it, between the driver's
 * 16 MB and `mb`. On a large store an update descends four B-trees of four levels, and with 16 MB
 * the leaves it reads push their interior pages out (docs/performance.md, "A million customers":
 * about 9 MB of them at 1,000,000 customers, 2.5 GB); a small store needs none of that, and the
 * pages a connection writes stay in its cache as the ones it reads do, so a busy small store filled
 * a fixed 64 MB with event pages never read again (docs/performance.md, "The seventeenth round").
 * @param {number} fileBytes
 * @param {number} mb
 */
export function cacheMbFor(fileBytes, mb) {
  return Math.min(Math.floor(mb), Math.max(16, Math.floor(fileBytes / 32 / 1048576)));
}

/**
 * Sizes a write connection's page cache to its file (cacheMbFor); 0 leaves the driver's
 * (better-sqlite3: 16 MB).
 * @param {import('better-sqlite3').Database} db
 * @param {number} mb
 * @returns {number} the cache set, in MB (0: the driver's)
 */
export function setCacheMb(db, mb) {
  if (mb <= 0) return 0;
  const pages = Number(db.pragma('page_count', { simple: true }));
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const fitted = cacheMbFor(pages * pageSize, mb);
  db.pragma(`cache_size = -${fitted * 1024}`);
  return fitted;
}

/** Commits between two sizings of the write connection's cache: a pragma pair, a few µs. */
const refitCommits = 2000;

/**
 * Sizes the write connection's cache now and returns what each writer calls after a commit, so
 * the cache follows the file as it grows (every `refitCommits` commits).
 * @param {import('better-sqlite3').Database} db
 * @param {number} mb
 * @returns {() => void}
 */
export function cacheKeeper(db, mb) {
  setCacheMb(db, mb);
  let commits = 0;
  return () => {
    if (++commits % refitCommits === 0) setCacheMb(db, mb);
  };
}

/**
 * Opens a connection with the gateway's settings.
 * @param {typeof import('better-sqlite3')} Database
 * @param {string} path
 * @param {'full' | 'normal'} synchronous
 * @param {number} [busyTimeoutMs] how long a write waits for another process's write lock
 */
export function openConnection(Database, path, synchronous, busyTimeoutMs = 5000) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  db.pragma('foreign_keys = ON');
  return db;
}
