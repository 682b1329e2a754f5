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
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createApplier, describe, openConnection, statementsOf } from './sqlite-apply.js';

/** @typedef {import('./sqlite-apply.js').WireStep} WireStep */
/** @typedef {{ read: number, sql: string, params: unknown[] }} ReadMessage */

const port = parentPort;
if (!port) throw new Error('sqlite-writer.js runs as a worker thread');
const { path, synchronous, busyTimeoutMs } = /** @type {{ path: string, synchronous: 'full' | 'normal', busyTimeoutMs: number }} */ (
  workerData
);
const db = openConnection(Database, path, synchronous, busyTimeoutMs);
const statement = statementsOf(db);
const apply = createApplier(db, statement);

/** @type {{ ids: number[], units: (readonly WireStep[])[] }} */
let queue = { ids: [], units: [] };
let scheduled = false;

function flush() {
  scheduled = false;
  const { ids, units } = queue;
  queue = { ids: [], units: [] };
  if (units.length > 0) port?.postMessage({ ids, results: apply(units) });
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
