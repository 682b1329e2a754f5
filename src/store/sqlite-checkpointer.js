// @ts-check
// The checkpoint thread (sqlite-writer.js starts it): copies the WAL's pages into the database
// file and syncs it, on a connection of its own, so that work and its fsync are never inside a
// commit. A PASSIVE checkpoint takes no write lock: the writer goes on committing meanwhile
// (https://sqlite.org/c3ref/wal_checkpoint_v2.html). One request at a time; it answers with the
// WAL's frame counts and how long the checkpoint took.
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

port.on('message', () => {
  const started = performance.now();
  const [result] = /** @type {{ busy: number, log: number, checkpointed: number }[]} */ (db.pragma('wal_checkpoint(PASSIVE)'));
  port.postMessage({ ...result, ms: performance.now() - started });
});
