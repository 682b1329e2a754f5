// @ts-check
// The checkpoint thread's coordinator, run beside whichever connection writes (the writer thread,
// sqlite-writer.js, or the inline writer on the calling thread, sqlite.ts): it raises that
// connection's automatic checkpoint to a bound, starts sqlite-checkpointer.js, asks it to copy the
// WAL every `checkpointFrames`, and after each of its steps copies what arrived meanwhile itself,
// between two commits, so the next commit starts the WAL again from frame 0.
//
// SQLite syncs the database file only in a checkpoint that reaches the WAL's last frame, and a
// commit restarts the WAL only when every frame is copied; under steady commits the thread's steps
// never reach either, and the WAL grew to the 16,000-page bound (63 MB) while every commit
// appended to it (docs/performance.md, "The update's tail"). The finishing step costs the commits
// behind it two fsyncs (the WAL's, the database file's few pages).
import { openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { Worker } from 'node:worker_threads';

// The bound: 16,000 pages (64 MB of 4 KiB pages), reached only when the checkpoint thread lags.
const walBoundPages = 16_000;
const idleMs = 1000;
const finishFrames = 200;
/** SQLite's own automatic checkpoint (wal_autocheckpoint), CUSTGATE_SQLITE_CHECKPOINT_PAGES' default: both writers start from it. */
export const defaultCheckpointFrames = 1000;

/**
 * @typedef {(kind: string, started: number, ms: number, detail: string | number) => void} Record
 * @typedef {{ busy: number, log: number, checkpointed: number }} CheckpointResult
 */

/**
 * Starts the checkpoint thread for `db` (the write connection) and returns what the writer calls
 * after each commit.
 * @param {{
 *   db: import('better-sqlite3').Database,
 *   path: string,
 *   synchronous: 'full' | 'normal',
 *   busyTimeoutMs: number,
 *   checkpointFrames: number,
 *   resetFrames?: number,
 *   record?: Record | undefined,
 * }} options
 * @returns {{ afterCommit: () => void, stop: () => Promise<void> }}
 */
export function checkpointThread({ db, path, synchronous, busyTimeoutMs, checkpointFrames, resetFrames = checkpointFrames, record }) {
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
  /** @type {Worker | undefined} */
  let checkpointer = new Worker(new URL('./sqlite-checkpointer.js', import.meta.url), { workerData: { path, synchronous, busyTimeoutMs } });
  /** @param {number} atLeast frames waiting to be copied */
  const ask = (atLeast) => {
    if (!checkpointer || running || waiting() < atLeast) return;
    running = true;
    asked.at = performance.now();
    checkpointer.postMessage('checkpoint');
  };
  // This runs between two commits, never inside a transaction: no commit can land during it.
  // A failure here (the connection closing, an I/O error) only leaves the WAL to the next step or
  // to the bound: no write depends on it.
  const finish = () => {
    if (!db.open) return;
    const started = performance.now();
    try {
      const [result] = /** @type {CheckpointResult[]} */ (db.pragma('wal_checkpoint(PASSIVE)'));
      record?.('finish', started, performance.now() - started, `${result?.log}/${result?.checkpointed}/${result?.busy}`);
      // Reached the end: the next commit restarts the WAL (unless a reader holds it, then it grows on).
      copiedTo = result && result.checkpointed === result.log ? 0 : (result?.checkpointed ?? copiedTo);
    } catch {
      record?.('finish', started, performance.now() - started, 'failed');
    }
  };
  checkpointer.on('message', (/** @type {CheckpointResult & { ms: number }} */ result) => {
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
    if (db.open) db.pragma(`wal_autocheckpoint = ${checkpointFrames}`);
  };
  checkpointer.on('error', fallBack);
  checkpointer.on('exit', fallBack);
  checkpointer.unref();
  // Once the commits stop, for the WAL's tail.
  const idle = setInterval(() => performance.now() - lastCommit > idleMs && ask(1), idleMs);
  idle.unref();
  return {
    // As often as SQLite's own would (every `checkpointFrames`).
    afterCommit() {
      lastCommit = performance.now();
      ask(checkpointFrames);
    },
    async stop() {
      clearInterval(idle);
      const thread = checkpointer;
      checkpointer = undefined;
      if (thread) {
        thread.removeAllListeners('exit');
        await thread.terminate();
      }
    },
  };
}
