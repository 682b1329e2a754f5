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
// only if that thread falls behind or fails. Not the default: it costs a thread, and whether it
// beats SQLite's own with synchronous=FULL on this project's disk is for a quiet run to say (its
// first version left the WAL growing and the copied pages unsynced, see below;
// docs/performance.md, "The update's tail").
import { appendFileSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { cacheKeeper, createApplier, describe, openConnection, statementsOf } from './sqlite-apply.js';

/** @typedef {import('./sqlite-apply.js').WireStep} WireStep */
/** @typedef {{ read: number, sql: string, params: unknown[] }} ReadMessage */

const port = parentPort;
if (!port) throw new Error('sqlite-writer.js runs as a worker thread');
const { path, synchronous, busyTimeoutMs, checkpoint, cacheMb, trace, timing } =
  /** @type {{ path: string, synchronous: 'full' | 'normal', busyTimeoutMs: number, checkpoint: 'thread' | 'inline', cacheMb: number, trace?: string, timing?: boolean }} */ (
    workerData
  );
const db = openConnection(Database, path, synchronous, busyTimeoutMs);
const refit = cacheKeeper(db, cacheMb);
const statement = statementsOf(db);
const apply = createApplier(db, statement);

// The bound: 16,000 pages (64 MB of 4 KiB pages), reached only when the checkpoint thread lags.
const walBoundPages = 16_000;
// With the thread, it is asked when this many frames wait to be copied, or after a second without
// commits; inline, SQLite's automatic checkpoint runs at this many (CUSTGATE_SQLITE_CHECKPOINT_PAGES,
// default 1,000, SQLite's own).
const checkpointFrames = /** @type {{ checkpointFrames?: number }} */ (workerData).checkpointFrames ?? 1000;
const idleMs = 1000;
// After the thread's step, once the WAL holds `resetFrames`, what arrived meanwhile is copied here,
// between two commits, if it is at most `finishFrames` frames (else the thread goes again): a
// checkpoint that reaches the WAL's last frame with no commit beside it is what lets the next
// commit start the WAL again from frame 0. Without it, under steady commits the WAL grew to the
// 16,000-page bound (63 MB) and every commit appended to it (docs/performance.md, "The update's
// tail"). It costs the commits behind it two fsyncs (the WAL's, the database file's few pages);
// workerData may set `resetFrames`.
const resetFrames = /** @type {{ resetFrames?: number }} */ (workerData).resetFrames ?? checkpointFrames;
const finishFrames = 200;

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

if (checkpoint !== 'thread') db.pragma(`wal_autocheckpoint = ${checkpointFrames}`);

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
  /** @param {number} atLeast frames waiting to be copied */
  const ask = (atLeast) => {
    if (!checkpointer || running || waiting() < atLeast) return;
    running = true;
    asked.at = performance.now();
    checkpointer.postMessage('checkpoint');
  };
  // This runs between two flushes, never inside a transaction: no commit can land during it.
  // A failure here (the connection closing, an I/O error) only leaves the WAL to the next step or
  // to the bound: no write depends on it.
  const finish = () => {
    if (!db.open) return;
    const started = performance.now();
    try {
      const [result] = /** @type {{ busy: number, log: number, checkpointed: number }[]} */ (db.pragma('wal_checkpoint(PASSIVE)'));
      record?.('finish', started, performance.now() - started, `${result?.log}/${result?.checkpointed}/${result?.busy}`);
      // Reached the end: the next commit restarts the WAL (unless a reader holds it, then it grows on).
      copiedTo = result && result.checkpointed === result.log ? 0 : (result?.checkpointed ?? copiedTo);
    } catch {
      record?.('finish', started, performance.now() - started, 'failed');
    }
  };
  checkpointer.on('message', (/** @type {{ busy: number, log: number, checkpointed: number, ms: number }} */ result) => {
    running = false;
    if (result.checkpointed >= 0) copiedTo = result.checkpointed;
    record?.('checkpoint', asked.at, result.ms, `${result.log}/${result.checkpointed}/${result.busy}`);
    const left = waiting();
    if (left === 0) copiedTo = 0;
    else if (walFrames() < resetFrames) return;
    else if (left <= finishFrames) finish();
    // More came in than the writer should copy between two commits: the thread again, on what
    // arrived during its last step, until a step is short enough.
    else ask(1);
  });
  // Without the thread, SQLite's own checkpoint in the commit is back; nothing is lost either way.
  const fallBack = () => {
    checkpointer = undefined;
    db.pragma(`wal_autocheckpoint = ${checkpointFrames}`);
  };
  checkpointer.on('error', fallBack);
  checkpointer.on('exit', fallBack);
  checkpointer.unref();
  // As often as SQLite's own would (every `checkpointFrames`), and once the commits stop, for the WAL's tail.
  askCheckpoint = () => {
    lastCommit = performance.now();
    ask(checkpointFrames);
  };
  setInterval(() => performance.now() - lastCommit > idleMs && ask(1), idleMs).unref();
}

/**
 * Where a batch's answer goes: the port its message came from (the thread that started this one,
 * or a port another thread of the process was given: the delivery thread's writes, sqlite.ts).
 * @typedef {{ postMessage(message: unknown): void }} Reply
 */

/** @type {{ ids: number[], units: (readonly WireStep[])[], from: Reply[] }} */
let queue = { ids: [], units: [], from: [] };
let scheduled = false;

function flush() {
  scheduled = false;
  const { ids, units, from } = queue;
  queue = { ids: [], units: [], from: [] };
  if (units.length === 0) return;
  const started = performance.now();
  const results = apply(units);
  refit();
  if (record) record('commit', started, performance.now() - started, `${units.length}/${walBytes()}`);
  // One answer per port, in the order its units came (ids are numbered by each sender).
  /** @type {Map<Reply, { ids: number[], results: unknown[] }>} */
  const answers = new Map();
  from.forEach((reply, i) => {
    let answer = answers.get(reply);
    if (!answer) {
      answer = { ids: [], results: [] };
      answers.set(reply, answer);
    }
    answer.ids.push(/** @type {number} */ (ids[i]));
    answer.results.push(results[i]);
  });
  // CUSTGATE_REQUEST_TRACE: when this batch began and committed, in the epoch's milliseconds.
  const times = timing ? { started: performance.timeOrigin + started, committed: performance.timeOrigin + performance.now() } : {};
  for (const [reply, answer] of answers) reply.postMessage({ ...answer, ...times });
  askCheckpoint?.();
}

/**
 * @param {ReadMessage} message
 * @param {Reply} reply
 */
function read({ read, sql, params }, reply) {
  const at = timing ? performance.timeOrigin + performance.now() : undefined;
  try {
    reply.postMessage({ read, rows: statement(sql).all(...params), ...(at === undefined ? {} : { at }) });
  } catch (error) {
    reply.postMessage({ read, error: describe(error) });
  }
}

/**
 * @param {{ ids: number[], units: (readonly WireStep[])[] } | ReadMessage} message
 * @param {Reply} reply
 */
function receive(message, reply) {
  if ('read' in message) {
    read(message, reply);
    return;
  }
  queue.ids.push(...message.ids);
  queue.units.push(...message.units);
  for (let i = 0; i < message.units.length; i++) queue.from.push(reply);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

/** Ports attached by the starting thread, each another thread's way to this connection. */
const attached = /** @type {Set<import('node:worker_threads').MessagePort>} */ (new Set());

port.on(
  'message',
  (
    /** @type {{ ids: number[], units: (readonly WireStep[])[] } | ReadMessage | { attach: import('node:worker_threads').MessagePort } | 'close'} */ message,
  ) => {
    if (message === 'close') {
      flush();
      db.close();
      for (const other of attached) other.close();
      port?.close();
      return;
    }
    if ('attach' in message) {
      const other = message.attach;
      attached.add(other);
      other.on('message', (/** @type {{ ids: number[], units: (readonly WireStep[])[] } | ReadMessage} */ m) => {
        if (db.open) receive(m, other);
      });
      other.on('close', () => attached.delete(other));
      return;
    }
    receive(message, port);
  },
);
