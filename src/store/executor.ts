import type { MessagePort } from 'node:worker_threads';
import type { CompiledQuery } from 'kysely';

// Queries are built and compiled with kysely, then run by a small executor per backend. That keeps
// one query builder for SQLite, PostgreSQL and D1 while each backend runs them its fastest way
// (prepared statements reused on better-sqlite3, batch() on D1) and with no interactive transaction.

export interface Step {
  readonly query: CompiledQuery;
  /** The step must change at least one row, or the whole unit is undone (StaleWrite). */
  readonly mustChange?: boolean;
  /**
   * The step is a read that must find a row, or the whole unit is undone (CheckFailed): what the
   * write was decided on is still so when it commits. Only where `checksInWrite`.
   */
  readonly mustFind?: boolean;
}

export type Backend = 'sqlite' | 'postgres' | 'd1';

export interface SqlExecutor {
  readonly backend: Backend;
  all<R>(query: CompiledQuery<R>): Promise<R[]>;
  /**
   * Backends whose write connection keeps a warmer cache than the readers' (SQLite's writer
   * thread): runs a read a write is about to be decided on there. It sees every acknowledged write.
   */
  allForWrite?<R>(query: CompiledQuery<R>): Promise<R[]>;
  /**
   * Backends whose planner weighs a sort against an ordered index scan by table statistics
   * (PostgreSQL): runs a read planned with sorting disabled, so that an ORDER BY … LIMIT an index
   * gives is read from that index even when stale statistics call the table empty.
   */
  allIndexOrdered?<R>(query: CompiledQuery<R>): Promise<R[]>;
  /**
   * Backends whose process keeps one writer (SQLite's writer thread): a port through which another
   * thread of the process writes there (the delivery thread, src/entries/delivery-thread.ts).
   */
  attachWriter?(): MessagePort | undefined;
  /** Runs a write; resolves to the number of rows it changed. */
  run(query: CompiledQuery): Promise<number>;
  /** Runs the steps as one atomic unit: all of them or none. */
  atomic(steps: readonly Step[]): Promise<void>;
  /**
   * Backends with row locks shared by every process (PostgreSQL): reads the rows `select` finds
   * and locks them until `plan`'s steps, run in the same transaction, have committed. Waits for a
   * lock at most `waitMs`, then throws LockTimeout.
   */
  exclusive?<R, T>(
    select: CompiledQuery<R>,
    plan: (rows: R[]) => { readonly steps: readonly Step[]; readonly value: T },
    waitMs: number,
  ): Promise<T>;
  /**
   * Backends with a cheap check that nothing changed (SQLite): a number that moves whenever a
   * commit may have changed what the next read sees, by any connection or process. Read it before
   * the query whose result is kept under it. Without it, reads are never served from a cache.
   */
  readEpoch?(): number;
  /** True when a unit's steps may include `mustFind` reads (PostgreSQL: one statement; SQLite: on the write connection). */
  readonly checksInWrite?: boolean;
  close(): Promise<void>;
}

/** A row lock was not granted within its bound. */
export class LockTimeout extends Error {
  constructor() {
    super('lock wait timed out');
    this.name = 'LockTimeout';
  }
}

/** Which unique identifier a write collided with. */
export type UniqueTarget = 'alias' | 'external_id' | 'public_id' | 'number' | 'version' | 'idempotency' | 'link' | 'proxy' | 'other';

export class UniqueViolation extends Error {
  readonly target: UniqueTarget;
  constructor(target: UniqueTarget) {
    super(`unique violation: ${target}`);
    this.name = 'UniqueViolation';
    this.target = target;
  }
}

/** A row names a parent that does not exist (a customer of a tenant that was never created). */
export class MissingReference extends Error {
  constructor() {
    super('foreign key violation');
    this.name = 'MissingReference';
  }
}

/** The store cannot take a write now (SQLite: another process holds the write lock); retry soon. */
export class StoreBusy extends Error {
  constructor() {
    super('store busy');
    this.name = 'StoreBusy';
  }
}

// PostgreSQL's SQLSTATEs (its manual, appendix A), by what a client can tell of them: 57014
// query_canceled (the statement timeout) is a store that did not answer in time; 57P01
// admin_shutdown (a fast shutdown, a failover, pg_terminate_backend), 57P02 crash_shutdown and
// class 08 connection_exception end a connection; 53300 too_many_connections and 57P03
// cannot_connect_now refuse a new one, as do 08001 and 08004 (class 08 otherwise).
const unavailableCodes = new Map<string, StoreUnavailableCause>([
  ['57014', 'timeout'],
  ['57P01', 'lost'],
  ['57P02', 'lost'],
  ['ECONNRESET', 'lost'],
  ['EPIPE', 'lost'],
  ['53300', 'refused'],
  ['57P03', 'refused'],
  ['08001', 'refused'],
  ['08004', 'refused'],
  ['ECONNREFUSED', 'refused'],
]);
// node-postgres's own words for a connection that ended or a pool wait that passed (no code).
const unavailableMessages = new Map<string, StoreUnavailableCause>([
  ['timeout exceeded when trying to connect', 'timeout'],
  ['Connection terminated unexpectedly', 'lost'],
  ['Connection terminated', 'lost'],
]);

/** Why the store could not serve a request: each is told to the client in its own words. */
export type StoreUnavailableCause = 'timeout' | 'lost' | 'refused';

/**
 * The store did not answer in time, would not take the connection, or lost it: PostgreSQL
 * cancelled the statement at CUSTGATE_PG_STATEMENT_TIMEOUT_MS, has too many connections or cannot
 * take one yet, ended the connection (restarted, failed over, or an operator's
 * pg_terminate_backend), the pool found none free within CUSTGATE_PG_CONNECT_TIMEOUT_MS, or the
 * server refused the connection. Nothing in the request is wrong and its transaction was rolled
 * back (unless the connection ended during its COMMIT, which no client of PostgreSQL can tell from a
 * lost connection): a 503 to retry, as SQLite's busy store is (StoreBusy), not a 500. Undefined for
 * any other error.
 */
export function storeUnavailable(error: unknown): StoreUnavailableCause | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    const cause = unavailableCodes.get(code) ?? (code.startsWith('08') ? 'lost' : undefined);
    if (cause) return cause;
  }
  return unavailableMessages.get(error.message);
}

/** A `mustFind` step found nothing: the unit was undone, as what it was decided on changed. */
export class CheckFailed extends Error {
  constructor() {
    super('a check of the write found a change');
    this.name = 'CheckFailed';
  }
}

/** A compare-and-set lost: someone else wrote the row first. */
export class StaleWrite extends Error {
  constructor() {
    super('stale write');
    this.name = 'StaleWrite';
  }
}

/**
 * Maps a driver's unique-constraint message to the identifier. SQLite and D1 name the columns
 * ("UNIQUE constraint failed: customers.tenant_id, customers.alias"); PostgreSQL names the
 * index or constraint ("customers_alias_unique"). Both contain the column name.
 */
export function uniqueTarget(message: string): UniqueTarget {
  if (message.includes('customer_events')) return 'version';
  if (message.includes('idempotency_keys')) return 'idempotency';
  if (message.includes('upstream_links')) return 'link';
  // A tenant's second proxy (migration 0058): PostgreSQL names the index, SQLite and D1 its column.
  if (message.includes('upstreams_one_proxy') || message.includes('upstreams.tenant_id')) return 'proxy';
  for (const target of ['external_id', 'alias', 'public_id', 'number'] as const) {
    if (message.includes(target)) return target;
  }
  return 'other';
}
