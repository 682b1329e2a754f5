// @ts-check
// The writer thread (sqlite.ts starts it): owns the one write connection, so the commit and its
// fsync never block the event loop that serves requests. Batches arrive as messages; while a
// commit runs, the messages that arrive wait in the port, and all of them are applied in the next
// transaction (setImmediate runs after the port has delivered everything pending): a real group
// commit, one fsync per batch, however many requests arrived during the previous one.
//
// Checkpoints are kept out of the commits (docs/performance.md, "The update's tail"): by default
// SQLite runs one inside the commit that takes the WAL past 1,000 pages, and every write of that
// group waits for the copy and the database file's fsync. Here a second thread
// (sqlite-checkpointer.js) checkpoints on its own connection; this connection's automatic
// checkpoint is raised to a bound it reaches only if that thread falls behind or fails.
import { appendFileSync, statSync } from 'node:fs';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createApplier, openConnection } from './sqlite-apply.js';

/** @typedef {import('./sqlite-apply.js').WireStep} WireStep */

const port = parentPort;
if (!port) throw new Error('sqlite-writer.js runs as a worker thread');
const { path, synchronous, busyTimeoutMs, checkpoint, trace } =
  /** @type {{ path: string, synchronous: 'full' | 'normal', busyTimeoutMs: number, checkpoint: 'thread' | 'inline', trace?: string }} */ (
    workerData
  );
const db = openConnection(Database, path, synchronous, busyTimeoutMs);
const apply = createApplier(db);

// The bound: 16,000 pages (64 MB of 4 KiB pages), reached only when the checkpoint thread lags.
const walBoundPages = 16_000;
// How often the checkpoint thread is asked while commits go on: often enough that each copy is
// small, rarely enough that its fsync of the database file seldom meets a commit's.
const checkpointEveryMs = 200;

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

/** @type {(() => void) | undefined} */
let askCheckpoint;
let commitsSinceCheckpoint = 0;
let checkpointRunning = false;
let lastCheckpoint = 0;
/** @type {Worker | undefined} */
let checkpointer;
if (checkpoint === 'thread') {
  db.pragma(`wal_autocheckpoint = ${walBoundPages}`);
  const asked = { at: 0 };
  checkpointer = new Worker(new URL('./sqlite-checkpointer.js', import.meta.url), { workerData: { path, synchronous, busyTimeoutMs } });
  checkpointer.on('message', (/** @type {{ busy: number, log: number, checkpointed: number, ms: number }} */ result) => {
    checkpointRunning = false;
    lastCheckpoint = performance.now();
    record?.('checkpoint', asked.at, result.ms, `${result.log}/${result.checkpointed}/${result.busy}`);
  });
  // Without the thread, SQLite's own checkpoint in the commit is back: slower tails, nothing lost.
  const fallBack = () => {
    checkpointer = undefined;
    db.pragma('wal_autocheckpoint = 1000');
  };
  checkpointer.on('error', fallBack);
  checkpointer.on('exit', fallBack);
  checkpointer.unref();
  // Asked after a commit, and by a timer when the commits stop, so the WAL's tail is copied too.
  const ask = () => {
    if (!checkpointer || checkpointRunning || commitsSinceCheckpoint === 0) return;
    if (performance.now() - lastCheckpoint < checkpointEveryMs) return;
    checkpointRunning = true;
    commitsSinceCheckpoint = 0;
    asked.at = performance.now();
    checkpointer.postMessage('checkpoint');
  };
  setInterval(ask, checkpointEveryMs).unref();
  askCheckpoint = ask;
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
  commitsSinceCheckpoint++;
  askCheckpoint?.();
}

port.on('message', (/** @type {{ ids: number[], units: (readonly WireStep[])[] } | 'close'} */ message) => {
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
