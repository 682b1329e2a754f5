// @ts-check
// The writer thread (sqlite.ts starts it): owns the one write connection, so the commit and its
// fsync never block the event loop that serves requests. Batches arrive as messages; while a
// commit runs, the messages that arrive wait in the port, and all of them are applied in the next
// transaction (setImmediate runs after the port has delivered everything pending): a real group
// commit, one fsync per batch, however many requests arrived during the previous one.
// It also answers reads the main thread sends it (a write's read of its customer): in WAL mode a
// connection's page cache is emptied whenever another connection has committed, so the main
// thread's reads start cold after every group commit, while this connection's cache survives its
// own commits (docs/performance.md, "A million customers"). Reads are answered when they arrive,
// outside any transaction: each sees every commit so far, this thread's and other processes'.
//
// Checkpoints: by default SQLite runs one inside the commit that takes the WAL past 1,000 pages, and
// every write of that group waits for the copy and the database file's fsync. With
// CUSTGATE_SQLITE_CHECKPOINT=thread a second thread (sqlite-checkpointer.js) checkpoints on its own
// connection instead, and this connection's automatic checkpoint is raised to a bound it reaches
// only if that thread falls behind or fails. Not the default: it costs a thread, and whether it
// beats SQLite's own with synchronous=FULL on this project's disk is for a quiet run to say (its
// first version left the WAL growing and the copied pages unsynced, see below;
// docs/performance.md, "The update's tail").
import { appendFileSync, statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { cacheKeeper, createApplier, describe, openConnection, statementsOf } from './sqlite-apply.js';
import { checkpointThread, defaultCheckpointFrames } from './sqlite-checkpoints.js';

/** @typedef {import('./sqlite-apply.js').WireStep} WireStep */
/** @typedef {{ read: number, sql: string, params: unknown[] }} ReadMessage */
/** @typedef {{ reads?: ReadMessage[], ids?: number[], units?: (readonly WireStep[])[] }} Message */

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

const checkpointFrames = /** @type {{ checkpointFrames?: number }} */ (workerData).checkpointFrames ?? defaultCheckpointFrames;
const resetFrames = /** @type {{ resetFrames?: number }} */ (workerData).resetFrames ?? checkpointFrames;

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

if (checkpoint !== 'thread') db.pragma(`wal_autocheckpoint = ${checkpointFrames}`);
const checkpoints =
  checkpoint === 'thread' ? checkpointThread({ db, path, synchronous, busyTimeoutMs, checkpointFrames, resetFrames, record }) : undefined;

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
  checkpoints?.afterCommit();
}

/**
 * The reads of one message, answered as they arrive and in one message back: the main thread sends
 * the reads of a turn of its event loop together (sqlite-writers.ts), so each side wakes the other
 * once for all of them rather than once a read.
 * @param {readonly ReadMessage[]} reads
 * @param {Reply} reply
 */
function answerReads(reads, reply) {
  const at = timing ? performance.timeOrigin + performance.now() : undefined;
  const answers = reads.map(({ read, sql, params }) => {
    try {
      return { read, rows: statement(sql).all(...params) };
    } catch (error) {
      return { read, error: describe(error) };
    }
  });
  reply.postMessage(at === undefined ? { reads: answers } : { reads: answers, at });
}

/**
 * A turn's reads (answered at once, ahead of the units that came with them, as they were issued
 * first) and batches of units (queued for the next group commit).
 * @param {Message} message
 * @param {Reply} reply
 */
function receive(message, reply) {
  if (message.reads) answerReads(message.reads, reply);
  const { ids, units } = message;
  if (!ids || !units || units.length === 0) return;
  queue.ids.push(...ids);
  queue.units.push(...units);
  for (let i = 0; i < units.length; i++) queue.from.push(reply);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

/** Ports attached by the starting thread, each another thread's way to this connection. */
const attached = /** @type {Set<import('node:worker_threads').MessagePort>} */ (new Set());

port.on('message', (/** @type {Message | { attach: import('node:worker_threads').MessagePort } | 'close'} */ message) => {
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
    other.on('message', (/** @type {Message} */ m) => {
      if (db.open) receive(m, other);
    });
    other.on('close', () => attached.delete(other));
    return;
  }
  receive(message, port);
});
