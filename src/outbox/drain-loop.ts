import type { DrainPace } from './drain-pace.ts';
import type { UnsettledRounds } from './unsettled-rounds.ts';

// The loop both queues of deliveries run (the outbox: src/outbox/dispatcher.ts; webhooks:
// src/webhooks/dispatcher.ts): rounds of pick, lease and send until nothing is due, and on Node a
// drain kicked after each write that coalesces the kicks arriving while it runs, plus a poll for
// retries whose backoff ended and rows orphaned by another process.

export interface DrainRounds<Row> {
  readonly now: () => Date;
  /**
   * Keeps the drain to a share of the main thread while requests are served (src/outbox/drain-pace.ts):
   * a turn of the loop between a round's sends, a pause after each round.
   */
  readonly pace?: DrainPace | undefined;
  readonly limit: number;
  /** While requests are served, the loop gets a turn after this many rows of a round are started (default 1). */
  readonly rowsPerTurn?: number;
  readonly leaseMs: number;
  readonly owner: string;
  due(now: string, limit: number): Promise<Row[]>;
  /** Leases the rows in one commit for `owner`, which names this round alone; the rows won (the same objects). */
  claim(rows: readonly Row[], owner: string, now: string, leaseUntil: string): Promise<Row[]>;
  /**
   * Sends a round's leased rows and settles them as `owner`; their attempts already counted the
   * claim. Each row's send is started through `each`, which paces the starts. True when the round
   * ended a row for good (delivered or given up); false when every row is still pending (failed
   * and retried, or held back): the loop then pauses before the next round.
   */
  process(rows: readonly Row[], owner: string, each: EachRow<Row>): Promise<boolean>;
  /**
   * Of a round of `rows` just claimed, how many keep pace with the rows queued meanwhile (the pace
   * charges only the rest: `ArrivalCredit`). None: all are charged.
   */
  steady?(rows: number): number;
  /** The dispatcher's failed rounds: put back before the first round, a round that fails added. */
  readonly unsettled?: UnsettledRounds<Row>;
}

/**
 * Starts `send` for each row and resolves with every outcome, in the rows' order (or rejects with
 * the first failure, as Promise.all does).
 */
export type EachRow<Row> = <T>(rows: readonly Row[], send: (row: Row) => Promise<T>) => Promise<T[]>;

/** What one drain did besides its rows: the rounds it followed with a pause because requests were being served. */
export interface DrainStats {
  readonly paused: number;
}

/** Resolves after the I/O waiting now (a request's bytes among it) had its turn on the main thread. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * `each` for a drain: while requests are served, the rows' synchronous starts (their reads, their
 * bodies) go `rowsPerTurn` at a time, each group a task of its own, so a request waits behind one
 * group's, not a whole round's. A group of one also makes a round send at most one row per turn of
 * the loop: the webhook queue, whose rounds must keep up with the writes, takes larger groups.
 */
function startEach<Row>(pace: DrainPace | undefined, rowsPerTurn: number): EachRow<Row> {
  return async <T>(rows: readonly Row[], send: (row: Row) => Promise<T>): Promise<T[]> => {
    const started: Promise<T>[] = [];
    for (const row of rows) {
      if (started.length > 0 && started.length % rowsPerTurn === 0 && pace?.serving()) await turn();
      const outcome = send(row);
      // Awaited below with the others; marked handled now, as it may fail while the loop waits.
      outcome.catch(() => undefined);
      started.push(outcome);
    }
    return Promise.all(started);
  };
}

// The pause after a round that ended nothing (every send failed, or its target is held): 25 ms,
// doubling per such round up to a second, reset by a round that ends something. A receiver that
// is down then costs a few rounds a second, not a busy loop of leases and failed connections that
// takes the cores from the requests (docs/operations.md, "When a provider is down").
const firstPauseMs = 25;
const lastPauseMs = 1_000;

/** The pause before the next round after `idle` rounds in a row that ended nothing. */
export const idlePauseMs = (idle: number): number => (idle <= 0 ? 0 : Math.min(firstPauseMs * 2 ** (idle - 1), lastPauseMs));

/**
 * What became of one row of a round, as its target (an upstream, a webhook endpoint) is concerned:
 * `answered` the target answered (delivered, or refused for good); `failed` the send failed and
 * the row is retried later; `gave-up` the send failed and the row is given up (its last attempt);
 * `skipped` the row ended without a send (its customer or target is gone); `held` it was put back
 * unsent, its target held.
 */
export type RowOutcome = 'answered' | 'failed' | 'gave-up' | 'skipped' | 'held';

/** Whether a row left the queue for good (delivered or given up): a round that ends one does not pause. */
export const ended = (outcome: RowOutcome): boolean => outcome === 'answered' || outcome === 'gave-up' || outcome === 'skipped';

export class TargetHolds {
  readonly #delay: (rounds: number) => number;
  readonly #held = new Map<string, { rounds: number; until: number }>();

  constructor(delay: (rounds: number) => number) {
    this.#delay = delay;
  }

  /** Ends the hold on `target`: its next round is sent, and a failed one holds it from the first backoff again. */
  release(target: string): void {
    this.#held.delete(target);
  }

  /** When the hold on `target` ends (epoch ms), or undefined when it is not held at `now`. */
  until(target: string, now: number): number | undefined {
    const hold = this.#held.get(target);
    return hold && hold.until > now ? hold.until : undefined;
  }

  /**
   * Reads a round's outcomes per target: an answer releases the target; sends that all failed
   * and are to be retried hold it, longer each time. The targets newly held, with the end (epoch ms) of their hold.
   */
  afterRound(outcomes: Iterable<readonly [target: string, outcome: RowOutcome]>, now: number): Map<string, number> {
    const { answered, failed } = roundTargets(outcomes);
    for (const target of answered) this.#held.delete(target);
    const held = new Map<string, number>();
    for (const target of failed) {
      const rounds = (this.#held.get(target)?.rounds ?? 0) + 1;
      const until = now + this.#delay(rounds);
      this.#held.set(target, { rounds, until });
      held.set(target, until);
    }
    return held;
  }
}

/**
 * A round's targets by what their rows say: `answered`, those that answered (up); `failed`, those
 * whose every send failed and is to be retried (down: to be held).
 */
export function roundTargets(outcomes: Iterable<readonly [target: string, outcome: RowOutcome]>): {
  answered: Set<string>;
  failed: Set<string>;
} {
  const failed = new Set<string>();
  const answered = new Set<string>();
  for (const [target, outcome] of outcomes) {
    if (outcome === 'answered') answered.add(target);
    // A row given up has no later try to spare, so it neither holds the target nor releases it.
    else if (outcome === 'failed') failed.add(target);
  }
  for (const target of answered) failed.delete(target);
  return { answered, failed };
}

// Round owners: the dispatcher's own name and a counter, so that which rows a round won can be
// read back by owner even when two drains of one process run at once (a cron beside a write's kick).
let rounds = 0;

/**
 * Sends every row due now, round after round, until none is left, all are another's, or the deadline
 * passes. Up to `parallel` rounds run at once (default 1): a round waits for its slowest send, and
 * the next one need not wait with it. Order holds all the same, because a row in flight is still
 * pending (its customer's later versions are not due) and leased (no other round picks it).
 */
export async function drainRounds<Row extends { readonly attempts: number }>(
  r: DrainRounds<Row>,
  deadline?: number,
  parallel = 1,
): Promise<DrainStats> {
  const running = new Set<Promise<void>>();
  const each = startEach<Row>(r.pace, Math.max(1, r.rowsPerTurn ?? 1));
  let failure: { error: unknown } | undefined;
  let idle = 0;
  let resume = 0;
  // Counted here, per drain: two drains sharing the gateway's pace (the outbox's and the webhooks')
  // each report their own pauses.
  let paused = 0;
  await r.unsettled?.putBack(r.now);
  try {
    for (;;) {
      if (failure || (deadline !== undefined && Date.now() >= deadline)) break;
      if (running.size >= parallel) {
        await Promise.race(running);
        continue;
      }
      // Never past the deadline: a Workers cron or waitUntil drain must end within its own.
      const until = Math.max(resume, r.pace?.restUntil ?? 0);
      const wait = Math.min(until, deadline ?? until) - Date.now();
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      const paced = r.pace?.round();
      const now = r.now();
      rounds = (rounds + 1) % Number.MAX_SAFE_INTEGER;
      const owner = `${r.owner}:${rounds.toString(36)}`;
      let due: Row[];
      let won: Set<Row>;
      try {
        const picked = await r.due(now.toISOString(), r.limit);
        due = picked;
        const leaseUntil = new Date(now.getTime() + r.leaseMs).toISOString();
        const claiming = due.length === 0 ? Promise.resolve([]) : r.claim(due, owner, now.toISOString(), leaseUntil);
        won = new Set(
          await claiming.catch((error: unknown) => {
            // The lease may have committed before the store failed (its answer lost, or the read-back).
            r.unsettled?.add(owner, picked);
            throw error;
          }),
        );
      } catch (error) {
        paced?.();
        throw error;
      }
      const claimed = due.filter((row) => won.has(row)).map((row) => ({ ...row, attempts: row.attempts + 1 }));
      // Nothing due, or everything due taken by other dispatchers (they will send it): done, unless
      // a round still running settles rows that hold later ones back.
      if (claimed.length === 0) {
        paced?.();
        if (running.size === 0) break;
        await Promise.race(running);
        continue;
      }
      // Matched against what arrived when the rows are taken, not when their sends end.
      const steady = r.steady?.(claimed.length) ?? 0;
      const round: Promise<void> = r.process(claimed, owner, each).then(
        (ended) => {
          running.delete(round);
          idle = ended ? 0 : idle + 1;
          const pause = paced?.(1 - steady / claimed.length) ?? 0;
          if (pause > 0) {
            paused++;
            r.pace?.rest(Date.now() + pause);
          }
          resume = Date.now() + idlePauseMs(idle);
        },
        (error: unknown) => {
          running.delete(round);
          r.unsettled?.add(owner, claimed);
          paced?.();
          failure ??= { error };
        },
      );
      running.add(round);
    }
  } finally {
    await Promise.all(running);
  }
  if (failure) throw failure.error;
  return { paused };
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
