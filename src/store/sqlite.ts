import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { MessagePort } from 'node:worker_threads';
import type { SqlExecutor, Step } from './executor.ts';
import { cacheKeeper, createApplier, openConnection, type WireStep } from './sqlite-apply.js';
import { checkpointThread, defaultCheckpointFrames } from './sqlite-checkpoints.js';
import { classify, portWriter, threadWriter, type Timed, type Writer, writerCacheMb } from './sqlite-writers.ts';
import { migrations } from './migrations.ts';
import { newerSchemaError } from './newer-schema.ts';
import type { SqliteOptions } from './sqlite-options.ts';
import { currentTrace, type RequestTrace, traceNow } from '../request-trace.ts';

export type { SqliteOptions } from './sqlite-options.ts';

type Param = string | number | bigint | Buffer | null;

// Taken when the module loads, so a test that fakes timers later cannot stall every write.
const nextTurn = globalThis.setImmediate;

const wire = (steps: readonly Step[]): WireStep[] =>
  steps.map((s) => ({ sql: s.query.sql, params: s.query.parameters, mustChange: s.mustChange, mustFind: s.mustFind }));

/** A write waiting for the group commit. */
interface Unit {
  readonly steps: readonly WireStep[];
  readonly resolve: (changes: number) => void;
  readonly reject: (error: unknown) => void;
  /** The sampled request's trace (only with SqliteOptions.requestTrace). */
  readonly trace: RequestTrace | undefined;
}

/** Marks a batch's traced units handed now, and gives the writer's times to them when they come back. */
function timedUnits(units: readonly Unit[]): Timed | undefined {
  const traces = units.flatMap((u) => (u.trace ? [u.trace] : []));
  if (traces.length === 0) return undefined;
  const handed = traceNow();
  for (const t of traces) t.handed = handed;
  return (started, committed, back) => {
    for (const t of traces) Object.assign(t, { started, committed, back });
  };
}

export class SqliteExecutor implements SqlExecutor {
  readonly backend = 'sqlite' as const;
  // A write's unit checks the tenant's upstream counter on the write connection (sqlite-apply.js)
  // instead of the main thread reading it first: after every commit of the writer thread that read
  // starts from an emptied page cache (docs/performance.md, "A million customers").
  readonly checksInWrite = true;
  /** The main thread's connection: reads (from WAL snapshots), migrations, and `inline` writes. */
  readonly db: Database.Database;
  /** Where writes run: `thread` (a file's default) or `inline` (`:memory:`, which one connection only sees). */
  readonly writerKind: 'thread' | 'inline';
  // Statements are prepared once per distinct SQL text and reused: preparing costs more than
  // running a point query.
  readonly #statements = new Map<string, Database.Statement<Param[]>>();
  readonly #options: SqliteOptions;
  #writer: Writer | undefined;
  #queue: Unit[] = [];
  readonly #tracing: boolean;
  // PRAGMA data_version moves when another connection (the writer thread, another process)
  // commits, never for this connection's own commits (https://sqlite.org/pragma.html#pragma_data_version):
  // the inline writer's commits move #epoch themselves.
  readonly #dataVersion: Database.Statement<[], number>;
  #lastDataVersion = -1;
  #epoch = 0;

  constructor(options: SqliteOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.#options = options;
    this.#tracing = options.requestTrace === true;
    this.db = openConnection(Database, options.path, options.synchronous ?? 'full', options.busyTimeoutMs ?? 100);
    this.writerKind = options.writerPort || !(options.path === ':memory:' || options.writer === 'inline') ? 'thread' : 'inline';
    // Writes on this connection: its automatic checkpoint is the one that runs.
    if (this.writerKind === 'inline' && options.checkpointPages !== undefined)
      this.db.pragma(`wal_autocheckpoint = ${options.checkpointPages}`);
    this.#dataVersion = this.db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  readEpoch(): number {
    const version = this.#dataVersion.get() as number;
    if (version !== this.#lastDataVersion) {
      this.#lastDataVersion = version;
      this.#epoch++;
    }
    return this.#epoch;
  }

  #writerFor(): Writer {
    if (this.#writer) return this.#writer;
    if (this.#options.writerPort) {
      this.#writer = portWriter(this.#options.writerPort);
    } else if (this.writerKind === 'thread') {
      this.#writer = threadWriter(this.#options);
    } else {
      const refit = cacheKeeper(this.db, writerCacheMb(this.#options));
      const apply = createApplier(this.db);
      const { path, synchronous = 'full', busyTimeoutMs = 100, checkpointPages = defaultCheckpointFrames } = this.#options;
      // The checkpoint thread does for this connection what it does for the writer thread's.
      const checkpoints =
        this.#options.checkpoint === 'thread' && path !== ':memory:'
          ? checkpointThread({ db: this.db, path, synchronous, busyTimeoutMs, checkpointFrames: checkpointPages })
          : undefined;
      this.#writer = {
        apply: async (units, timed) => {
          refit();
          const started = timed ? traceNow() : 0;
          const results = apply(units);
          if (timed) {
            const committed = traceNow();
            timed(started, committed, committed);
          }
          checkpoints?.afterCommit();
          return results;
        },
        read: async (sql, params, started) => {
          started?.(traceNow());
          return this.#statement(sql).all(...(params as Param[]));
        },
        close: async () => checkpoints?.stop(),
      };
    }
    return this.#writer;
  }

  /**
   * Group commit (sqlite-apply.js). Writes that arrive in the same turn of the event loop go to
   * the writer together; the writer thread adds whatever else arrived while it was committing.
   * None is reported before the commit that holds it is durable.
   */
  #enqueue(steps: readonly Step[]): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ steps: wire(steps), resolve, reject, trace: this.#tracing ? currentTrace() : undefined });
      if (this.#queue.length === 1) nextTurn(() => this.#flush());
    });
  }

  #flush(): Promise<void> {
    const units = this.#queue;
    if (units.length === 0) return Promise.resolve();
    this.#queue = [];
    // Before the batch (an inline commit happens within this call) and once it is settled: a read
    // kept under an epoch from before the commit is never served after it.
    this.#epoch++;
    return this.#writerFor()
      .apply(
        units.map((u) => u.steps),
        this.#tracing ? timedUnits(units) : undefined,
      )
      .then(
        (results) => {
          this.#epoch++;
          units.forEach((unit, i) => {
            const result = results[i];
            if (result && 'changes' in result) unit.resolve(result.changes);
            else unit.reject(classify(result?.error ?? { message: 'no result' }));
          });
        },
        (error: unknown) => {
          this.#epoch++;
          for (const unit of units) unit.reject(error);
        },
      );
  }

  #statement(sql: string): Database.Statement<Param[]> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare<Param[]>(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async all<R>(query: CompiledQuery<R>): Promise<R[]> {
    return this.#statement(query.sql).all(...(query.parameters as Param[])) as R[];
  }

  /**
   * A read a write is decided on, on the write connection: the writer thread's page cache survives
   * its own commits, while this thread's is emptied by each of them (sqlite-writer.js). It sees every
   * acknowledged write, as the write connection committed them. Inline, this thread's connection.
   */
  async allForWrite<R>(query: CompiledQuery<R>): Promise<R[]> {
    const trace = this.#tracing ? currentTrace() : undefined;
    if (!trace) return (await this.#writerFor().read(query.sql, query.parameters)) as R[];
    trace.readSent = traceNow();
    const rows = await this.#writerFor().read(query.sql, query.parameters, (at) => {
      trace.readStarted = at;
    });
    trace.readBack = traceNow();
    return rows as R[];
  }

  /**
   * A port through which another thread of this process writes on this store's writer thread
   * (SqliteOptions.writerPort); undefined when writes are inline (`:memory:`, CUSTGATE_SQLITE_WRITER=inline).
   */
  attachWriter(): MessagePort | undefined {
    if (this.writerKind !== 'thread') return undefined;
    return this.#writerFor().attach?.();
  }

  async run(query: CompiledQuery): Promise<number> {
    return this.#enqueue([{ query }]);
  }

  async atomic(steps: readonly Step[]): Promise<void> {
    await this.#enqueue(steps);
  }

  async close(): Promise<void> {
    await this.#flush();
    await this.#writer?.close();
    this.db.close();
  }

  /**
   * Applies pending migrations (kysely's Migrator, which keeps its own lock and log tables), up to
   * `target` when given (tests that fill a database as an older release left it).
   */
  async migrate(target?: string): Promise<void> {
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: this.db }) });
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    const { error } = target === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(target);
    this.#epoch++;
    if (error) throw newerSchemaError(error, Object.keys(migrations));
    // Not destroyed: that would close the shared better-sqlite3 handle.
  }
}
