// @ts-check
// The writer thread (sqlite.ts starts it): owns the one write connection, so the commit and its
// fsync never block the event loop that serves requests. Batches arrive as messages; while a
// commit runs, the messages that arrive wait in the port, and all of them are applied in the next
// transaction (setImmediate runs after the port has delivered everything pending): a real group
// commit, one fsync per batch, however many requests arrived during the previous one.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { createApplier, openConnection } from './sqlite-apply.js';

/** @typedef {import('./sqlite-apply.js').WireStep} WireStep */

const port = parentPort;
if (!port) throw new Error('sqlite-writer.js runs as a worker thread');
const { path, synchronous, busyTimeoutMs } = /** @type {{ path: string, synchronous: 'full' | 'normal', busyTimeoutMs: number }} */ (
  workerData
);
const db = openConnection(Database, path, synchronous, busyTimeoutMs);
const apply = createApplier(db);

/** @type {{ ids: number[], units: (readonly WireStep[])[] }} */
let queue = { ids: [], units: [] };
let scheduled = false;

function flush() {
  scheduled = false;
  const { ids, units } = queue;
  queue = { ids: [], units: [] };
  if (units.length > 0) port?.postMessage({ ids, results: apply(units) });
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
