// @ts-check
// The checkpoint thread (sqlite-writer.js starts it): copies the WAL's pages into the database
// file and syncs it, on a connection of its own, so that work and its fsync are never inside a
// commit. A PASSIVE checkpoint takes no write lock: the writer goes on committing meanwhile
// (https://sqlite.org/c3ref/wal_checkpoint_v2.html). One request at a time; it answers with the
// WAL's frame counts and how long the checkpoint took.
//
// SQLite syncs the database file only in a checkpoint that reaches the WAL's last frame; under
// steady commits that never happens here (frames arrive while it copies), so the copied pages
// would pile up unsynced in the OS's cache until one checkpoint finally caught up and flushed them
// all at once: a 400 ms fsync that every commit's fsync of the WAL queued behind
// (docs/performance.md, "The update's tail"). Syncing the file after each step keeps each flush to
// the pages that step copied. It adds nothing to durability: the pages are safe in the WAL.
import { fdatasyncSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { openConnection } from './sqlite-apply.js';

const port = parentPort;
if (!port) throw new Error('sqlite-checkpointer.js runs as a worker thread');
const { path, synchronous, busyTimeoutMs } = /** @type {{ path: string, synchronous: 'full' | 'normal', busyTimeoutMs: number }} */ (
  workerData
);
const db = openConnection(Database, path, synchronous, busyTimeoutMs);
// This connection writes nothing, but a checkpoint it runs on its own must not start another.
db.pragma('wal_autocheckpoint = 0');
const file = openSync(path, 'r');
let copied = 0;

port.on('message', () => {
  const started = performance.now();
  const [result] = /** @type {{ busy: number, log: number, checkpointed: number }[]} */ (db.pragma('wal_checkpoint(PASSIVE)'));
  const checkpointed = result?.checkpointed ?? 0;
  if (checkpointed !== copied) fdatasyncSync(file);
  copied = checkpointed;
  port.postMessage({ ...result, ms: performance.now() - started });
});
