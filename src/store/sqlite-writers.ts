import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { CheckFailed, MissingReference, StaleWrite, StoreBusy, UniqueViolation, uniqueTarget } from './executor.ts';
import type { WireError, WireResult, WireStep } from './sqlite-apply.js';
import type { SqliteOptions } from './sqlite-options.ts';
import { traceNow } from '../request-trace.ts';

// The SQLite executor's ways to its write connection's thread (sqlite.ts): the thread it starts
// (sqlite-writer.js), or, for another thread of the process, a port attached to that one.

/** The store's error for a failed write, from the code and message the applier reports. */
export function classify(error: WireError): Error {
  if (error.stale) return new StaleWrite();
  if (error.check) return new CheckFailed();
  // By extended result code: a foreign-key failure is no unique clash, and must not be retried as one.
  if (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new UniqueViolation(uniqueTarget(error.message));
  }
  if (error.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return new MissingReference();
  if (error.code?.startsWith('SQLITE_BUSY')) return new StoreBusy();
  return Object.assign(new Error(error.message), { name: 'SqliteError', code: error.code });
}

/** The write connection's page cache (SqliteOptions.writerCacheMb). */
export const writerCacheMb = (options: SqliteOptions) => options.writerCacheMb ?? 64;

/** When the writer began a traced batch's transaction and committed it, and when its answer was back (ms since the epoch). */
export type Timed = (started: number, committed: number, back: number) => void;

/** Runs batches of units on the write connection, wherever it lives. */
export type Writer = {
  apply(units: readonly (readonly WireStep[])[], timed?: Timed): Promise<WireResult[]>;
  /** A read on the write connection; `started` hears when the writer began it (traced requests). */
  read(sql: string, params: readonly unknown[], started?: (at: number) => void): Promise<unknown[]>;
  close(): Promise<void>;
  /** A port another thread writes through to this writer (thread writers only). */
  attach?(): MessagePort;
};

/** What a writer thread is reached through: the Worker itself, or a port attached to it. */
type Channel = Worker | MessagePort;

type ReadAnswer = { read: number; rows: unknown[] } | { read: number; error: WireError };
type ReadsAnswered = { reads: ReadAnswer[]; at?: number };
type ReadMessage = { read: number; sql: string; params: readonly unknown[] };

/** Reads wait for the end of the event loop's turn: all of a turn's reads go to the writer in one message. */
const endOfTurn = globalThis.setImmediate;

/**
 * The write connection in a worker thread (sqlite-writer.js): the commit's fsync runs there, and
 * the event loop goes on serving reads and parsing the next requests meanwhile.
 */
export function threadWriter(options: SqliteOptions): Writer {
  const { path, synchronous = 'full', busyTimeoutMs = 100, checkpoint = 'inline', checkpointPages, writerTrace: trace } = options;
  const workerData = {
    path,
    synchronous,
    busyTimeoutMs,
    checkpoint,
    cacheMb: writerCacheMb(options),
    ...(checkpointPages === undefined ? {} : { checkpointFrames: checkpointPages }),
    ...(trace ? { trace } : {}),
    ...(options.requestTrace ? { timing: true } : {}),
  };
  const worker = new Worker(new URL('./sqlite-writer.js', import.meta.url), { workerData });
  const writer = writerOver(worker, (fail) => {
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with ${code}`)));
    return async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    };
  });
  return {
    ...writer,
    attach() {
      const { port1, port2 } = new MessageChannel();
      worker.postMessage({ attach: port2 }, [port2]);
      return port1;
    },
  };
}

/** Another thread's writer, reached through a port it attached (SqliteOptions.writerPort). */
export function portWriter(port: MessagePort): Writer {
  return writerOver(port, (fail) => {
    const closed = () => fail(new Error('its port closed'));
    port.on('close', closed);
    return async () => {
      port.off('close', closed);
      port.close();
    };
  });
}

/**
 * Batches and reads over a channel to a writer thread; `watch` reports the channel's failure and
 * gives what ends it once nothing is outstanding.
 */
function writerOver(worker: Channel, watch: (fail: (error: Error) => void) => () => Promise<void>): Writer {
  const pending = new Map<number, (result: WireResult) => void>();
  const reads = new Map<number, { resolve: (rows: unknown[]) => void; reject: (error: Error) => void; started?: (at: number) => void }>();
  // Traced batches by the id of their first unit: the writer may fold several batches into one commit.
  const timings = new Map<number, Timed>();
  let next = 0;
  let failure: Error | undefined;
  const idle = () => pending.size === 0 && reads.size === 0;
  worker.unref();
  // The turn's reads not yet sent: they go with the turn's batch of units if one is sent, else at its end.
  let unsent: ReadMessage[] = [];
  const takeUnsent = () => {
    const taken = unsent;
    unsent = [];
    return taken;
  };
  const sendReads = () => {
    // After a failure the reads were rejected with the rest (fail, below).
    if (unsent.length > 0 && !failure) worker.postMessage({ reads: takeUnsent() });
  };
  worker.on('message', (message: { ids: number[]; results: WireResult[]; started?: number; committed?: number } | ReadsAnswered) => {
    if ('reads' in message) {
      for (const answer of message.reads) {
        const read = reads.get(answer.read);
        reads.delete(answer.read);
        if (message.at !== undefined) read?.started?.(message.at);
        if ('rows' in answer) read?.resolve(answer.rows);
        else read?.reject(classify(answer.error));
      }
    } else {
      const { ids, results } = message;
      if (message.started !== undefined && timings.size > 0) {
        const back = traceNow();
        for (const id of ids) {
          timings.get(id)?.(message.started, message.committed ?? back, back);
          timings.delete(id);
        }
      }
      ids.forEach((id, i) => {
        pending.get(id)?.(results[i] ?? { error: { message: 'no result' } });
        pending.delete(id);
      });
    }
    // Outstanding writes and reads keep the process alive (a CLI command awaiting one), nothing else.
    if (idle()) worker.unref();
  });
  const fail = (error: Error) => {
    failure = error;
    for (const settle of pending.values()) settle({ error: { message: `SQLite writer thread failed: ${error.message}` } });
    pending.clear();
    for (const read of reads.values()) read.reject(new Error(`SQLite writer thread failed: ${error.message}`));
    reads.clear();
  };
  const end = watch(fail);
  return {
    apply(units, timed) {
      if (failure) return Promise.reject(new Error(`SQLite writer thread failed: ${failure.message}`));
      const ids = units.map(() => next++);
      if (timed && ids[0] !== undefined) timings.set(ids[0], timed);
      const results = Promise.all(ids.map((id) => new Promise<WireResult>((resolve) => pending.set(id, resolve))));
      worker.ref();
      // The turn's reads were issued before this batch: they go first, as they would have alone.
      worker.postMessage(unsent.length > 0 ? { reads: takeUnsent(), ids, units } : { ids, units });
      return results;
    },
    read(sql, params, started) {
      if (failure) return Promise.reject(new Error(`SQLite writer thread failed: ${failure.message}`));
      const read = next++;
      const rows = new Promise<unknown[]>((resolve, reject) =>
        reads.set(read, started ? { resolve, reject, started } : { resolve, reject }),
      );
      worker.ref();
      if (unsent.push({ read, sql, params }) === 1) endOfTurn(sendReads);
      return rows;
    },
    async close() {
      await new Promise<void>((resolve) => {
        if (idle()) return resolve();
        worker.on('message', () => idle() && resolve());
      });
      await end();
    },
  };
}
