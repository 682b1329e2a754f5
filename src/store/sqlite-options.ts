import type { MessagePort } from 'node:worker_threads';

// Its own file so that the writers (sqlite-writers.ts) and the store that starts them (sqlite.ts)
// both read it without importing each other.

export interface SqliteOptions {
  /** `:memory:` or a file path. */
  readonly path: string;
  /**
   * `full` (default) syncs the WAL on every commit, so an acknowledged update survives a power
   * loss; `normal` survives a process crash only, and is faster.
   */
  readonly synchronous?: 'full' | 'normal';
  /**
   * `thread` (default for files): a worker thread owns the write connection and commits there;
   * `inline`: writes and commits on the calling thread (always for `:memory:`).
   */
  readonly writer?: 'thread' | 'inline';
  /**
   * How long a write waits for another process's write lock before it is refused (StoreBusy, a
   * 503 to retry). Default 100 ms.
   */
  readonly busyTimeoutMs?: number;
  /**
   * `inline` (default): SQLite's automatic checkpoint, inside the commit that takes the WAL past
   * 1,000 pages; `thread`: a thread of its own checkpoints the WAL as often, outside every commit,
   * beside either writer (docs/performance.md, "The update's tail" and "The twenty-second round",
   * say when that helps and what it costs).
   */
  readonly checkpoint?: 'thread' | 'inline';
  /**
   * How many WAL pages wait before a checkpoint copies them (default 1,000, SQLite's own): the
   * automatic checkpoint's threshold with `inline`, the thread's step with `thread`. Fewer pages
   * make each checkpoint's flush of the database file shorter, and the commits queued behind it
   * wait less, at the price of more flushes (docs/performance.md, "The update's tail").
   */
  readonly checkpointPages?: number;
  /** A file the writer thread appends each commit's and checkpoint's timing to (CSV), for the bench. */
  readonly writerTrace?: string;
  /**
   * Mark the writer's stages in the traces of sampled requests (CUSTGATE_REQUEST_TRACE,
   * src/request-trace.ts): the writer thread then sends when it began and committed each batch.
   */
  readonly requestTrace?: boolean;
  /**
   * The write connection's page cache in MB (default 64; 0: the driver's 16 MB). It keeps the
   * interior pages of the tables and indexes an update descends, so a large store's updates read
   * only their leaves (docs/performance.md, "A million customers").
   */
  readonly writerCacheMb?: number;
  /**
   * Writes (and write reads) go to another connection's writer thread through this port (from its
   * executor's `attachWriter()`): the delivery thread's store (src/entries/delivery-thread.ts), so the
   * process keeps one writer and one group commit, and no thread of it waits for another's lock.
   */
  readonly writerPort?: MessagePort;
}
