// Captured when the module loads, so a test that fakes timers later cannot stall writes.
const timer = globalThis.setTimeout;
const clear = globalThis.clearTimeout;

/** A write waited for the writers ahead of it longer than its bound. */
export class QueueTimeout extends Error {
  constructor(readonly waitMs: number) {
    super(`waited more than ${waitMs} ms for earlier writes to the same customer`);
    this.name = 'QueueTimeout';
  }
}

/**
 * Runs tasks one at a time per key, in arrival order. Writers of one customer in one process wait
 * for each other here instead of racing the compare-and-set: a race costs a failed write and a
 * re-read per loser, so N racing writers cost O(N²) attempts and the last ones ran out of retries.
 */
export class WriteQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * `task` gets `waited`: true when another task of the key ran first, so anything read before
   * the call may be stale. A task still queued after `waitMs` is refused with QueueTimeout (it
   * never runs; its place in the line is kept so the order of the others does not change).
   */
  async run<T>(key: string, waitMs: number, task: (waited: boolean) => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#tails.set(key, mine);
    const done = () => {
      if (this.#tails.get(key) === mine) this.#tails.delete(key);
      release();
    };
    if (previous === undefined) {
      try {
        return await task(false);
      } finally {
        done();
      }
    }
    let timedOut = false;
    let handle: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      handle = timer(() => {
        timedOut = true;
        resolve();
      }, waitMs);
    });
    await Promise.race([previous, timeout]);
    clear(handle);
    if (timedOut) {
      // Hand on only once the writers ahead are through, so a later one still waits for them.
      previous.then(done, done);
      throw new QueueTimeout(waitMs);
    }
    try {
      return await task(true);
    } finally {
      done();
    }
  }
}

/** Sleeps a random time up to base·2^attempt (capped): full jitter, so racing processes spread out. */
export function backoff(attempt: number, baseMs = 2, capMs = 200): Promise<void> {
  const ms = Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
  return new Promise((resolve) => timer(resolve, ms));
}
