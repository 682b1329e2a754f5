// @ts-check
// The writer thread (sqlite.ts starts it): owns the one write connection, so the commit and its
// fsync never block the event loop that serves requests. Batches arrive as messages; while a
// commit runs, the messages that arrive wait in the port, and all of them are applied in the next
// transaction (setImmediate runs after the port has delivered everything pending): a real group
// commit, one fsync per batch, however many requests arrived during the previous one.
// It also answers reads the main thread sends it (a write's read of its customer): in WAL mode a
// connection's page cache is emptied whenever another connection has committed, so the main
// thread's reads start cold after every group commit, while this connection's cache survives its
// own commits (docs/performance.md, "A million customers"). A read is answered when it arrives,
// outside any transaction: it sees every commit so far, this thread's and other processes'.
//
// Checkpoints: by default SQLite runs one inside the commit that takes the WAL past 1,000 pages, and
// every write of that group waits for the copy and the database file's fsync. With
// CUSTGATE_SQLITE_CHECKPOINT=thread a second thread (sqlite-checkpointer.js) checkpoints on its own
// connection instead, and this connection's automatic checkpoint is raised to a bound it reaches
// only if that thread falls behind or fails. Not the default: on this project's disk it took the
// checkpoints out of synchronous=NORMAL's commit tail, but made synchronous=FULL's commits slower
// (two fsyncs at once) and costs a thread (docs/performance.md, "The update's tail").
import { appendFileSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createApplier, describe, openConnection, setCacheMb, statementsOf } from './sqlite-apply.js';

/** @typedef {import('./sqlite-apply.js').WireStep} WireStep */
/** @typedef {{ read: number, sql: string, params: unknown[] }} ReadMessage */

const port = parentPort;
if (!port) throw new Error('sqlite-writer.js runs as a worker thread');
const { path, synchronous, busyTimeoutMs, checkpoint, cacheMb, trace } =
  /** @type {{ path: string, synchronous: 'full' | 'normal', busyTimeoutMs: number, checkpoint: 'thread' | 'inline', cacheMb: number, trace?: string }} */ (
    workerData
  );
const db = openConnection(Database, path, synchronous, busyTimeoutMs);
setCacheMb(db, cacheMb);
const statement = statementsOf(db);
const apply = createApplier(db, statement);

// The bound: 16,000 pages (64 MB of 4 KiB pages), reached only when the checkpoint thread lags.
const walBoundPages = 16_000;
// The checkpoint thread is asked when this many frames wait to be copied (SQLite's own automatic
// checkpoint's default: each of its fsyncs of the database file can slow a commit's fsync of the
// WAL on the same disk, so no more of them than SQLite would run), or after a second without commits.
const checkpointFrames = 1000;
const idleMs = 1000;

/** Per-commit and per-checkpoint timings, appended to `trace` (CUSTGATE_SQLITE_WRITER_TRACE) as CSV. */
const lines = /** @type {string[]} */ ([]);
const record = trace
  ? (/** @type {string} */ kind, /** @type {number} */ started, /** @type {number} */ ms, /** @type {string | number} */ detail) => {
      lines.push(`${kind},${(performance.timeOrigin + started).toFixed(1)},${ms.toFixed(3)},${detail}\n`);
    }
  : undefined;
if (trace) setInterval(() => lines.length > 0 && appendFileSync(trace, lines.splice(0).join('')), 1000).unref();
const walBytes = () => {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
};

// The WAL's length in frames: mxFrame of the wal-index header, the first field after 16 bytes of
// the shm file (https://sqlite.org/walformat.html#the_wal_index_file_format), in the machine's
// byte order. Read without SQLite's locks: only to decide when to ask for a checkpoint.
const frame = Buffer.alloc(4);
/** @type {number | undefined} */
let shm;
const walFrames = () => {
  try {
    shm ??= openSync(`${path}-shm`, 'r');
    readSync(shm, frame, 0, 4, 16);
    return endianness() === 'LE' ? frame.readUInt32LE(0) : frame.readUInt32BE(0);
  } catch {
    return 0;
  }
};

/** @type {(() => void) | undefined} */
let askCheckpoint;
/** @type {Worker | undefined} */
let checkpointer;
if (checkpoint === 'thread') {
  db.pragma(`wal_autocheckpoint = ${walBoundPages}`);
  let running = false;
  let lastCommit = 0;
  // The frame the last checkpoint copied up to; the WAL starts again from frame 0 after a reset.
  let copiedTo = 0;
  const waiting = () => {
    const frames = walFrames();
    return frames < copiedTo ? frames : frames - copiedTo;
  };
  const asked = { at: 0 };
  checkpointer = new Worker(new URL('./sqlite-checkpointer.js', import.meta.url), { workerData: { path, synchronous, busyTimeoutMs } });
  checkpointer.on('message', (/** @type {{ busy: number, log: number, checkpointed: number, ms: number }} */ result) => {
    running = false;
    if (result.checkpointed >= 0) copiedTo = result.checkpointed;
    record?.('checkpoint', asked.at, result.ms, `${result.log}/${result.checkpointed}/${result.busy}`);
  });
  // Without the thread, SQLite's own checkpoint in the commit is back; nothing is lost either way.
  const fallBack = () => {
    checkpointer = undefined;
    db.pragma('wal_autocheckpoint = 1000');
  };
  checkpointer.on('error', fallBack);
  checkpointer.on('exit', fallBack);
  checkpointer.unref();
  /** @param {number} atLeast frames waiting to be copied */
  const ask = (atLeast) => {
    if (!checkpointer || running || waiting() < atLeast) return;
    running = true;
    asked.at = performance.now();
    checkpointer.postMessage('checkpoint');
  };
  // As often as SQLite's own (every 1,000 frames), and once the commits stop, for the WAL's tail.
  askCheckpoint = () => {
    lastCommit = performance.now();
    ask(checkpointFrames);
  };
  setInterval(() => performance.now() - lastCommit > idleMs && ask(1), idleMs).unref();
}

/** @type {{ ids: number[], units: (readonly WireStep[])[] }} */
let queue = { ids: [], units: [] };
let scheduled = false;

function flush() {
  scheduled = false;
  const { ids, units } = queue;
  queue = { ids: [], units: [] };
  if (units.length === 0) return;
  const started = performance.now();
  const results = apply(units);
  if (record) record('commit', started, performance.now() - started, `${units.length}/${walBytes()}`);
  port?.postMessage({ ids, results });
  askCheckpoint?.();
}

/** @param {ReadMessage} message */
function read({ read, sql, params }) {
  try {
    port?.postMessage({ read, rows: statement(sql).all(...params) });
  } catch (error) {
    port?.postMessage({ read, error: describe(error) });
  }
}

port.on('message', (/** @type {{ ids: number[], units: (readonly WireStep[])[] } | ReadMessage | 'close'} */ message) => {
  if (message !== 'close' && 'read' in message) {
    read(message);
    return;
  }
  if (message === 'close') {
    flush();
    db.close();
    port?.close();
    return;
  }
  queue.ids.push(...message.ids);
  queue.units.push(...message.units);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
