import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { registry } from '../../dialects/index.ts';
import { configOf } from '../config.ts';
import { dialectList } from '../contract/registry.ts';
import { openParsedStore } from '../open-store.ts';
import { defaultDeliveryConcurrency } from '../outbox/dispatcher.ts';
import { ServingSignal } from '../outbox/drain-pace.ts';
import { replicationFor } from '../outbox/upstream-port.ts';
import { transportFor } from '../upstream/node-transport.ts';
import { parsedNodeLogger } from './node-logger.ts';
import type { DeliveryThreadData, ToDeliveryThread } from './delivery-thread.ts';

// The delivery thread's body (started by src/entries/delivery-thread.ts through
// delivery-thread-worker.js): the outbox's dispatcher over a store of its own, whose writes go to
// the serving thread's writer through a port (SQLite), at a lower priority than the thread that
// answers requests.

const port = parentPort;
if (!port) throw new Error('delivery-thread-main.ts runs as a worker thread');
const data = workerData as DeliveryThreadData;

/**
 * This thread's own nice value (Linux: setpriority(2) on a thread id moves that thread alone). The
 * kernel then runs the serving thread first whenever both want a core; elsewhere, unchanged.
 */
function lowerPriority(nice: number): void {
  if (nice <= 0) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // No /proc (macOS) or not allowed: the pace alone keeps the drain to its share.
  }
}

lowerPriority(data.nice);
// The environment the main thread parsed: read here, not parsed again.
const config = configOf(data.env);
const logger = parsedNodeLogger(data.env);
// PostgreSQL: a pool no larger than the store calls the dispatcher can have in flight. One drain
// runs at a time (DrainLoop), its rounds one after another (drainRounds' `parallel` is 1 for the
// outbox), and a round's rows, at most its concurrency, each make their store calls one after
// another; the pick, lease and settle run between rounds. Its pool of CUSTGATE_PG_POOL_SIZE (10 by
// default) was budgeted beside the serving thread's though it could never fill past that
// (docs/scaling.md).
const store = await openParsedStore(data.env, {
  ...(data.writerPort ? { writerPort: data.writerPort } : {}),
  maxConnections: defaultDeliveryConcurrency,
});
const dialects = dialectList(registry);
const transport = transportFor(config.upstreamTransport);
// Its pace is a share of this thread (CUSTGATE_DELIVERY_SHARE), not of the main thread's.
const paced = { ...config, outbox: { ...config.outbox, share: config.outbox.threadShare } };
const replication = replicationFor(store, paced, { dialects, transport, logger, signal: new ServingSignal(data.signal) });
replication.dispatcher.start(config.outbox.pollMs);

let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= replication.dispatcher
    .stop()
    .then(() => store.executor.close())
    .catch((error: unknown) => logger.error('delivery_thread_stop_failed', { error: (error as Error).message }))
    .finally(() => {
      logger.flush();
      port.postMessage('stopped');
      port.close();
    });
};

port.on('message', (message: ToDeliveryThread) => {
  if (stopping) return;
  if (message === 'outbox') void replication.dispatcher.kick().catch(() => undefined);
  else if (message === 'stop') stop();
});
