import { type MessagePort, Worker } from 'node:worker_threads';
import type { Env, GatewayConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ServingSignal } from '../outbox/drain-pace.ts';
import type { Store } from '../store/index.ts';

// On Node the outbox's deliveries (mirror and shadow) run in a thread of their own, so the main
// thread only answers requests. On the main thread a drain's work (reading, building and parsing
// each delivery, the client's sockets) ran between the requests: a read arriving during it waited,
// and with 100,000 deliveries pending another tenant's read p99 was 3.3–4× its p99 with an empty
// outbox (issue #27; docs/performance.md, "Deliveries in a thread of their own"). The thread runs at
// a lower priority (CUSTGATE_DELIVERY_NICE) and keeps to the share of it CUSTGATE_DELIVERY_SHARE gives
// while requests are served, told of them through shared memory (ServingSignal). Its SQLite writes
// go to the main store's writer thread through a port: one writer, one group commit, and no thread
// of the process waits for another's lock.
//
// The webhook queue stays on the main thread: its events are due soon after their commit, and
// from this thread, which yields to every request, they arrived no sooner (docs/operations.md).
//
// The thread starts with the server when the store has upstreams or pending deliveries, else at the
// first write that queues a delivery or the first poll (CUSTGATE_OUTBOX_POLL_MS) that finds an
// upstream or a pending row (another process's `upstream add` or backfill). A gateway without
// upstreams never starts it, and so never holds its memory. CUSTGATE_DELIVERY_THREAD=off drains on
// the main thread as before.

/** What the main thread tells the delivery thread: drain the outbox now, or stop. */
export type ToDeliveryThread = 'outbox' | 'stop';

/** What the delivery thread is started with. */
export interface DeliveryThreadData {
  /** The environment as the main thread parsed it (structured-cloned): the thread does not parse it again. */
  readonly env: Env;
  /** The main thread's ServingSignal's memory. */
  readonly signal: SharedArrayBuffer;
  readonly nice: number;
  /** SQLite with a writer thread: the port to it. */
  readonly writerPort?: MessagePort;
}

export interface DeliveryThreadOptions {
  /** The server's environment, parsed (loadEnv): the thread opens the store it names. */
  readonly env: Env;
  readonly store: Store;
  readonly config: GatewayConfig;
  readonly signal: ServingSignal;
  readonly logger: Logger;
  /** Whether the thread is wanted: the store has upstreams, or deliveries pending. */
  readonly wanted: () => Promise<boolean>;
}

// A thread that failed is started again no sooner than this (a bad configuration must not spin).
const restartAfterMs = 5_000;

export class DeliveryThread {
  readonly #o: DeliveryThreadOptions;
  #worker: Worker | undefined;
  #poll: ReturnType<typeof setInterval> | undefined;
  #failedAt = Number.NEGATIVE_INFINITY;
  #stopped = false;
  #checking = false;

  constructor(options: DeliveryThreadOptions) {
    this.#o = options;
  }

  /** Whether the thread is running. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Starts the thread now if it is wanted, and polls until it runs. */
  async start(): Promise<void> {
    this.#poll = setInterval(() => void this.#check(), this.#o.config.outbox.pollMs);
    this.#poll.unref();
    await this.#check();
  }

  /** A write queued a delivery: the thread drains the outbox now (started first if need be). */
  kick(): Promise<void> {
    this.#ensure()?.postMessage('outbox' satisfies ToDeliveryThread);
    return Promise.resolve();
  }

  /** Lets the deliveries in flight finish (the dispatchers' stop) and ends the thread. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#poll) clearInterval(this.#poll);
    const worker = this.#worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.on('message', (message) => message === 'stopped' && void worker.terminate());
      worker.postMessage('stop' satisfies ToDeliveryThread);
    });
  }

  async #check(): Promise<void> {
    if (this.#worker || this.#stopped || this.#checking) return;
    this.#checking = true;
    try {
      if (await this.#o.wanted()) this.#ensure();
    } catch {
      // The store's failure is the requests' to report; the next poll asks again.
    } finally {
      this.#checking = false;
    }
  }

  #ensure(): Worker | undefined {
    if (this.#worker) return this.#worker;
    if (this.#stopped || performance.now() - this.#failedAt < restartAfterMs) return undefined;
    const writerPort = this.#o.store.executor.attachWriter?.();
    const data: DeliveryThreadData = {
      env: this.#o.env,
      signal: this.#o.signal.buffer,
      nice: this.#o.config.outbox.nice,
      ...(writerPort ? { writerPort } : {}),
    };
    const worker = new Worker(new URL('./delivery-thread-worker.js', import.meta.url), {
      workerData: data,
      transferList: writerPort ? [writerPort] : [],
    });
    // The main thread's exit is never held by it: the server's close stops it first.
    worker.unref();
    worker.on('error', (error) => {
      this.#o.logger.error('delivery_thread_failed', { error: error.message });
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      if (!this.#stopped) {
        this.#failedAt = performance.now();
        this.#o.logger.error('delivery_thread_exited', { code });
      }
    });
    this.#worker = worker;
    return worker;
  }
}
