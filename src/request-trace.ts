// An opt-in trace of where an update's time goes (CUSTGATE_REQUEST_TRACE, docs/operations.md): for
// a sample of updates, the moments it passed from one stage to the next, on both threads, so a
// slow request of the bench's paced rows says which stage it waited in (bench/tail.ts). Runtime-free:
// the Node entry installs where the current request's trace comes from (src/entries/request-trace.ts);
// without it `currentTrace` is a call that returns undefined, and every stage mark is skipped.

/** Milliseconds since the epoch, fractional: comparable across threads and with the bench's clock. */
export const traceNow = (): number => performance.timeOrigin + performance.now();

/** One traced update's stage marks (ms since the epoch); a stage it did not go through stays unset. */
export interface RequestTrace {
  readonly id: string;
  /** The server's `request` event: the headers were parsed. */
  readonly received: number;
  /** Authenticated and the body read and decoded. */
  body?: number;
  /** The read the write is planned from, sent to the writer (the writer thread's connection). */
  readSent?: number;
  /** The writer began answering that read. */
  readStarted?: number;
  /** Its rows back on the main thread. */
  readBack?: number;
  /** The write handed to the writer (the group commit's batch left the main thread). */
  handed?: number;
  /** The writer began the transaction that holds it. */
  started?: number;
  /** That transaction committed (with synchronous=FULL: synced). */
  committed?: number;
  /** The commit's answer back on the main thread. */
  back?: number;
  /** The response's last byte handed to the socket. */
  written?: number;
}

let current: (() => RequestTrace | undefined) | undefined;

/** The trace of the request this code runs for, when tracing is on and the request is sampled. */
export function currentTrace(): RequestTrace | undefined {
  return current?.();
}

/** Installed once at start by the entry that traces (never in a Worker or a test that does not ask). */
export function installTrace(source: () => RequestTrace | undefined): void {
  current = source;
}

/** The CSV line a trace is written as: `request,<id>,` then each stage in the interface's order, blank when unset. */
export function traceLine(t: RequestTrace): string {
  const at = (ms: number | undefined) => (ms === undefined ? '' : ms.toFixed(3));
  return `request,${t.id},${at(t.received)},${at(t.body)},${at(t.readSent)},${at(t.readStarted)},${at(t.readBack)},${at(t.handed)},${at(t.started)},${at(t.committed)},${at(t.back)},${at(t.written)}\n`;
}
