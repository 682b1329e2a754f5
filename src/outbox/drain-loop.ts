// The loop both queues of deliveries run (the outbox: src/outbox/dispatcher.ts; webhooks:
// src/webhooks/dispatcher.ts): rounds of pick, lease and send until nothing is due, and on Node a
// drain kicked after each write that coalesces the kicks arriving while it runs, plus a poll for
// retries whose backoff ended and rows orphaned by another process.

export interface DrainRounds<Row> {
  readonly now: () => Date;
  readonly limit: number;
  readonly leaseMs: number;
  readonly owner: string;
  due(now: string, limit: number): Promise<Row[]>;
  claim(row: Row, owner: string, now: string, leaseUntil: string): Promise<boolean>;
  /** Sends one leased row; its attempts already counted the claim. */
  process(row: Row): Promise<void>;
}

/** Sends every row due now, round after round, until none is left, all are another's, or the deadline passes. */
export async function drainRounds<Row extends { readonly attempts: number }>(rounds: DrainRounds<Row>, deadline?: number): Promise<void> {
  for (;;) {
    if (deadline !== undefined && Date.now() >= deadline) return;
    const now = rounds.now();
    const due = await rounds.due(now.toISOString(), rounds.limit);
    if (due.length === 0) return;
    const leaseUntil = new Date(now.getTime() + rounds.leaseMs).toISOString();
    // The claims of one round at once: each is a commit, and SQLite's writer thread groups commits
    // that arrive together, so a round costs one commit's wait instead of one per row.
    const won = await Promise.all(due.map((row) => rounds.claim(row, rounds.owner, now.toISOString(), leaseUntil)));
    const claimed = due.filter((_, i) => won[i]).map((row) => ({ ...row, attempts: row.attempts + 1 }));
    // Everything due was taken by other dispatchers: they will send it.
    if (claimed.length === 0) return;
    await Promise.all(claimed.map((row) => rounds.process(row)));
  }
}

export class DrainLoop<R> {
  readonly #drain: () => Promise<R>;
  readonly #failed: (error: unknown) => R;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<R> | undefined;
  #again = false;

  /** `failed` logs a drain that threw and gives the report to answer with. */
  constructor(drain: () => Promise<R>, failed: (error: unknown) => R) {
    this.#drain = drain;
    this.#failed = failed;
  }

  /** Drains soon, once, however often it is asked while a drain runs (after each write on Node). */
  kick(): Promise<R> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const run = async (): Promise<R> => {
      let report: R;
      do {
        this.#again = false;
        report = await this.#drain().catch(this.#failed);
      } while (this.#again);
      this.#running = undefined;
      return report;
    };
    this.#running = run();
    return this.#running;
  }

  /** Polls for due rows (retries whose backoff ended, other processes' orphans). */
  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.kick(), intervalMs);
    this.#timer.unref?.();
    void this.kick();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
